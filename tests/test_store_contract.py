"""One contract, three stores: embedded Oxigraph and SPARQL 1.1 stores over HTTP.

Every test here runs against :class:`kg.store.Store` in memory and against
:class:`kg.store.remote.RemoteStore` talking to a real ``oxigraph serve`` and to a real
Virtuoso 7 (Debian's package, started by :mod:`virtuoso_server`), both on loopback.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
import virtuoso_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from virtuoso_server import Virtuoso

from kg.errors import QueryError, StoreError
from kg.store import QuadStore, Store
from kg.store.remote import Endpoints, RemoteStore, auth_from_env

G = ox.NamedNode("https://example.org/graph/1")
G2 = ox.NamedNode("https://example.org/graph/2")
S = ox.NamedNode("https://example.org/s")
P = ox.NamedNode("https://example.org/p")
Q = ox.NamedNode("https://example.org/q")


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A Virtuoso 7 on loopback for this module (skipped when not installed)."""
    yield from virtuoso_server.running(tmp_path_factory)


@pytest.fixture
def virtuoso_env(virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch) -> Virtuoso:
    """The module's Virtuoso, emptied, its credentials in the environment."""
    return virtuoso_server.emptied(virtuoso, monkeypatch)


def quad(value: str, graph: ox.NamedNode = G) -> ox.Quad:
    return ox.Quad(S, P, ox.Literal(value), graph)


@pytest.fixture(params=["embedded", "remote", "virtuoso"])
def store(request: pytest.FixtureRequest) -> Iterator[QuadStore]:
    if request.param == "embedded":
        yield Store.in_memory()
        return
    if request.param == "virtuoso":
        server: Virtuoso = request.getfixturevalue("virtuoso_env")
        endpoints = Endpoints(query=server.query_url, update=server.update_url, gsp=server.gsp_url)
        with RemoteStore(endpoints, auth=auth_from_env(server.env)) as remote:
            yield remote
        return
    url = request.getfixturevalue("remote_url")
    with RemoteStore(Endpoints.from_base(url)) as remote:
        yield remote


def test_replace_graph_replaces_instead_of_duplicating(store: QuadStore) -> None:
    store.replace_graph(G, [quad("a"), quad("b")])
    store.replace_graph(G, [quad("c")])
    assert [q.object.value for q in store.quads(graph=G)] == ["c"]


def test_replace_graph_leaves_other_graphs_alone(store: QuadStore) -> None:
    store.replace_graph(G2, [quad("keep", G2)])
    store.replace_graph(G, [quad("x")])
    assert len(list(store.quads(graph=G2))) == 1


def test_replace_graph_refuses_a_quad_of_another_graph_and_keeps_the_old_content(
    store: QuadStore,
) -> None:
    store.replace_graph(G, [quad("old")])
    with pytest.raises(StoreError):
        store.replace_graph(G, [quad("new"), quad("stray", G2)])
    assert [q.object.value for q in store.quads(graph=G)] == ["old"]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text())
def test_any_literal_text_survives_replace_graph(store: QuadStore, text: str) -> None:
    store.replace_graph(G, [quad(text), ox.Quad(ox.BlankNode(), P, ox.Literal(text), G)])
    assert {q.object.value for q in store.quads(graph=G)} == {text}


@pytest.mark.parametrize("method", ["replace_graph", "replace_graph_large"])
def test_blank_nodes_keep_their_links(store: QuadStore, method: str) -> None:
    node = ox.BlankNode()
    quads = [ox.Quad(S, P, node, G), ox.Quad(node, Q, ox.Literal("inner"), G)]
    getattr(store, method)(G, quads)
    rows = store.query("SELECT ?s ?v WHERE { ?s ?p ?b . ?b ?q ?v }", substitutions={"s": S})
    assert [row["v"].value for row in rows] == ["inner"]


def test_query_binds_parameters_as_terms(store: QuadStore) -> None:
    store.replace_graph(G, [quad("a"), ox.Quad(Q, P, ox.Literal("b"), G)])
    rows = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }", substitutions={"s": S})
    assert [row["o"].value for row in rows] == ["a"]
    rows = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }", substitutions={"o": ox.Literal("b")})
    assert [row["s"] for row in rows] == [Q]


def test_query_declares_the_given_prefixes(store: QuadStore) -> None:
    store.replace_graph(G, [quad("a")])
    answer = store.query("ASK { ex:s ex:p 'a' }", prefixes={"ex": "https://example.org/"})
    assert isinstance(answer, ox.QueryBoolean)
    assert bool(answer)


def test_construct_gives_query_triples(store: QuadStore) -> None:
    store.replace_graph(G, [quad("a")])
    # Bound to S: Virtuoso's default graph also holds its own graphs.
    answer = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", substitutions={"s": S})
    assert isinstance(answer, ox.QueryTriples)
    assert list(answer) == [ox.Triple(S, P, ox.Literal("a"))]


def test_query_syntax_error_is_a_query_error(store: QuadStore) -> None:
    with pytest.raises(QueryError):
        store.query("SELECT WHERE {")


def test_default_graph_is_the_union_of_the_named_graphs_unless_told_otherwise(
    store: QuadStore,
) -> None:
    if isinstance(store, RemoteStore) and store.engine.name == "virtuoso":
        pytest.skip("Virtuoso's default graph is always the union of all its graphs")
    store.replace_graph(G, [quad("a")])
    assert bool(store.query("ASK { ?s ?p ?o }"))
    assert not bool(store.query("ASK { ?s ?p ?o }", union_default_graph=False))
    assert bool(store.query("ASK { ?s ?p ?o }", default_graphs=[G]))
    assert not bool(store.query("ASK { ?s ?p ?o }", default_graphs=[G2]))


def test_graphs_are_listed_found_and_removed(store: QuadStore) -> None:
    store.replace_graph(G, [quad("a")])
    store.replace_graph(G2, [quad("b", G2), quad("c", G2)])
    assert sorted(g.value for g in store.named_graphs()) == [G.value, G2.value]
    assert store.has_graph(G) and len(store) == 3
    assert store.remove_graph(G) is True
    assert store.remove_graph(G) is False
    assert not store.has_graph(G) and len(store) == 2


def test_quads_match_a_pattern_across_graphs(store: QuadStore) -> None:
    store.replace_graph(G, [quad("a"), ox.Quad(Q, Q, ox.Literal("a"), G)])
    store.replace_graph(G2, [quad("a", G2)])
    found = store.quads(predicate=P, obj=ox.Literal("a"))
    assert sorted(q.graph_name.value for q in found) == [G.value, G2.value]
    assert list(store.quads(subject=Q, graph=G)) == [ox.Quad(Q, Q, ox.Literal("a"), G)]


def test_update_runs_sparql_update(store: QuadStore) -> None:
    store.update(f"INSERT DATA {{ GRAPH {G} {{ {S} {P} 'u' }} }}")
    assert [q.object.value for q in store.quads(graph=G)] == ["u"]
    with pytest.raises(QueryError):
        store.update("INSERT DATA {")


def test_dump_writes_n_quads(store: QuadStore) -> None:
    store.replace_graph(G, [quad("a")])
    store.replace_graph(G2, [quad("b", G2)])
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_QUADS)
    assert set(ox.parse(out.getvalue(), ox.RdfFormat.N_QUADS)) == {quad("a"), quad("b", G2)}
