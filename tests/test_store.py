"""The store: atomic graph replacement, read-only opening, queries with bound parameters."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import QueryError, StoreError
from kg.store import Store

G = ox.NamedNode("https://example.org/graph/1")
S = ox.NamedNode("https://example.org/s")
P = ox.NamedNode("https://example.org/p")


def quad(value: str, graph: ox.NamedNode = G) -> ox.Quad:
    return ox.Quad(S, P, ox.Literal(value), graph)


def test_replace_graph_replaces_instead_of_duplicating() -> None:
    store = Store.in_memory()
    store.replace_graph(G, [quad("a"), quad("b")])
    store.replace_graph(G, [quad("c")])
    assert [q.object.value for q in store.quads(graph=G)] == ["c"]


def test_a_large_graph_replaces_the_same_in_a_store_nobody_reads_yet(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "staging")
    store.unread = True  # a build's staging store: a new graph goes through the bulk loader
    assert store.replace_graph_large(G, [quad("a"), quad("b")]) == 2
    assert store.replace_graph_large(G, [quad("c")]) == 1  # held already: replaced
    assert [q.object.value for q in store.quads(graph=G)] == ["c"]


def test_replace_graph_leaves_other_graphs_alone() -> None:
    store = Store.in_memory()
    other = ox.NamedNode("https://example.org/graph/2")
    store.replace_graph(other, [quad("keep", other)])
    store.replace_graph(G, [quad("x")])
    assert len(list(store.quads(graph=other))) == 1


def test_replace_graph_refuses_a_quad_of_another_graph_and_keeps_the_old_content() -> None:
    store = Store.in_memory()
    store.replace_graph(G, [quad("old")])
    with pytest.raises(StoreError):
        store.replace_graph(G, [quad("new"), quad("stray", ox.NamedNode("https://example.org/x"))])
    assert [q.object.value for q in store.quads(graph=G)] == ["old"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_literal_text_survives_replace_graph(text: str) -> None:
    store = Store.in_memory()
    store.replace_graph(G, [quad(text), ox.Quad(ox.BlankNode(), P, ox.Literal(text), G)])
    assert {q.object.value for q in store.quads(graph=G)} == {text}


def test_query_binds_parameters_as_terms() -> None:
    store = Store.in_memory()
    store.replace_graph(G, [quad("a")])
    rows = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }", substitutions={"s": S})
    assert [row["o"].value for row in rows] == ["a"]


def test_query_syntax_error_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        Store.in_memory().query("SELECT WHERE {")


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "kg.db"
    writer = Store.open(path)
    writer.replace_graph(G, [quad("a")])
    writer.flush()
    del writer
    reader = Store.open_read_only(path)
    assert len(reader) == 1
    with pytest.raises(StoreError, match="read-only"):
        reader.replace_graph(G, [quad("b")])


def test_opening_a_missing_store_read_only_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="trialkg build"):
        Store.open_read_only(tmp_path / "nothing")
