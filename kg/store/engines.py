"""What sets one SPARQL store apart from another, as far as :mod:`kg.store.remote` must know.

Most stores need nothing beyond the standards: :data:`STANDARD`. OpenLink Virtuoso 7
(:data:`VIRTUOSO`, told by its ``Server`` header) needs more, each found on Virtuoso 7.2.5:

- Its SPARQL compiler refuses large updates: past some 5,000 triples in one block ("memory
  exhausted"), past about 1,000 without ``DEFINE sql:big-data-const 1`` or in one
  ``INSERT {...} WHERE {}`` ("generated SQL text has exceeded 10000 lines"). Updates carry the
  define, and blocks and templates are kept small.
- ``INSERT DATA`` refuses blank nodes (SP031) and day-time durations (``"P30D"^^xsd:duration``:
  "No column P30DD"); its Graph Store Protocol takes both. Data goes there when a GSP URL is
  given; blank nodes otherwise go in ``INSERT {...} WHERE {}`` templates, each label used in one
  operation only (Virtuoso refuses a label in two).
- Its results write blank nodes as ``nodeID://b10018``, booleans as 1 and 0, doubles as
  ``2e+06``, and ``xsd:duration`` values as a number: months for a year-month duration, seconds
  for a day-time one (``"P18Y"`` comes back as 216, ``"P30D"`` as 2.592e+06; a duration with
  both parts keeps only its months: openlink/virtuoso-opensource#936). :func:`repair_results`
  and :func:`repair_term` turn them back into what Oxigraph answers: the label, and each
  literal in the canonical form Oxigraph stores.
- Its optimizer, working from statistics of a store that changed since the server started,
  joins a property path with the rest of a query wrongly: ``?class rdfs:subClassOf* ?asked .
  ?trial trialkg:condition ?class`` gave 2 rows where there are 46 (it walks up from every
  trial's class at once, sharing what it has seen), until a restart. Every query carries
  ``DEFINE sql:select-option "order"``, so joins follow the query's text, and trialkg's queries
  write the walk down from the class asked for first.
- It keeps graphs of its own (``virtrdf#``, ``ldp#``, its service description):
  :meth:`Engine.is_system_graph` tells them apart, so they are not counted as trialkg's.

Row caps (``X-SPARQL-MaxRows``) and partial answers (``X-SQL-State``) are read from the response
headers of every store, whatever the engine (:mod:`kg.store.remote`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

__all__ = ["STANDARD", "VIRTUOSO", "Engine", "engine_of", "repair_results", "repair_term"]

_XSD = "http://www.w3.org/2001/XMLSchema#"
_DURATIONS = {f"{_XSD}duration", f"{_XSD}dayTimeDuration", f"{_XSD}yearMonthDuration"}
_SD_SERVICE = "http://www.w3.org/ns/sparql-service-description#Service"


@dataclass(frozen=True, slots=True)
class Engine:
    """How to talk to one kind of SPARQL store."""

    #: A name for messages: ``standard`` or ``virtuoso``.
    name: str
    #: Text put before every SPARQL query trialkg sends.
    query_prologue: str = ""
    #: Text put before every SPARQL update trialkg writes.
    update_prologue: str = ""
    #: Whether graph content goes through the Graph Store Protocol whenever a GSP URL is known,
    #: rather than in SPARQL updates.
    data_through_gsp: bool = False
    #: The most triples in one ``GRAPH`` block of an ``INSERT DATA``.
    block_triples: int = 1_000_000
    #: The most triples in one ``INSERT {...} WHERE {}`` (the triples with blank nodes).
    template_triples: int = 1_000_000
    #: Whether answers need :func:`repair_results` / :func:`repair_term`.
    repairs_results: bool = False
    #: IRI prefixes of the engine's own graphs.
    system_prefixes: tuple[str, ...] = ()
    #: Whether a graph holding ``<graph> a sd:Service`` (a service description) is the
    #: engine's own.
    describes_itself: bool = False

    def is_system_graph(self, iri: str, service_graphs: frozenset[str] = frozenset()) -> bool:
        """Whether the graph ``iri`` is the engine's own rather than its users'.

        >>> VIRTUOSO.is_system_graph("http://www.openlinksw.com/schemas/virtrdf#")
        True
        >>> STANDARD.is_system_graph("http://www.openlinksw.com/schemas/virtrdf#")
        False
        """
        return iri.startswith(self.system_prefixes) or iri in service_graphs

    def service_graph_query(self) -> str | None:
        """The query listing the engine's service-description graphs, if it keeps any."""
        if not self.describes_itself:
            return None
        return f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a <{_SD_SERVICE}> }} }}"


#: A store that follows the standards: Oxigraph, Fuseki, GraphDB, QLever.
STANDARD = Engine("standard")

#: OpenLink Virtuoso 7.
VIRTUOSO = Engine(
    "virtuoso",
    query_prologue='DEFINE sql:select-option "order"\n',
    update_prologue="DEFINE sql:big-data-const 1\n",
    data_through_gsp=True,
    block_triples=1_000,
    template_triples=500,
    repairs_results=True,
    system_prefixes=("http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#"),
    describes_itself=True,
)


def engine_of(server: str | None) -> Engine:
    """The engine a ``Server`` response header names.

    >>> engine_of("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu").name
    'virtuoso'
    >>> engine_of("Oxigraph/0.4.11").name, engine_of(None).name
    ('standard', 'standard')
    """
    if server and server.lower().startswith(("virtuoso/", "openlink virtuoso")):
        return VIRTUOSO
    return STANDARD


# -- answers ----------------------------------------------------------------------------------


def repair_results(body: bytes) -> bytes:
    """A SPARQL JSON answer of Virtuoso with blank-node labels and literals as Oxigraph's.

    >>> answer = b'''{"head": {"vars": ["b", "d"]}, "results": {"bindings": [{
    ...   "b": {"type": "bnode", "value": "nodeID://b10018"},
    ...   "d": {"type": "typed-literal", "value": "216",
    ...         "datatype": "http://www.w3.org/2001/XMLSchema#duration"}}]}}'''
    >>> rows = ox.parse_query_results(repair_results(answer), ox.QueryResultsFormat.JSON)
    >>> [row["d"].value for row in rows]
    ['P18Y']
    """
    if b"nodeID://" not in body and b"XMLSchema#" not in body:
        return body
    answer = json.loads(body)
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, dict):
        return body
    for row in results.get("bindings", ()):
        for term in row.values():
            _repair_json_term(term)
    return json.dumps(answer, ensure_ascii=False).encode("utf-8")


def _repair_json_term(term: dict[str, Any]) -> None:
    kind, value = term.get("type"), term.get("value")
    if not isinstance(value, str):
        return
    if kind == "bnode" and value.startswith("nodeID://"):
        term["value"] = value[len("nodeID://") :]
    elif kind in ("literal", "typed-literal"):
        datatype = term.get("datatype")
        if isinstance(datatype, str) and datatype.startswith(_XSD):
            term["value"] = canonical_value(value, datatype)


def repair_term(
    term: ox.NamedNode | ox.BlankNode | ox.Literal,
) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A term of a Virtuoso answer in RDF syntax (N-Triples, Turtle) as Oxigraph stores it.

    >>> repair_term(ox.Literal("2.592e+06", datatype=ox.NamedNode(_XSD + "duration"))).value
    'P30D'
    """
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(_XSD):
        value = canonical_value(term.value, term.datatype.value)
        if value != term.value:
            return ox.Literal(value, datatype=term.datatype)
    return term


@lru_cache(maxsize=65_536)
def canonical_value(value: str, datatype: str) -> str:
    """The lexical form Oxigraph stores for ``value`` of ``datatype`` (an XSD type).

    A bare number typed ``xsd:duration`` is read as Virtuoso writes it: months when whole,
    seconds otherwise.

    >>> canonical_value("1", _XSD + "boolean"), canonical_value("2e+06", _XSD + "double")
    ('true', '2000000')
    >>> canonical_value("216", _XSD + "duration"), canonical_value("43200.0", _XSD + "duration")
    ('P18Y', 'PT12H')
    """
    if datatype == f"{_XSD}string":
        return value
    if datatype in _DURATIONS:
        value = _duration_text(value)
    scratch = ox.Store()
    scratch.add(ox.Quad(_S, _S, ox.Literal(value, datatype=ox.NamedNode(datatype))))
    stored = next(iter(scratch)).object
    return stored.value if isinstance(stored, ox.Literal) else value


_S = ox.NamedNode("urn:trialkg:scratch")


def _duration_text(value: str) -> str:
    """Virtuoso's number for a duration as an ISO 8601 duration; other text unchanged."""
    text = value.strip()
    if not text or text.lstrip("-").startswith("P"):
        return value
    try:
        number = Decimal(text)
    except InvalidOperation:
        return value
    sign = "-" if number < 0 else ""
    number = abs(number)
    if text.lstrip("-").isdigit():
        return f"{sign}P{number}M"
    return f"{sign}PT{format(number.normalize(), 'f')}S"
