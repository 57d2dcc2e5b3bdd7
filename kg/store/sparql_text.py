"""SPARQL text for stores that take only text: prefixes declared, variables bound by VALUES.

pyoxigraph binds parameters and prefixes through its API; a SPARQL endpoint over HTTP takes
the query text alone, so :func:`with_prefixes` declares the prefixes before the query and
:func:`bind_values` opens its WHERE clause with a ``VALUES`` block of the bound terms, written
in N-Triples syntax by pyoxigraph (never pasted from user text). :func:`counted` wraps a SELECT
query so that it returns only its number of solutions (for timing a query apart from its rows).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph as ox

from kg.errors import QueryError

__all__ = ["bind_values", "counted", "with_prefixes"]


_TOKEN = re.compile(
    r"""
      (?P<skip>\#[^\n]*                                   # a comment
        | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"             # long strings
        | '''(?:[^'\\]|\\.|'(?!''))*'''
        | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*'       # short strings
        | <[^<>"{}|^`\\\x00-\x20]*>)                      # an IRI
    | (?P<word>[?$]?[\w:.-]+)
    | (?P<open>\{)
    | (?P<close>\})
    """,
    re.VERBOSE | re.DOTALL,
)
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_VARIABLE = re.compile(r"^\w+$")


def _where_brace(sparql: str) -> int | None:
    """The offset of the ``{`` that opens the query's WHERE clause, or None.

    >>> _where_brace('SELECT ?s WHERE { ?s ?p "{" }')
    16
    >>> _where_brace("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    29
    """
    form: str | None = None
    depth = 0
    template = False
    for match in _TOKEN.finditer(sparql):
        kind, text = match.lastgroup, match.group()
        if kind == "word" and form is None and text.upper() in _FORMS:
            form = text.upper()
        elif kind == "word" and form == "CONSTRUCT" and depth == 0 and text.upper() == "WHERE":
            if not template:
                raise QueryError("cannot bind parameters in a short-form CONSTRUCT WHERE query")
        elif kind == "open" and form is not None:
            if form != "CONSTRUCT" or template:
                return match.start()
            depth += 1
        elif kind == "close" and form == "CONSTRUCT" and depth:
            depth -= 1
            template = depth == 0
    return None


def bind_values(sparql: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    r"""The query with variables bound by a ``VALUES`` block opening its WHERE clause, or at
    each ``#@bind`` comment when the query has any.

    Terms are written in their N-Triples form, escaped by pyoxigraph. A subquery sees nothing
    of the query around it, so a query whose subqueries should start from the bound value
    marks where the block goes (``#@bind``, a comment: the text stays a valid query).

    >>> bind_values("SELECT ?t WHERE { ?t ?p ?d }", {"d": ox.NamedNode("http://x/d")})
    'SELECT ?t WHERE { VALUES (?d) { (<http://x/d>) }  ?t ?p ?d }'
    >>> bind_values("SELECT * { { SELECT ?d { #@bind\n?d ?p 1 } } }", {"d": ox.NamedNode("x:d")})
    'SELECT * { { SELECT ?d {  VALUES (?d) { (<x:d>) } \n?d ?p 1 } } }'

    :raises QueryError: when the query has no WHERE clause to bind in, or for a bad name.
    """
    if not substitutions:
        return sparql
    for name in substitutions:
        if not _VARIABLE.match(name):
            raise QueryError(f"cannot bind {name!r}: not a SPARQL variable name")
    names = " ".join(f"?{name}" for name in substitutions)
    terms = " ".join(str(term) for term in substitutions.values())
    values = f" VALUES ({names}) {{ ({terms}) }} "
    marks = [
        m.span()
        for m in _TOKEN.finditer(sparql)
        if m.lastgroup == "skip" and m.group().rstrip() == _MARK
    ]
    if marks:
        for start, end in reversed(marks):
            sparql = sparql[:start] + values + sparql[end:]
        return sparql
    brace = _where_brace(sparql)
    if brace is None:
        raise QueryError(f"cannot bind ?{', ?'.join(substitutions)}: the query has no WHERE clause")
    return sparql[: brace + 1] + values + sparql[brace + 1 :]


#: Where a query wants its parameters bound, when not at the opening of its WHERE clause.
_MARK = "#@bind"


def counted(sparql: str, variable: str = "n") -> str:
    r"""The SELECT query's solutions counted, not returned: its prologue, then
    ``SELECT (COUNT(*) AS ?n) WHERE { { the query } }``.

    The engine still evaluates the whole query (its joins, ``DISTINCT``, ``ORDER BY``) but
    returns one number, so the time it takes is the query's cost without reading any row's
    values (what ``benchmarks/queries.py`` sets beside a slow query's time).

    >>> print(counted("PREFIX ex: <http://x/>\nSELECT ?s WHERE { ?s a ex:C } ORDER BY ?s # last"))
    PREFIX ex: <http://x/>
    SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?s WHERE { ?s a ex:C } ORDER BY ?s # last
    } }

    :raises QueryError: when the text is not a SELECT query, or for a bad variable name.
    """
    if not _VARIABLE.match(variable):
        raise QueryError(f"cannot count into {variable!r}: not a SPARQL variable name")
    for match in _TOKEN.finditer(sparql):
        if match.lastgroup == "word" and match.group().upper() in _FORMS:
            if match.group().upper() != "SELECT":
                break
            start = match.start()
            head = f"SELECT (COUNT(*) AS ?{variable}) WHERE {{ {{ "
            return f"{sparql[:start]}{head}{sparql[start:]}\n}} }}"
    raise QueryError("only a SELECT query's solutions can be counted")


def with_prefixes(sparql: str, prefixes: Mapping[str, str]) -> str:
    """The query with ``PREFIX`` declarations before it (its own declarations come later and win).

    >>> with_prefixes("ASK { ?s a ex:C }", {"ex": "http://x/"})
    'PREFIX ex: <http://x/>\\nASK { ?s a ex:C }'
    """
    head = "".join(f"PREFIX {name}: {ox.NamedNode(iri)}\n" for name, iri in prefixes.items())
    return head + sparql
