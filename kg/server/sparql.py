"""Queries as the SPARQL endpoint runs them: checked, evaluated over the public dataset, and
written out as they are read.

This module runs in the query worker processes (:mod:`kg.server.workers`); the server process
never parses or evaluates a client's query. Before the engine sees a query, a lexical scan
(:func:`scan`, no parsing, no recursion) finds what the endpoint refuses: nesting deeper than
the engine's parser survives, ``SERVICE`` calls to endpoints the operator did not allow, and
dataset clauses or protocol parameters naming a private graph. The dataset a query sees is the
store's public graphs: a store with private graphs (``build --include-contacts``) is queried
over the explicit list of its public ones, so no ``GRAPH``, ``FROM``, ``DESCRIBE`` or union
reaches a contact. ``FROM``/``FROM NAMED`` are honoured as SPARQL 1.1 says; the protocol's
``default-graph-uri``/``named-graph-uri`` override them.

Answers are written while they are read, in every results format (:func:`write_answer`), and
stop at the server's limits.

The HTTP side of the protocol is :mod:`kg.server.routes.sparql`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kg.errors import QueryError
from kg.export import jsonld
from kg.formats import SERVED, Format
from kg.server.negotiate import choose
from kg.store import QuadStore, QueryResult

__all__ = [
    "RESULT_TYPES",
    "Dataset",
    "Job",
    "LimitExceeded",
    "Limits",
    "Refused",
    "Scan",
    "scan",
    "write_answer",
]

#: Media types of SELECT/ASK results, first is the default.
RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
}
_RDF = {fmt.media_type: fmt for fmt in SERVED}


@dataclass(frozen=True, slots=True)
class Limits:
    """What one query may cost."""

    #: Seconds a query may run before it is abandoned with an error.
    timeout: float = 10.0
    #: Rows (SELECT) or triples (CONSTRUCT/DESCRIBE) a query may return.
    max_results: int = 100_000
    #: How deep groups, brackets and parentheses may nest (the engine's parser recurses, and
    #: a few thousand levels overflow its stack).
    max_depth: int = 200


class LimitExceeded(QueryError):
    """A query ran longer or returned more than the server allows."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        #: The HTTP status to answer with (503 for time, 413 for size).
        self.status = status


class Refused(QueryError):
    """A query the endpoint does not run: too deep, a SERVICE call, a private graph."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Job:
    """One query, as the server hands it to a worker."""

    query: str
    #: The request's Accept header: the answer's format is chosen once its kind is known.
    accept: str | None = None
    #: The protocol's ``default-graph-uri`` and ``named-graph-uri`` values.
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    #: Prefixes known without a PREFIX declaration, and used to write RDF.
    prefixes: dict[str, str] = field(default_factory=dict)
    #: The ``@context`` URL JSON-LD names.
    context_url: str = ""
    #: SERVICE endpoints the operator allows (none: SERVICE is refused).
    services: tuple[str, ...] = ()
    #: Graphs whose IRI starts with this are private (contacts): never in the dataset.
    private_prefix: str = ""


# -- the lexical scan --------------------------------------------------------------------------


@dataclass
class Scan:
    """What a lexical pass over a query finds (strings, IRIs and comments skipped)."""

    depth: int = 0
    #: The query's ``FROM`` and ``FROM NAMED`` graphs, resolved; None for one not resolvable.
    from_graphs: list[str | None] = field(default_factory=list)
    from_named: list[str | None] = field(default_factory=list)
    #: ``SERVICE`` targets, resolved (None for a variable or an unresolvable name).
    services: list[str | None] = field(default_factory=list)

    @property
    def has_dataset(self) -> bool:
        return bool(self.from_graphs or self.from_named)


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:%\\")
_IRI_STOP = frozenset('<>"{}|^`\\ \t\r\n')


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, depth) of each token that matters: ``iri``, ``name`` (keywords, prefixed
    names, numbers), ``var``, ``open``/``close``; strings and comments are skipped."""
    i, n, depth = 0, len(text), 0
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            i = n if end == -1 else end + 1
        elif ch in "\"'":
            i = _after_string(text, i)
        elif ch == "<":
            end = i + 1
            while end < n and text[end] not in _IRI_STOP:
                end += 1
            if end < n and text[end] == ">":
                yield "iri", text[i + 1 : end], depth
                i = end + 1
            else:
                i += 1  # the less-than operator
        elif ch in "?$":
            end = i + 1
            while end < n and (text[end].isalnum() or text[end] == "_"):
                end += 1
            yield "var", text[i + 1 : end], depth
            i = end
        elif ch in "{([":
            depth += 1
            yield "open", ch, depth
            i += 1
        elif ch in "})]":
            yield "close", ch, depth
            depth -= 1
            i += 1
        elif ch in _NAME_CHARS:
            end = i
            while end < n and (text[end] in _NAME_CHARS or text[end].isalpha()):
                end += 2 if text[end] == "\\" else 1
            yield "name", text[i:end].rstrip("."), depth
            i = max(end, i + 1)
        else:
            i += 1


def _after_string(text: str, start: int) -> int:
    """Where the string literal starting at ``start`` ends (short or long form)."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        end = start + 3
        while end < len(text):
            if text[end] == "\\":
                end += 2
            elif text.startswith(quote * 3, end):
                return end + 3
            else:
                end += 1
        return len(text)
    end = start + 1
    while end < len(text) and text[end] not in (quote, "\n"):
        end += 2 if text[end] == "\\" else 1
    return end + 1


def scan(text: str, prefixes: dict[str, str] | None = None) -> Scan:
    """The nesting depth, dataset clauses and SERVICE targets of a query, found lexically.

    >>> found = scan("PREFIX g: <http://x/> SELECT * FROM g:a WHERE { SERVICE <http://s/> {} }")
    >>> found.from_graphs, found.services, found.depth
    (['http://x/a'], ['http://s/'], 2)
    """
    known = dict(prefixes or {})
    found = Scan()
    base = ""
    tokens = list(_tokens(text))

    def resolve(kind: str, value: str) -> str | None:
        if kind == "iri":
            return value if ":" in value or not base else base + value
        if kind == "name" and ":" in value:
            prefix, local = value.split(":", 1)
            return known[prefix] + local.replace("\\", "") if prefix in known else None
        return None

    for position, (kind, value, depth) in enumerate(tokens):
        found.depth = max(found.depth, depth)
        if kind != "name":
            continue
        word = value.upper()
        following = tokens[position + 1 : position + 4]
        if word == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            known[following[0][1].rstrip(":")] = following[1][1]
        elif word == "BASE" and following and following[0][0] == "iri":
            base = following[0][1]
        elif word == "FROM" and following:
            if following[0][1].upper() == "NAMED" and len(following) > 1:
                found.from_named.append(resolve(*following[1][:2]))
            else:
                found.from_graphs.append(resolve(*following[0][:2]))
        elif word == "SERVICE" and following:
            target = following[1] if following[0][1].upper() == "SILENT" else following[0]
            found.services.append(resolve(*target[:2]))
    return found


# -- the dataset -------------------------------------------------------------------------------


class Dataset:
    """The graphs a store's queries may see: all of them, or the public ones by name."""

    def __init__(self, store: QuadStore, private_prefix: str) -> None:
        self.private_prefix = private_prefix
        graphs = list(store.named_graphs()) if private_prefix else []
        self.public = [g for g in graphs if not g.value.startswith(private_prefix)]
        #: Whether the store holds private graphs (then only :attr:`public` is queried).
        self.restricted = len(self.public) != len(graphs)

    def is_private(self, iri: str | None) -> bool:
        return bool(self.private_prefix) and iri is not None and iri.startswith(self.private_prefix)


def _check(job: Job, found: Scan, dataset: Dataset) -> None:
    """Refuse what the endpoint does not run, before the engine parses the query."""
    if found.depth > job.limits.max_depth:
        raise Refused(
            f"the query nests {found.depth} levels deep; this endpoint allows "
            f"{job.limits.max_depth}"
        )
    for target in found.services:
        if target is None or target not in job.services:
            allowed = ", ".join(job.services) or "none"
            raise Refused(
                f"SERVICE {target or '(a variable or unknown prefix)'} is not allowed here "
                f"(endpoints this server may call: {allowed})",
                status=403,
            )
    for iri in (*found.from_graphs, *found.from_named):
        if iri is None:
            raise Refused("a FROM or FROM NAMED graph names an undeclared prefix")
    named = (*job.default_graphs, *job.named_graphs, *found.from_graphs, *found.from_named)
    private = [iri for iri in named if dataset.is_private(iri)]
    if private:
        raise Refused(f"graph {private[0]} is private and not served", status=403)


def _evaluate(store: QuadStore, job: Job, found: Scan, dataset: Dataset) -> QueryResult:
    """Run the query over the dataset the protocol, the query or the server decides."""
    default = [ox.NamedNode(g) for g in job.default_graphs]
    named = [ox.NamedNode(g) for g in job.named_graphs]
    if not default and not named and found.has_dataset:
        # The query's own FROM / FROM NAMED (checked public above).
        return store.query(job.query, prefixes=job.prefixes, union_default_graph=False)
    if dataset.restricted:
        default = default or list(dataset.public)
        named = named or list(dataset.public)
    return store.query(
        job.query,
        prefixes=job.prefixes,
        default_graphs=default or None,
        named_graphs=named or None,
    )


# -- writing the answer as it is read ----------------------------------------------------------

#: Receives the answer's bytes as they are written.
Sink = Callable[[bytes], None]


def write_answer(
    store: QuadStore, job: Job, dataset: Dataset, begin: Callable[[str], None], sink: Sink
) -> None:
    """Check, run and write one query's answer: ``begin`` gets the media type chosen (by the
    Accept header, for the kind of answer), then ``sink`` the bytes as they are written.

    :raises Refused: a query the endpoint does not run (400 or 403), or no acceptable format
        (406).
    :raises QueryError: a syntax error (400).
    :raises LimitExceeded: too slow (503) or too large (413), found while writing.
    """
    found = scan(job.query, job.prefixes)
    _check(job, found, dataset)
    try:
        result = _evaluate(store, job, found, dataset)
    except ValueError as exc:  # a malformed graph IRI in the protocol parameters
        raise QueryError(f"bad graph IRI: {exc}") from exc
    deadline = time.monotonic() + job.limits.timeout
    if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
        media = choose(job.accept, list(RESULT_TYPES))
        if media is None:
            raise Refused(f"query results come as {', '.join(RESULT_TYPES)}", status=406)
        begin(media)
        if isinstance(result, ox.QueryBoolean):
            sink(_boolean(bool(result), media))
            return
        rows = _bounded(result, job.limits, deadline)
        _SOLUTION_WRITERS[RESULT_TYPES[media]]([v.value for v in result.variables], rows, sink)
        return
    media = choose(job.accept, list(_RDF))
    if media is None:
        raise Refused(f"graph results come as {', '.join(_RDF)}", status=406)
    begin(media)
    _write_triples(_bounded(result, job.limits, deadline), _RDF[media], job, sink)


def _bounded(items: Iterable[object], limits: Limits, deadline: float) -> Iterator[object]:
    """The items, stopping with an error past the deadline or the result limit."""
    for count, item in enumerate(items, start=1):
        if time.monotonic() > deadline:
            raise LimitExceeded(
                f"the query ran longer than the server's limit of {limits.timeout:g} s", status=503
            )
        if count > limits.max_results:
            raise LimitExceeded(
                f"the answer has more than the server's limit of {limits.max_results} results; "
                "add a LIMIT",
                status=413,
            )
        yield item


class _Writer:
    """A file-like object over a sink, for pyoxigraph's serialisers."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    def write(self, data: bytes) -> int:
        self.sink(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing is held back."""


def _write_triples(triples: Iterator[object], fmt: Format, job: Job, sink: Sink) -> None:
    if fmt.is_jsonld:  # a JSON-LD document is framed whole
        sink(jsonld(list(triples), job.prefixes, context_url=job.context_url))  # type: ignore[arg-type]
        return
    ox.serialize(triples, _Writer(sink), fmt.oxigraph, prefixes=job.prefixes)  # type: ignore[arg-type]


_BATCH = 256  # rows written per call of the sink


def _batched(rows: Iterable[object]) -> Iterator[list[ox.QuerySolution]]:
    batch: list[ox.QuerySolution] = []
    for row in rows:
        batch.append(row)  # type: ignore[arg-type]
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    assert isinstance(term, ox.Literal)
    out: dict[str, object] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def _write_json(names: list[str], rows: Iterable[object], sink: Sink) -> None:
    sink(b'{"head":{"vars":' + json.dumps(names).encode() + b'},"results":{"bindings":[')
    first = True
    for batch in _batched(rows):
        bindings = [
            {name: _json_term(row[name]) for name in names if row[name] is not None}
            for row in batch
        ]
        text = json.dumps(bindings, ensure_ascii=False, separators=(",", ":"))[1:-1]
        sink((b"" if first else b",") + text.encode("utf-8"))
        first = False
    sink(b"]}}")


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        parts = zip(("subject", "predicate", "object"), term, strict=True)
        return "<triple>" + "".join(f"<{p}>{_xml_term(t)}</{p}>" for p, t in parts) + "</triple>"
    assert isinstance(term, ox.Literal)
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def _write_xml(names: list[str], rows: Iterable[object], sink: Sink) -> None:
    head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
    sink(
        b'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        + f"<head>{head}</head><results>".encode()
    )
    for batch in _batched(rows):
        parts = []
        for row in batch:
            bound = "".join(
                f"<binding name={quoteattr(n)}>{_xml_term(row[n])}</binding>"
                for n in names
                if row[n] is not None
            )
            parts.append(f"<result>{bound}</result>")
        sink("".join(parts).encode("utf-8"))
    sink(b"</results></sparql>\n")


def _csv_field(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, ox.NamedNode | ox.Literal):
        text = term.value
    else:
        text = str(term)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_csv(names: list[str], rows: Iterable[object], sink: Sink) -> None:
    sink((",".join(names) + "\r\n").encode("utf-8"))
    for batch in _batched(rows):
        lines = (",".join(_csv_field(row[n]) for n in names) + "\r\n" for row in batch)
        sink("".join(lines).encode("utf-8"))


def _write_tsv(names: list[str], rows: Iterable[object], sink: Sink) -> None:
    sink(("\t".join(f"?{n}" for n in names) + "\n").encode("utf-8"))
    for batch in _batched(rows):
        lines = (
            "\t".join("" if row[n] is None else str(row[n]) for n in names) + "\n" for row in batch
        )
        sink("".join(lines).encode("utf-8"))


_SOLUTION_WRITERS: dict[
    ox.QueryResultsFormat, Callable[[list[str], Iterable[object], Sink], None]
] = {
    ox.QueryResultsFormat.JSON: _write_json,
    ox.QueryResultsFormat.XML: _write_xml,
    ox.QueryResultsFormat.CSV: _write_csv,
    ox.QueryResultsFormat.TSV: _write_tsv,
}


def _boolean(value: bool, media: str) -> bytes:
    """An ASK answer in the results format of ``media``."""
    document = json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    fmt = RESULT_TYPES[media]
    if fmt == ox.QueryResultsFormat.JSON:
        return document
    parsed = ox.parse_query_results(document, ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=fmt) or b""
