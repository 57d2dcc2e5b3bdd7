"""Classifying the CL editors' file: the inferred hierarchy reaches the queries."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import OntologyError
from kg.ontology import reason
from kg.ontology.load import inferred_graph, load_ontology, read_releases
from kg.ontology.reason import classify
from kg.ontology.terms import TermIndex
from kg.store import Store

from conftest import CL_EDIT_OWL, DOID_NCIT_2026, MESENCHYMAL_STEM_CELL, MULTI_FATE_STEM_CELL, SEED

STEM_CELL = "CL:0000034"
needs_java = pytest.mark.skipif(
    reason.java_available() is None,
    reason="classifying needs Java (owlready2's HermiT); none is installed here",
)


@pytest.fixture(scope="module")
def classified() -> Store:
    store = Store.in_memory()
    load_ontology(store, CL_EDIT_OWL)
    classify(store, "cl")
    return store


def test_the_editors_file_asserts_no_parent_for_multi_fate_stem_cell() -> None:
    index = TermIndex.from_files(CL_EDIT_OWL)
    assert index[MULTI_FATE_STEM_CELL].parents == ()
    assert STEM_CELL not in index.ancestors(MESENCHYMAL_STEM_CELL)


@needs_java
def test_classifying_puts_multi_fate_stem_cell_under_stem_cell(classified: Store) -> None:
    index = TermIndex.from_store(classified)
    assert STEM_CELL in index[MULTI_FATE_STEM_CELL].parents
    assert STEM_CELL in index.ancestors(MESENCHYMAL_STEM_CELL)


@needs_java
def test_inferred_links_live_in_their_own_graph(classified: Store) -> None:
    (release,) = read_releases(classified)
    graph = inferred_graph(release)
    assert graph.value == release.graph.replace("/graph/ontology/", "/graph/inferred/")
    assert classified.has_graph(graph)
    assert len(list(classified.quads(graph=graph))) > 1000


@needs_java
def test_build_with_classify_answers_the_stem_cell_query(tmp_path: Path) -> None:
    store = tmp_path / "kg.db"
    runner = CliRunner()
    built = runner.invoke(
        main,
        [
            "build",
            str(SEED),
            "--ontology",
            str(DOID_NCIT_2026),
            "--ontology",
            str(CL_EDIT_OWL),
            "--classify",
            "cl",
            "--store",
            str(store),
        ],
    )
    assert built.exit_code == 0, built.stderr
    found = runner.invoke(
        main,
        [
            "query",
            "trials-by-cell-type",
            "--param",
            f"cell_type={STEM_CELL}",
            "--store",
            str(store),
        ],
    )
    assert "NCT03877471" in found.stdout


def test_without_classifying_the_stem_cell_query_misses_the_seed(tmp_path: Path) -> None:
    store = tmp_path / "kg.db"
    runner = CliRunner()
    runner.invoke(
        main,
        [
            "build",
            str(SEED),
            "--ontology",
            str(DOID_NCIT_2026),
            "--ontology",
            str(CL_EDIT_OWL),
            "--store",
            str(store),
        ],
    )
    found = runner.invoke(
        main,
        [
            "query",
            "trials-by-cell-type",
            "--param",
            f"cell_type={STEM_CELL}",
            "--store",
            str(store),
        ],
    )
    assert "NCT03877471" not in found.stdout


def test_missing_java_is_said_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reason.shutil, "which", lambda name: None)
    with pytest.raises(OntologyError, match="classifying needs Java"):
        classify(Store.in_memory(), "cl")


def test_classifying_an_ontology_that_is_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reason.shutil, "which", lambda name: "/usr/bin/java")
    with pytest.raises(OntologyError, match="no ontology 'cl' in the store"):
        classify(Store.in_memory(), "cl")
