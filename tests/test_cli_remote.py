"""trialkg against a SPARQL 1.1 store over HTTP: a real ``oxigraph serve`` on loopback."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner, Result
from rdflib.compare import IsomorphicGraph, graph_diff, to_isomorphic
from starlette.testclient import TestClient

from kg.cli import main
from kg.server import create_app
from kg.store import open_store
from kg.store.remote import Endpoints, RemoteStore

from conftest import OVARIAN_DISEASE, SEED

SEED_ID = "NCT03877471"
SEED_GRAPH = ox.NamedNode("https://w3id.org/trialkg/graph/hpscreg/48")
GENERATED_AT = "http://www.w3.org/ns/prov#generatedAtTime"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _built(url: str, *args: str | Path) -> None:
    result = run("build", *args, "--store", url)
    assert result.exit_code == 0, result.stderr


def _second_trial(folder: Path) -> Path:
    """A second registry record, made from the seed with another NCT number."""
    record = folder / "hpscreg-1001.txt"
    record.write_text(SEED.read_text(encoding="utf-8").replace(SEED_ID, "NCT00000001"), "utf-8")
    return record


def _trial_ids(url: str) -> list[str]:
    result = run("query", "trials-by-phase", "--format", "json", "--store", url)
    assert result.exit_code == 0, result.stderr
    return sorted({row["id"] for row in json.loads(result.stdout)})


def test_trials_by_condition_on_a_remote_store_finds_the_seed(remote_url: str) -> None:
    _built(remote_url)
    result = run(
        "query",
        "trials-by-condition",
        "--param",
        f"condition={OVARIAN_DISEASE}",
        "--store",
        remote_url,
    )
    assert result.exit_code == 0, result.stderr
    assert SEED_ID in result.stdout
    assert "obo:DOID_5426" in result.stdout


def test_load_adds_a_trial_to_a_remote_store(remote_url: str, tmp_path: Path) -> None:
    _built(remote_url)
    result = run("load", _second_trial(tmp_path), "--store", remote_url)
    assert result.exit_code == 0, result.stderr
    assert "trials loaded: 1" in result.stderr
    assert _trial_ids(remote_url) == ["NCT00000001", SEED_ID]


def test_reloading_a_trial_replaces_its_remote_graph(remote_url: str) -> None:
    _built(remote_url)
    with RemoteStore(Endpoints.from_base(remote_url)) as store:
        before = len(store), len(list(store.quads(graph=SEED_GRAPH)))
    assert run("load", SEED, "--store", remote_url).exit_code == 0
    with RemoteStore(Endpoints.from_base(remote_url)) as store:
        after = len(store), len(list(store.quads(graph=SEED_GRAPH)))
        stamps = store.quads(predicate=ox.NamedNode(GENERATED_AT), graph=SEED_GRAPH)
        assert len(list(stamps)) == 1
    assert after == before


def test_a_rebuild_drops_trials_no_longer_given_and_keeps_other_graphs(
    remote_url: str, tmp_path: Path
) -> None:
    _built(remote_url, SEED, _second_trial(tmp_path))
    foreign = ox.NamedNode("https://example.org/someone-elses-graph")
    with RemoteStore(Endpoints.from_base(remote_url)) as store:
        store.replace_graph(foreign, [ox.Quad(foreign, foreign, ox.Literal("x"), foreign)])
    result = run("build", SEED, "--store", remote_url)
    assert result.exit_code == 0, result.stderr
    assert "dropped 1 graphs no longer in the input" in result.stderr
    assert _trial_ids(remote_url) == [SEED_ID]
    with RemoteStore(Endpoints.from_base(remote_url)) as store:
        assert store.has_graph(foreign)


def test_a_rebuild_drops_a_release_no_longer_given(remote_url: str, doid_heads: list[Path]) -> None:
    old, new, _ = doid_heads
    _built(remote_url, SEED, "--ontology", old, "--ontology", new)
    assert [row["source"] for row in _listed(remote_url)] == [old.name, new.name]
    result = run("build", SEED, "--ontology", new, "--store", remote_url)
    assert result.exit_code == 0, result.stderr
    assert "dropped 1 graphs no longer in the input" in result.stderr
    (row,) = _listed(remote_url)
    assert row["source"] == new.name
    with RemoteStore(Endpoints.from_base(remote_url)) as store:
        doid = [g.value for g in store.named_graphs() if "/graph/ontology/doid/" in g.value]
        assert doid == [row["graph"]]


def _listed(url: str) -> list[dict[str, str]]:
    """The releases ``ontologies list`` shows, each by column name."""
    result = run("ontologies", "list", "--store", url)
    assert result.exit_code == 0, result.stderr
    header, *lines = (line.split("\t") for line in result.stdout.splitlines())
    return [dict(zip(header, line, strict=True)) for line in lines]


def _isomorphic_graphs(nquads: bytes) -> dict[str, IsomorphicGraph]:
    """Each named graph of an N-Quads dump, load times blanked (two builds differ only there)."""
    lines: dict[str, list[str]] = defaultdict(list)
    for q in ox.parse(nquads, ox.RdfFormat.N_QUADS):
        obj = ox.Literal("load time") if q.predicate.value == GENERATED_AT else q.object
        lines[q.graph_name.value].append(f"{q.subject} {q.predicate} {obj} .")
    return {
        graph: to_isomorphic(rdflib.Graph().parse(data="\n".join(text), format="nt"))
        for graph, text in lines.items()
    }


def test_export_from_a_remote_store_equals_export_from_a_folder(
    remote_url: str, tmp_path: Path
) -> None:
    _built(remote_url)
    _built(str(tmp_path / "kg.db"))
    remote = run("export", "--format", "nquads", "--graph", "all", "--store", remote_url)
    local = run("export", "--format", "nquads", "--graph", "all", "--store", tmp_path / "kg.db")
    remote_graphs = _isomorphic_graphs(remote.stdout_bytes)
    local_graphs = _isomorphic_graphs(local.stdout_bytes)
    assert sorted(remote_graphs) == sorted(local_graphs)
    for name, graph in local_graphs.items():
        if graph != remote_graphs[name]:
            _, only_local, only_remote = graph_diff(graph, remote_graphs[name])
            pytest.fail(
                f"graph {name} differs\nonly local:\n{only_local.serialize(format='nt')}"
                f"only remote:\n{only_remote.serialize(format='nt')}"
            )


def test_endpoints_given_one_by_one_without_graph_store_protocol(remote_url: str) -> None:
    options = [
        "--store-query",
        f"{remote_url}/query",
        "--store-update",
        f"{remote_url}/update",
    ]
    assert run("build", *options).exit_code == 0
    # Oxigraph's default graph is not the union unless asked: query the union explicitly.
    result = run(
        "sparql",
        "SELECT ?id WHERE { GRAPH ?g { ?t trialkg:nctId ?id } }",
        "--format",
        "csv",
        *options,
    )
    assert result.stdout.split() == ["id", SEED_ID]


def test_sparql_answers_select_and_construct_from_a_remote_store(remote_url: str) -> None:
    _built(remote_url)
    select = run("sparql", "SELECT ?id WHERE { ?t trialkg:nctId ?id }", "--store", remote_url)
    assert json.loads(select.stdout)["results"]["bindings"][0]["id"]["value"] == SEED_ID
    construct = run(
        "sparql",
        "CONSTRUCT { ?t dcterms:title ?title } "
        "WHERE { ?t trialkg:nctId ?id ; dcterms:title ?title }",
        "--store",
        remote_url,
    )
    graph = rdflib.Graph().parse(data=construct.stdout, format="turtle")
    assert [str(title) for title in graph.objects()] == [
        "Mesenchymal Stem Cells (MSCs) - Like Cell Transplantation in Women With "
        "Primary Ovarian Insufficiency"
    ]


def test_the_server_serves_a_remote_store(remote_url: str) -> None:
    _built(remote_url)
    store = open_store(remote_url, read_only=True)
    try:
        client = TestClient(create_app(store))
        trial = client.get(
            f"/trial/{SEED_ID}", headers={"Accept": "text/turtle"}, follow_redirects=False
        )
        assert trial.status_code == 303
        assert "Primary Ovarian Insufficiency" in trial.text
        answer = client.get(
            "/sparql", params={"query": "SELECT ?id WHERE { ?t trialkg:nctId ?id }"}
        )
        assert [b["id"]["value"] for b in answer.json()["results"]["bindings"]] == [SEED_ID]
        listing = client.get("/term/DOID:1100", headers={"Accept": "application/json"}).json()
        assert [t["id"] for t in listing["trials"]] == [SEED_ID] and listing["total"] == 1
        assert client.get("/health").json()["quads"] == len(store)
    finally:
        store.close()


def test_ontologies_and_mappings_commands_read_a_remote_store(remote_url: str) -> None:
    _built(remote_url)
    listed = run("ontologies", "list", "--store", remote_url)
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()[1:]] == ["cl", "doid"]
    mappings = run("mappings", "export", "--store", remote_url)
    assert "DOID:5426" in mappings.stdout
