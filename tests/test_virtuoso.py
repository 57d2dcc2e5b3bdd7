"""trialkg against OpenLink Virtuoso 7: the contract of the embedded store, on a real Virtuoso.

A Virtuoso of its own (Debian's ``virtuoso-opensource``, started by :mod:`virtuoso_server` on
free loopback ports) is written to with the README's options and credentials (Digest auth,
``/sparql-auth`` and ``/sparql-graph-crud-auth``), and must give what a folder gives: the same
rows for every named query, the same export, the same trial page. Skipped, saying why, when
Virtuoso is not installed (``.ci/run`` installs it when it can).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import virtuoso_server
from click.testing import CliRunner, Result
from starlette.testclient import TestClient
from virtuoso_server import STOCK_MAX_ROWS, Virtuoso

from kg.cli import main
from kg.queries import load_queries, run_named
from kg.server import create_app
from kg.store import QuadStore, Store, open_store
from kg.store.remote import Endpoints, RemoteStore, auth_from_env

from conftest import CL_EDIT_OWL, DOID_NCIT_2026, OVARIAN_DISEASE, SEED

SEED_ID = "NCT03877471"
SEED_GRAPH = ox.NamedNode("https://w3id.org/trialkg/graph/hpscreg/48")
CTGOV_XML = Path(__file__).parent / "readers" / "fixtures" / "ctgov-NCT03877471.xml"
GENERATED_AT = "http://www.w3.org/ns/prov#generatedAtTime"
QUERIES = load_queries()


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A Virtuoso 7 on loopback for this module (skipped when not installed)."""
    yield from virtuoso_server.running(tmp_path_factory)


@pytest.fixture
def virtuoso_env(virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch) -> Virtuoso:
    """The module's Virtuoso, emptied, its credentials in the environment."""
    return virtuoso_server.emptied(virtuoso, monkeypatch)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _endpoints(server: Virtuoso) -> Endpoints:
    return Endpoints(query=server.query_url, update=server.update_url, gsp=server.gsp_url)


def _opened(server: Virtuoso, *, read_only: bool = True) -> RemoteStore:
    return RemoteStore(_endpoints(server), read_only=read_only, auth=auth_from_env(server.env))


def _built(server: Virtuoso, *args: str | Path) -> Result:
    result = run("build", *args, *server.options())
    assert result.exit_code == 0, result.stderr
    return result


# -- the Done-when of the issue ---------------------------------------------------------------


def test_build_with_the_readmes_options_stores_the_seed(virtuoso_env: Virtuoso) -> None:
    result = _built(virtuoso_env, SEED.parent)
    quads = int(re.search(r": (\d+) quads", result.stderr).group(1))  # type: ignore[union-attr]
    with _opened(virtuoso_env) as store:
        assert store.has_graph(SEED_GRAPH)
        assert quads == len(store) < 5000  # Virtuoso's own graphs (2,496 quads) not counted
        assert all(g.value.startswith("https://w3id.org/trialkg/") for g in store.named_graphs())
    query = run(
        "query",
        "trials-by-condition",
        "--param",
        f"condition={OVARIAN_DISEASE}",
        *virtuoso_env.options(),
    )
    assert query.exit_code == 0, query.stderr
    assert SEED_ID in query.stdout and "obo:DOID_5426" in query.stdout


def test_reloading_a_changed_record_replaces_its_graph(
    virtuoso_env: Virtuoso, tmp_path: Path
) -> None:
    _built(virtuoso_env, SEED)
    with _opened(virtuoso_env) as store:
        before = len(list(store.quads(graph=SEED_GRAPH)))
    changed = tmp_path / SEED.name
    changed.write_text(
        SEED.read_text(encoding="utf-8").replace("Primary Ovarian Insufficiency", "POI (renamed)"),
        encoding="utf-8",
    )
    result = run("load", changed, *virtuoso_env.options())
    assert result.exit_code == 0, result.stderr
    with _opened(virtuoso_env) as store:
        quads = list(store.quads(graph=SEED_GRAPH))
    titles = [q.object.value for q in quads if q.predicate.value.endswith("/title")]
    assert len(quads) == before > 50
    assert titles and all("POI (renamed)" in title for title in titles)


def test_the_server_serves_the_trial_page_from_virtuoso(virtuoso_env: Virtuoso) -> None:
    _built(virtuoso_env, SEED)
    store = open_store(_endpoints(virtuoso_env), read_only=True)
    try:
        client = TestClient(create_app(store))
        page = client.get(f"/doc/trial/{SEED_ID}.html")
        assert page.status_code == 200, page.text[:500]
        assert "Primary Ovarian Insufficiency" in page.text and "per ovary" in page.text
        turtle = client.get(
            f"/trial/{SEED_ID}", headers={"Accept": "text/turtle"}, follow_redirects=False
        )
        assert turtle.status_code == 303 and "Primary Ovarian Insufficiency" in turtle.text
        listing = client.get("/term/DOID:1100", headers={"Accept": "application/json"}).json()
        assert [t["id"] for t in listing["trials"]] == [SEED_ID]
        assert client.get("/health").json()["quads"] == len(store)
    finally:
        store.close()


# -- the same answers as a folder -------------------------------------------------------------


@pytest.fixture(scope="module")
def records(
    tmp_path_factory: pytest.TempPathFactory, generate: ModuleType, vocabulary: Any
) -> list[Path]:
    """The seed, its ClinicalTrials.gov record (two sources of one trial) and 300 synthetic
    studies (ages, booleans, doubles, conditions of the full DOID)."""
    folder = tmp_path_factory.mktemp("records")
    studies = folder / "generated.jsonl"
    with studies.open("w", encoding="utf-8") as out:
        generate.write_jsonl(generate.generate(300, seed=11, vocabulary=vocabulary), out)
    return [SEED, CTGOV_XML, studies]


@pytest.fixture(scope="module")
def folder_store(tmp_path_factory: pytest.TempPathFactory, records: list[Path]) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("folder") / "kg.db"
    ontologies = ["--ontology", DOID_NCIT_2026, "--ontology", CL_EDIT_OWL]
    result = run("build", *records, *ontologies, "--store", path)
    assert result.exit_code == 0, result.stderr
    store = Store.open_read_only(path)
    yield store
    store.close()


@pytest.fixture(scope="module")
def virtuoso_built(virtuoso: Virtuoso, records: list[Path]) -> Iterator[Virtuoso]:
    """The module's Virtuoso built from :func:`records` with the full DOID and CL releases
    (the CL editors' file: 10,000s of triples in one graph, blank nodes by the thousand)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in virtuoso.env.items():
            patch.setenv(name, value)
        ontologies = ["--ontology", DOID_NCIT_2026, "--ontology", CL_EDIT_OWL]
        _built(virtuoso, *records, *ontologies)
        yield virtuoso


def _cases() -> list[tuple[str, dict[str, str]]]:
    examples = {
        "trials-by-condition": [{"condition": OVARIAN_DISEASE}, {"condition": "DOID:4"}],
        "trials-by-cell-type": [{"cell_type": "CL:0000048"}, {"cell_type": "CL:0000000"}],
        "trial": [{"trial": SEED_ID}],
        "trials-by-phase": [{}, {"phase": "PHASE1"}],
        "dose-arms": [{}, {"trial": SEED_ID}],
        "conflicts": [{}, {"trial": SEED_ID}],
    }
    return [(name, params) for name in sorted(QUERIES) for params in examples.get(name, [{}])]


def _rows(store: QuadStore, name: str, params: dict[str, str]) -> list[tuple[str, ...]]:
    answer = run_named(store, QUERIES[name], params)
    assert isinstance(answer, ox.QuerySolutions)
    names = [v.value for v in answer.variables]
    return [tuple(str(row[v]) if row[v] is not None else "" for v in names) for row in answer]


def _order_keys(name: str, rows: list[tuple[str, ...]], store: QuadStore) -> list[tuple[str, ...]]:
    """The projected ORDER BY variables of each row, in the order the store gave them."""
    text = QUERIES[name].sparql
    order = text[text.rindex("ORDER BY") :]
    head = re.search(r"SELECT DISTINCT (.*?) WHERE", text)
    assert head
    columns = re.findall(r"\?(\w+)", head.group(1))
    keys = [columns.index(v) for v in re.findall(r"\?(\w+)", order) if v in columns]
    return [tuple(row[k] for k in keys) for row in rows]


@pytest.mark.parametrize(("name", "params"), _cases(), ids=lambda v: str(v))
def test_every_named_query_gives_virtuoso_the_folders_rows(
    virtuoso_built: Virtuoso, folder_store: Store, name: str, params: dict[str, str]
) -> None:
    expected = _rows(folder_store, name, params)
    with _opened(virtuoso_built) as remote:
        found = _rows(remote, name, params)
    assert Counter(found) == Counter(expected)
    assert _order_keys(name, found, remote) == _order_keys(name, expected, folder_store)


def test_the_comparison_covers_what_virtuoso_gets_wrong(folder_store: Store) -> None:
    """The records hold what Virtuoso writes differently: ages, booleans, doubles, conflicts."""
    trial = _rows(folder_store, "trial", {"trial": SEED_ID})
    datatypes = {(row[1].strip('"'), row[2].rpartition("#")[2]) for row in trial}
    assert ("minimumAge", "duration>") in datatypes
    assert ("healthyVolunteers", "boolean>") in datatypes
    assert ("intervention/doseArm/cellCount", "double>") in datatypes
    assert len(_rows(folder_store, "conflicts", {})) >= 2
    assert len(_rows(folder_store, "ungrounded-mentions", {})) >= 3


def _graphs(nquads: bytes) -> dict[str, Counter[str]]:
    """Each named graph of an N-Quads dump as a multiset of triples, load times blanked (two
    builds differ only there) and each blank node written as what it describes.

    rdflib's isomorphism takes too long on the CL editors' file; its blank nodes (OWL
    restrictions and lists) form trees, which a description of their own identifies.
    """
    by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
    for q in ox.parse(nquads, ox.RdfFormat.N_QUADS):
        by_graph[q.graph_name.value].append(q)
    graphs = {}
    for name, quads in by_graph.items():
        described: dict[str, list[tuple[str, object]]] = defaultdict(list)
        for q in quads:
            if isinstance(q.subject, ox.BlankNode):
                described[q.subject.value].append((str(q.predicate), q.object))

        def term(value: object, depth: int = 0, described: dict[str, list[Any]] = described) -> str:
            if isinstance(value, ox.BlankNode) and depth < 50:
                below = described[value.value]
                inner = sorted(f"{p} {term(o, depth + 1)}" for p, o in below)
                return "[" + "; ".join(inner) + "]"
            return str(value)

        graphs[name] = Counter(
            f"{term(q.subject)} {q.predicate} "
            + ('"load time"' if q.predicate.value == GENERATED_AT else term(q.object))
            for q in quads
        )
    return graphs


def test_export_from_virtuoso_equals_export_from_a_folder(
    virtuoso_built: Virtuoso, folder_store: Store
) -> None:
    """Every graph, the CL editors' file (over Virtuoso's 10,000-row cap) and its blank nodes
    included, read back as the folder holds it."""
    remote = run("export", "--format", "nquads", "--graph", "all", *virtuoso_built.options())
    assert remote.exit_code == 0, remote.stderr
    local = run("export", "--format", "nquads", "--graph", "all", "--store", folder_store.path)
    remote_graphs = _graphs(remote.stdout_bytes)
    local_graphs = _graphs(local.stdout_bytes)
    assert sorted(remote_graphs) == sorted(local_graphs)
    for name, graph in local_graphs.items():
        only_local, only_remote = graph - remote_graphs[name], remote_graphs[name] - graph
        assert not only_local and not only_remote, (
            f"graph {name} differs\nonly local:\n{list(only_local)[:20]}\n"
            f"only remote:\n{list(only_remote)[:20]}"
        )
    largest = max(graph.total() for graph in local_graphs.values())
    assert largest > STOCK_MAX_ROWS


# -- reads that cannot be cut short -----------------------------------------------------------


def test_a_query_virtuoso_cuts_at_its_row_cap_is_an_error(virtuoso_built: Virtuoso) -> None:
    result = CliRunner().invoke(
        main, ["sparql", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", *virtuoso_built.options()]
    )
    assert result.exit_code == 1
    assert "cut its answer at 10,000 rows" in result.stderr and "ResultSetMaxRows" in result.stderr


def test_more_graphs_than_the_row_cap_are_all_listed(virtuoso_env: Virtuoso) -> None:
    count = STOCK_MAX_ROWS + 1500
    (virtuoso_env.folder / "graphs.nq").write_text(
        "".join(
            f'<https://example.org/s> <https://example.org/n> "{i}" '
            f"<https://example.org/graph/{i}> .\n"
            for i in range(count)
        ),
        encoding="utf-8",
    )
    virtuoso_env.isql(
        f"ld_dir('{virtuoso_env.folder}', 'graphs.nq', 'https://example.org/default')",
        "rdf_loader_run()",
    )
    with _opened(virtuoso_env) as store:
        graphs = list(store.named_graphs())
        assert len(graphs) == len(set(graphs)) == count
        assert len(store) == count


# -- writes that cannot be lost ---------------------------------------------------------------


def test_virtuoso_stores_nothing_from_a_chunked_body(virtuoso_env: Virtuoso) -> None:
    """Why trialkg never streams a body: Virtuoso answers a chunked PUT with success."""
    graph = "https://example.org/chunked"

    def body() -> Iterator[bytes]:
        yield b'<https://example.org/s> <https://example.org/p> "o" .\n'

    auth = httpx.DigestAuth(
        virtuoso_env.env["TRIALKG_STORE_USER"], virtuoso_env.env["TRIALKG_STORE_PASSWORD"]
    )
    with httpx.Client(auth=auth) as client:
        client.get(virtuoso_env.gsp_url, params={"graph": graph})  # the Digest challenge
        answer = client.put(
            virtuoso_env.gsp_url,
            params={"graph": graph},
            content=body(),
            headers={"Content-Type": "text/turtle"},
        )
    assert answer.is_success
    with _opened(virtuoso_env) as store:
        assert not store.has_graph(ox.NamedNode(graph))


def test_blank_nodes_and_day_time_durations_reach_virtuoso_through_updates(
    virtuoso_env: Virtuoso,
) -> None:
    """Without a GSP URL: blank nodes in templates, and the durations INSERT DATA refuses."""
    graph = ox.NamedNode("https://example.org/updates")
    xsd = "http://www.w3.org/2001/XMLSchema#"
    subject, link = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p")
    quads = [
        ox.Quad(subject, link, ox.Literal(str(i), datatype=ox.NamedNode(f"{xsd}integer")), graph)
        for i in range(2500)
    ]
    for i in range(300):
        node = ox.BlankNode()
        quads += [
            ox.Quad(subject, link, node, graph),
            ox.Quad(node, link, ox.Literal(f"b{i}"), graph),
        ]
    endpoints = Endpoints(query=virtuoso_env.query_url, update=virtuoso_env.update_url)
    with RemoteStore(endpoints, auth=auth_from_env(virtuoso_env.env)) as store:
        store.replace_graph(graph, quads)
        store.flush()
        rows = store.query(
            f"SELECT ?v WHERE {{ GRAPH {graph} {{ {subject} {link} ?b . ?b {link} ?v }} }}"
        )
        assert {row["v"].value for row in rows} == {f"b{i}" for i in range(300)}
        assert len(list(store.quads(graph=graph))) == 2500 + 600


def test_an_n_quads_export_bulk_loads_into_virtuoso_as_the_readme_says(
    virtuoso_env: Virtuoso, tmp_path: Path
) -> None:
    folder = tmp_path / "kg.db"
    assert run("build", SEED, CTGOV_XML, "--store", folder).exit_code == 0
    dump = virtuoso_env.folder / "kg.nq"
    exported = run(
        "export", "--format", "nquads", "--graph", "all", "--store", folder, "--out", dump
    )
    assert exported.exit_code == 0, exported.stderr
    virtuoso_env.isql(
        f"ld_dir('{virtuoso_env.folder}', 'kg.nq', 'https://w3id.org/trialkg/graph/dump')",
        "rdf_loader_run()",
        "checkpoint",
    )
    result = run("query", "conflicts", "--format", "json", *virtuoso_env.options())
    assert result.exit_code == 0, result.stderr
    assert sorted(row["value"] for row in json.loads(result.stdout)) == ["2019-04-01", "2019-04-03"]
    local = Store.open_read_only(folder)
    try:
        with _opened(virtuoso_env) as store:
            assert len(store) == len(local)
    finally:
        local.close()
    shutil.rmtree(folder)
