"""The trialkg command end to end, in a temporary directory, with click's CliRunner."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner, Result

from kg.cli import main

from conftest import CL_EDIT_OWL, DOID_NCIT_2026, SEED

SEED_ID = "NCT03877471"
NCIT_2026_GRAPH = "https://w3id.org/trialkg/graph/ontology/doid/2026-07-31-7b39bfde3cd8"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built the default way: seeds/ and the shipped slims."""
    path = tmp_path_factory.mktemp("cli") / "trialkg.db"
    result = run("build", "--store", path)
    assert result.exit_code == 0, result.stderr
    return path


def test_build_reports_trials_and_groundings(tmp_path: Path) -> None:
    result = run("build", "--store", tmp_path / "kg.db")
    assert result.exit_code == 0
    assert "trials loaded: 1" in result.stderr
    assert "condition mentions: 1 grounded (100.0%), 0 ungrounded" in result.stderr
    assert "cell_type mentions: 1 grounded (100.0%), 0 ungrounded" in result.stderr
    assert result.stdout == ""


def test_build_reports_the_share_of_mentions_that_may_name_a_disease(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    for number, label in ((901, "Healthy Volunteers"), (902, "ovarian insufficiensy")):
        (records / f"hpscreg-{number}.txt").write_text(
            SEED.read_text(encoding="utf-8")
            .replace("NCT03877471", f"NCT09999{number}")
            .replace("Label primary ovarian insufficiency", f"Label {label}")
            .replace("Description An ovarian disease", "Description A state"),
            encoding="utf-8",
        )
    result = run("build", records, SEED, "--store", tmp_path / "kg.db")
    assert result.exit_code == 0, result.stderr
    assert (
        "condition mentions: 1 grounded (33.3%), 2 ungrounded, of which 1 name no disease"
        " (population, procedure, symptom, ...); 50.0% of the 2 others grounded"
    ) in result.stderr
    assert "'Healthy Volunteers' (not a disease: a population, procedure or behaviour)" in (
        result.stderr
    )


def test_trials_by_condition_finds_the_seed_under_ovarian_disease(store: Path) -> None:
    result = run("query", "trials-by-condition", "--param", "condition=DOID:1100", "--store", store)
    assert result.exit_code == 0
    assert SEED_ID in result.stdout
    assert "obo:DOID_5426" in result.stdout


def test_trials_by_condition_accepts_a_full_iri(store: Path) -> None:
    result = run(
        "query",
        "trials-by-condition",
        "--format",
        "json",
        "--store",
        store,
        "--param",
        "condition=http://purl.obolibrary.org/obo/DOID_1100",
    )
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == [SEED_ID]


def test_trials_by_condition_finds_nothing_under_an_unrelated_disease(store: Path) -> None:
    result = run(
        "query",
        "trials-by-condition",
        "--param",
        "condition=DOID:1612",
        "--format",
        "csv",
        "--store",
        store,
    )
    assert list(csv.reader(io.StringIO(result.stdout)))[1:] == []


def test_trials_by_cell_type_finds_the_seed_under_multi_fate_stem_cell(store: Path) -> None:
    result = run(
        "query", "trials-by-cell-type", "--param", "cell_type=CL:0000048", "--store", store
    )
    assert result.exit_code == 0
    assert SEED_ID in result.stdout


def test_trial_query_shows_the_seed_statements(store: Path) -> None:
    result = run(
        "query", "trial", "--param", f"trial={SEED_ID}", "--format", "csv", "--store", store
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    values = {(r["property"], r["value"]) for r in rows}
    assert ("acronym", "MSCLCTWPOI") in values
    assert ("startDate/date", "2019-04-03") in values
    assert ("startDate/estimated", "true") in values
    assert ("conditionMention/label", "primary ovarian insufficiency") in values
    assert {r["source"] for r in rows} == {"hpscreg:48"}


def test_trials_by_phase_lists_the_seed_in_phase_1(store: Path) -> None:
    result = run(
        "query", "trials-by-phase", "--param", "phase=Phase 1", "--format", "json", "--store", store
    )
    assert [row["id"] for row in json.loads(result.stdout)] == [SEED_ID]


def test_dose_arms_query_lists_three_arms(store: Path) -> None:
    result = run(
        "query", "dose-arms", "--param", f"trial={SEED_ID}", "--format", "json", "--store", store
    )
    rows = json.loads(result.stdout)
    assert [float(r["cells"]) for r in rows] == [2e6, 5e6, 1e7]


def test_ungrounded_mentions_is_empty_for_the_seed(store: Path) -> None:
    result = run("query", "ungrounded-mentions", "--format", "json", "--store", store)
    assert json.loads(result.stdout) == []


def test_query_list_names_every_query() -> None:
    result = run("query", "--list")
    for name in (
        "trials-by-condition",
        "trials-by-cell-type",
        "trial",
        "trials-by-phase",
        "ungrounded-mentions",
    ):
        assert name in result.stdout


def test_unknown_query_lists_the_known_ones(store: Path) -> None:
    result = run("query", "trials-by-diesase", "--store", store)
    assert result.exit_code == 1
    assert "unknown query 'trials-by-diesase'; known:" in result.stderr
    assert "trials-by-condition" in result.stderr


def test_missing_parameter_is_explained(store: Path) -> None:
    result = run("query", "trials-by-condition", "--store", store)
    assert result.exit_code == 1
    assert "--param condition=" in result.stderr


def test_sparql_select_gives_standard_csv(store: Path) -> None:
    result = run(
        "sparql", "SELECT ?id WHERE { ?t trialkg:nctId ?id }", "--format", "csv", "--store", store
    )
    assert result.stdout.splitlines() == ["id", SEED_ID]


def test_sparql_construct_gives_turtle(store: Path) -> None:
    result = run(
        "sparql",
        "CONSTRUCT { ?t trialkg:condition ?c } WHERE { ?t trialkg:condition ?c }",
        "--store",
        store,
    )
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    assert len(graph) == 1


def test_sparql_syntax_error_is_one_line(store: Path) -> None:
    result = run("sparql", "SELEKT nothing", "--store", store)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: SPARQL syntax error")


def test_export_turtle_links_the_trial_to_doid_and_cl(store: Path) -> None:
    result = run("export", "--format", "turtle", "--store", store)
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    trial = rdflib.URIRef(f"https://w3id.org/trialkg/trial/{SEED_ID}")
    vocab = rdflib.Namespace("https://w3id.org/trialkg/vocab#")
    obo = rdflib.Namespace("http://purl.obolibrary.org/obo/")
    assert (trial, vocab.condition, obo.DOID_5426) in graph
    assert obo.CL_0000134 in set(graph.objects(None, vocab.cellType))
    assert "@prefix obo:" in result.stdout


@pytest.mark.parametrize(
    "fmt,rdflib_format",
    [
        ("ntriples", "nt"),
        ("nquads", "nquads"),
        ("trig", "trig"),
        ("rdfxml", "xml"),
        ("jsonld", "json-ld"),
    ],
)
def test_export_formats_parse_in_rdflib(store: Path, fmt: str, rdflib_format: str) -> None:
    result = run("export", "--format", fmt, "--store", store)
    assert result.exit_code == 0
    if fmt in ("nquads", "trig"):
        dataset = rdflib.Dataset(default_union=True)
        dataset.parse(data=result.stdout, format=rdflib_format)
        statements = len(list(dataset.quads()))
    else:
        statements = len(rdflib.Graph().parse(data=result.stdout, format=rdflib_format))
    assert statements > 50


def test_export_to_a_file(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "kg.nq"
    result = run("export", "--format", "nquads", "--graph", "all", "--out", out, "--store", store)
    assert result.exit_code == 0
    assert len(list(ox.parse(path=out, format=ox.RdfFormat.N_QUADS))) > 100


def test_malformed_record_is_rejected_while_good_ones_load(tmp_path: Path) -> None:
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\x00\x01\x02 not a record")
    path = tmp_path / "kg.db"
    result = run("build", SEED, bad, "--store", path)
    assert result.exit_code == 1
    assert "broken.txt" in result.stderr
    assert "trials loaded: 1" in result.stderr
    found = run("query", "trials-by-condition", "--param", "condition=DOID:1100", "--store", path)
    assert SEED_ID in found.stdout


def test_missing_record_file_is_rejected_not_fatal(tmp_path: Path) -> None:
    result = run("build", SEED, tmp_path / "nope.txt", "--store", tmp_path / "kg.db")
    assert result.exit_code == 1
    assert "nope.txt" in result.stderr and "no such file" in result.stderr
    assert "trials loaded: 1" in result.stderr


def test_build_with_full_releases(tmp_path: Path) -> None:
    path = tmp_path / "kg.db"
    result = run(
        "build", SEED, "--ontology", DOID_NCIT_2026, "--ontology", CL_EDIT_OWL, "--store", path
    )
    assert result.exit_code == 0, result.stderr
    listed = run("ontologies", "list", "--store", path)
    assert "doid-NCIthesaurus-subset-2026-07-31.obo" in listed.stdout
    assert "cl-edit-2026-08-19.owl" in listed.stdout


def test_build_keeps_every_release_of_an_ontology(tmp_path: Path, doid_heads: list[Path]) -> None:
    path = tmp_path / "kg.db"
    files = doid_heads  # three releases, each cut to its first 300 terms
    result = run("build", SEED, *(a for f in files for a in ("--ontology", f)), "--store", path)
    assert result.exit_code == 0, result.stderr
    graphs = re.findall(r"^ontology doid: \d+ triples in <([^>]+)>", result.stderr, re.M)
    assert len(set(graphs)) == 3
    listed = run("ontologies", "list", "--store", path).stdout.splitlines()
    rows = [dict(zip(listed[0].split("\t"), line.split("\t"), strict=True)) for line in listed[1:]]
    assert [row["source"] for row in rows] == [f.name for f in files]  # oldest first
    assert [row["graph"] for row in rows] == graphs
    assert [row["terms"] for row in rows] == ["300", "300", "300"]


def test_build_summary_lists_what_the_store_holds(tmp_path: Path, doid_heads: list[Path]) -> None:
    ncit = doid_heads[1]  # the NCIt subset 2026, its first 300 terms: the same release
    twice = ("--ontology", ncit, "--ontology", ncit)  # one release, one graph
    result = run("build", SEED, *twice, "--store", tmp_path / "kg.db")
    assert result.exit_code == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("ontology ")]
    assert line.startswith("ontology doid: ") and NCIT_2026_GRAPH in line


def test_query_without_a_store_says_how_to_build_one(tmp_path: Path) -> None:
    result = run(
        "query",
        "trials-by-condition",
        "--param",
        "condition=DOID:1100",
        "--store",
        tmp_path / "missing.db",
    )
    assert result.exit_code == 1
    assert "trialkg build" in result.stderr


def test_slim_keeps_the_seed_terms_and_their_ancestors(tmp_path: Path) -> None:
    out = tmp_path / "doid-slim.ttl"
    result = run("ontologies", "slim", "--ontology", DOID_NCIT_2026, "--out", out)
    assert result.exit_code == 0, result.stderr
    graph = rdflib.Graph().parse(out, format="turtle")
    obo = rdflib.Namespace("http://purl.obolibrary.org/obo/")
    subjects = set(graph.subjects())
    assert {obo.DOID_5426, obo.DOID_1100, obo.DOID_4} <= subjects
    assert len(subjects) < 30
    owl = rdflib.OWL
    (ontology,) = graph.subjects(rdflib.RDF.type, owl.Ontology)
    assert graph.value(ontology, owl.versionIRI) is not None
    assert graph.value(ontology, rdflib.DCTERMS.license) is not None
