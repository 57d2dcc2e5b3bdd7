"""The load as a whole: bad records are skipped, nothing loaded is lost, reloads replace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import OntologyError
from kg.load import build, load_records
from kg.load.inputs import expand_inputs
from kg.ontology.terms import TermIndex
from kg.store import Store

from conftest import DOID_NCIT_2026, SEED


@pytest.fixture
def records(tmp_path: Path) -> list[Path]:
    """Three records: the seed, a broken one, and a second good one made from the seed."""
    text = SEED.read_text(encoding="utf-8")
    good = tmp_path / "hpscreg-1001.txt"
    good.write_text(text.replace("NCT03877471", "NCT00000001"), encoding="utf-8")
    bad = tmp_path / "hpscreg-1000.txt"
    bad.write_text(text.replace("2019-04-03", "2019-13-03"), encoding="utf-8")
    return [SEED, bad, good]


def _trial_graphs(store: Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs() if "/graph/hpscreg/" in g.value)


def test_a_bad_record_is_rejected_and_the_others_load(index: TermIndex, records) -> None:
    store = Store.in_memory()
    report = load_records(store, records, index)
    assert report.trials_loaded == 2
    assert [e.path for e in report.rejected] == [str(records[1])]
    assert report.rejected[0].field == "Start date (estimated)"
    assert _trial_graphs(store) == [
        "https://w3id.org/trialkg/graph/hpscreg/1001",
        "https://w3id.org/trialkg/graph/hpscreg/48",
    ]


def test_reloading_replaces_each_trials_graph(index: TermIndex) -> None:
    store = Store.in_memory()
    first = load_records(store, [SEED], index)
    size = len(store)
    second = load_records(store, [SEED], index)
    assert first.quads == second.quads
    assert len(store) == size


def test_contacts_go_to_a_private_graph_only_when_asked(index: TermIndex) -> None:
    store = Store.in_memory()
    load_records(store, [SEED], index)
    assert not any("/private/" in g.value for g in store.named_graphs())
    load_records(store, [SEED], index, include_contacts=True)
    assert any("/graph/private/hpscreg/48" in g.value for g in store.named_graphs())


def test_report_counts_groundings(index: TermIndex) -> None:
    report = load_records(Store.in_memory(), [SEED], index)
    assert {k.value: v for k, v in report.grounded.items()} == {
        "condition": [1, 0],
        "cell_type": [1, 0],
    }


def test_inputs_expand_folders_and_globs(tmp_path: Path, records) -> None:
    assert sorted(expand_inputs([tmp_path])) == sorted(records[1:])
    assert sorted(expand_inputs([str(tmp_path / "hpscreg-100*.txt")])) == sorted(records[1:])


def test_a_failed_build_leaves_the_old_store_in_place(
    tmp_path: Path, seed_store_path: Path
) -> None:
    path = tmp_path / "kg.db"
    shutil.copytree(seed_store_path, path)
    broken = tmp_path / "broken.obo"
    broken.write_text("<html>no ontology</html>")
    with pytest.raises(OntologyError):
        build(path, [SEED], [broken])
    store = Store.open_read_only(path)
    assert _trial_graphs(store) == ["https://w3id.org/trialkg/graph/hpscreg/48"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.obo", "kg.db"]  # no leftovers


def test_a_build_reports_the_releases_the_store_holds(tmp_path: Path) -> None:
    path = tmp_path / "kg.db"
    report = build(path, [SEED], [DOID_NCIT_2026, DOID_NCIT_2026])  # one release, twice
    assert len(report.loaded) == 2
    (release,) = report.releases
    store = Store.open_read_only(path)
    assert release.triples == len(list(store.quads(graph=ox.NamedNode(release.graph))))


def test_a_record_keyed_by_registry_id_moves_to_its_nct_node_on_reload(
    index: TermIndex, tmp_path: Path
) -> None:
    record = tmp_path / "hpscreg-48.txt"
    text = SEED.read_text(encoding="utf-8")
    record.write_text(text.replace("NCT number NCT03877471", "NCT number"), encoding="utf-8")
    store = Store.in_memory()
    load_records(store, [record], index)
    assert _trials(store) == ["https://w3id.org/trialkg/trial/hpscreg-48"]
    record.write_text(text, encoding="utf-8")  # a later version gives the NCT number
    load_records(store, [record], index)
    assert _trials(store) == ["https://w3id.org/trialkg/trial/NCT03877471"]


def _trials(store: Store) -> list[str]:
    rows = store.query(
        "SELECT DISTINCT ?t WHERE { ?t a <http://purl.obolibrary.org/obo/OBI_0003699> }"
    )
    return sorted(row["t"].value for row in rows)  # type: ignore[union-attr]
