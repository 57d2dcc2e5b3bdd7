"""Queries as the SPARQL endpoint runs them: within limits, results read whole and written.

The HTTP side of the protocol is :mod:`kg.server.routes.sparql`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import pyoxigraph as ox

from kg.errors import QueryError
from kg.rdf.vocab import PREFIXES
from kg.store import QuadStore

__all__ = [
    "RESULT_TYPES",
    "LimitExceeded",
    "Limits",
    "Materialised",
    "run_query",
    "serialise_solutions",
]

#: Media types of SELECT/ASK results, first is the default.
RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
}


@dataclass(frozen=True, slots=True)
class Limits:
    """What one query may cost."""

    #: Seconds a query may run before it is abandoned with an error.
    timeout: float = 10.0
    #: Rows (SELECT) or triples (CONSTRUCT/DESCRIBE) a query may return.
    max_results: int = 100_000


class LimitExceeded(QueryError):
    """A query ran longer or returned more than the server allows."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        #: The HTTP status to answer with (503 for time, 413 for size).
        self.status = status


@dataclass(frozen=True, slots=True)
class Materialised:
    """A query's answer, read to the end within the limits."""

    #: ``"select"``, ``"ask"`` or ``"graph"``.
    kind: str
    variables: tuple[ox.Variable, ...] = ()
    #: One mapping per row, variable name -> term (None when unbound).
    solutions: tuple[dict[str, object], ...] = ()
    boolean: bool = False
    triples: tuple[ox.Triple, ...] = ()


def run_query(
    store: QuadStore,
    sparql: str,
    limits: Limits,
    *,
    default_graphs: list[ox.NamedNode] | None = None,
    named_graphs: list[ox.NamedNode] | None = None,
) -> Materialised:
    """Run a query and read its answer, enforcing the time and size limits.

    Oxigraph evaluates lazily, so the answer is read in a worker thread that stops at the next
    row once the deadline has passed; a query whose first row alone takes longer is answered
    with an error at the deadline and finishes in the background.

    :raises QueryError: a syntax error (HTTP 400).
    :raises LimitExceeded: too slow (503) or too large (413).
    """
    deadline = time.monotonic() + limits.timeout
    outcome: dict[str, object] = {}
    cancelled = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = _read(
                store, sparql, limits, deadline, cancelled, default_graphs, named_graphs
            )
        except Exception as exc:  # handed to the caller's thread
            # Drop the traceback here: its frames hold pyoxigraph iterators, which must be
            # freed on the thread that made them.
            outcome["error"] = exc.with_traceback(None)

    worker = threading.Thread(target=work, name="sparql-query", daemon=True)
    worker.start()
    worker.join(limits.timeout)
    if worker.is_alive():
        cancelled.set()
        raise LimitExceeded(
            f"the query ran longer than the server's limit of {limits.timeout:g} s", status=503
        )
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    value = outcome["value"]
    assert isinstance(value, Materialised)
    return value


def _read(
    store: QuadStore,
    sparql: str,
    limits: Limits,
    deadline: float,
    cancelled: threading.Event,
    default_graphs: list[ox.NamedNode] | None,
    named_graphs: list[ox.NamedNode] | None,
) -> Materialised:
    result = store.query(
        sparql, prefixes=PREFIXES, default_graphs=default_graphs, named_graphs=named_graphs
    )
    if isinstance(result, ox.QueryBoolean):
        return Materialised("ask", boolean=bool(result))
    names = [v.value for v in result.variables] if isinstance(result, ox.QuerySolutions) else []
    rows: list[object] = []
    for item in result:
        if cancelled.is_set() or time.monotonic() > deadline:
            raise LimitExceeded(
                f"the query ran longer than the server's limit of {limits.timeout:g} s", status=503
            )
        rows.append({n: item[n] for n in names} if names else item)
        if len(rows) > limits.max_results:
            raise LimitExceeded(
                f"the answer has more than the server's limit of "
                f"{limits.max_results} results; add a LIMIT",
                status=413,
            )
    if isinstance(result, ox.QuerySolutions):
        return Materialised("select", variables=tuple(result.variables), solutions=tuple(rows))  # type: ignore[arg-type]
    return Materialised("graph", triples=tuple(rows))  # type: ignore[arg-type]


def serialise_solutions(answer: Materialised, fmt: ox.QueryResultsFormat) -> bytes:
    """SELECT or ASK results in a SPARQL results format.

    The rows were read (within the limits) before serialising, so they are written once as
    SPARQL JSON here, and pyoxigraph turns that into XML, CSV or TSV.
    """
    document = _json(answer)
    if fmt == ox.QueryResultsFormat.JSON:
        return document
    parsed = ox.parse_query_results(document, ox.QueryResultsFormat.JSON)
    out = parsed.serialize(format=fmt)
    assert out is not None
    return out


def _term(t: object) -> dict[str, str]:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    assert isinstance(t, ox.Literal)
    out = {"type": "literal", "value": t.value}
    if t.language:
        out["xml:lang"] = t.language
    elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = t.datatype.value
    return out


def _json(answer: Materialised) -> bytes:
    if answer.kind == "ask":
        return json.dumps({"head": {}, "boolean": answer.boolean}).encode("utf-8")
    names = [v.value for v in answer.variables]
    bindings = [{n: _term(row[n]) for n in names if row[n] is not None} for row in answer.solutions]
    return json.dumps(
        {"head": {"vars": names}, "results": {"bindings": bindings}}, ensure_ascii=False
    ).encode("utf-8")
