"""Query text for SPARQL endpoints: prefixes declared, parameters bound by VALUES."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.errors import QueryError
from kg.queries import load_queries
from kg.store.sparql_text import bind_values, counted, with_prefixes

DOID_1100 = ox.NamedNode("http://purl.obolibrary.org/obo/DOID_1100")


def _answers(text: str) -> list[str]:
    """Run ``text`` over a tiny store, to check the rewritten query parses and binds."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/t"), ox.NamedNode("http://x/p"), DOID_1100))
    store.add(ox.Quad(ox.NamedNode("http://x/u"), ox.NamedNode("http://x/p"), ox.Literal("{")))
    rows = store.query(text)
    assert isinstance(rows, ox.QuerySolutions)
    return sorted(str(row[0]) for row in rows)


def test_values_open_the_where_clause_not_a_brace_in_a_string_or_comment() -> None:
    text = '# a { in a comment\nSELECT ?t WHERE { ?t ?p ?d FILTER(?d != "}{") }'
    bound = bind_values(text, {"d": DOID_1100})
    assert _answers(bound) == ["<http://x/t>"]


def test_values_skip_a_construct_template() -> None:
    text = "CONSTRUCT { ?t <http://x/q> ?d } WHERE { ?t ?p ?d }"
    bound = bind_values(text, {"d": ox.Literal("{")})
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/u"), ox.NamedNode("http://x/p"), ox.Literal("{")))
    store.add(ox.Quad(ox.NamedNode("http://x/t"), ox.NamedNode("http://x/p"), DOID_1100))
    assert [t.subject.value for t in store.query(bound)] == ["http://x/u"]


def test_keywords_inside_iris_and_prefixed_names_are_not_the_query_form() -> None:
    text = "PREFIX construct: <http://x/#construct> SELECT ?t WHERE { ?t construct:p ?d }"
    bound = bind_values(text, {"d": DOID_1100})
    assert bound.index("VALUES") > bound.index("WHERE")
    ox.Store().query(bound)


def test_a_literal_with_quotes_and_newlines_is_bound_exactly() -> None:
    value = ox.Literal('say "hi"\n\\ {x}', language="en")
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/t"), ox.NamedNode("http://x/p"), value))
    rows = store.query(bind_values("SELECT ?t ?v WHERE { ?t ?p ?v }", {"v": value}))
    assert [row["t"].value for row in rows] == ["http://x/t"]


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_every_named_query_takes_its_parameters_as_values(name: str) -> None:
    query = load_queries()[name]
    values = {p.name: ox.NamedNode("http://x/value") for p in query.parameters}
    store = ox.Store()
    store.query(with_prefixes(bind_values(query.sparql, values), {"ex": "http://x/"}))


def test_short_form_construct_cannot_take_values() -> None:
    with pytest.raises(QueryError, match="short-form"):
        bind_values("CONSTRUCT WHERE { ?s ?p ?o }", {"s": DOID_1100})


def test_a_query_without_where_clause_cannot_take_values() -> None:
    with pytest.raises(QueryError, match="no WHERE clause"):
        bind_values("DESCRIBE <http://x/t>", {"s": DOID_1100})


def test_a_bad_variable_name_is_refused() -> None:
    with pytest.raises(QueryError, match="not a SPARQL variable"):
        bind_values("SELECT * WHERE { ?s ?p ?o }", {"s }": DOID_1100})


def test_counting_keeps_the_prologue_and_a_trailing_comment_out_of_the_way() -> None:
    text = "PREFIX ex: <http://x/>\n# SELECT in a comment\nSELECT ?t WHERE { ?t ?p ?d } # end"
    assert _answers(counted(text, "rows")) == ['"2"^^<http://www.w3.org/2001/XMLSchema#integer>']


def test_only_a_select_query_can_be_counted() -> None:
    with pytest.raises(QueryError, match="only a SELECT"):
        counted("PREFIX select: <http://x/> ASK { ?s select:p ?o }")
    with pytest.raises(QueryError, match="not a SPARQL variable"):
        counted("SELECT * WHERE { ?s ?p ?o }", "n) ?x")
