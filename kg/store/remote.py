"""A SPARQL 1.1 store over HTTP, offering what :class:`kg.store.Store` offers.

For stores that outgrow one machine: Oxigraph's server, Apache Jena Fuseki, GraphDB, Virtuoso,
QLever (read-only). Reads go through the SPARQL 1.1 Query endpoint; writes through the SPARQL
1.1 Update endpoint or, where one is given, the Graph Store Protocol (GSP). Answers come back as
pyoxigraph objects, parsed with pyoxigraph's own parsers, so callers cannot tell the two stores
apart. What one engine does differently (Virtuoso's limits and answers) is in
:mod:`kg.store.engines`, recognised by the ``Server`` header of the store's first answer.

Guarantees, as the method names say:

- **No write is lost without an error.** Every request body is sent whole, with a
  ``Content-Length`` (Virtuoso 7 answers 201 to a chunked body and stores nothing), in requests
  of at most about 4 MB, so Basic and Digest authentication can send it again after a
  challenge. A blank node's triples, and those of every blank node linked to it, go in one
  request. After each batch the quads of every graph written are counted back in one query; a
  graph holding another number of quads than was written raises :class:`StoreError`.
- :meth:`RemoteStore.replace_graph` queues ``DROP SILENT GRAPH g`` plus the new content; queued
  graphs go out together, several to one update request (one transaction on Oxigraph, Fuseki
  and GraphDB). The queue is sent when it is full, before any read, and by
  :meth:`RemoteStore.flush`: call it (or :meth:`RemoteStore.close`) when done writing.
- :meth:`RemoteStore.replace_graph_large` sends a whole graph as it is read, in bounded
  requests: a GSP ``PUT`` then ``POST``\\ s when a GSP URL is known, else updates. A graph of
  several requests is not replaced atomically.
- **No read is cut short without an error.** An answer the store flags as partial
  (``X-SQL-State``) raises :class:`StoreError`; so does an answer to :meth:`RemoteStore.query`
  that the store cut at its row cap (``X-SPARQL-MaxRows``: Virtuoso's ``ResultSetMaxRows``).
  The whole-graph reads, :meth:`RemoteStore.quads` and :meth:`RemoteStore.named_graphs`, read
  such an answer again in pages of the cap; the pages must not overlap and their rows must add
  up to the store's own count, or :class:`StoreError` is raised.

Credentials come from the environment only (:func:`auth_from_env`), never from arguments that
would show in a process list.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

import httpx
import pyoxigraph as ox

from kg.errors import QueryError, StoreError
from kg.store import bodies
from kg.store.base import QueryResult
from kg.store.bodies import GraphLines, Piece, packed, update_text
from kg.store.engines import Engine, engine_of, repair_results, repair_term
from kg.store.sparql_text import bind_values, with_prefixes

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["ENV_PASSWORD", "ENV_TOKEN", "ENV_USER", "Endpoints", "RemoteStore", "auth_from_env"]

logger = logging.getLogger(__name__)

#: Environment variables holding the store's credentials (basic auth, or a bearer token).
ENV_USER = "TRIALKG_STORE_USER"
ENV_PASSWORD = "TRIALKG_STORE_PASSWORD"
ENV_TOKEN = "TRIALKG_STORE_TOKEN"
#: Set to ``digest`` for HTTP Digest instead of Basic (Virtuoso's ``/sparql-auth``).
ENV_AUTH_SCHEME = "TRIALKG_STORE_AUTH"

Term = ox.NamedNode | ox.BlankNode | ox.Literal

_RESULTS_ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "application/n-triples;q=0.8, text/turtle;q=0.7, application/rdf+xml;q=0.5"
)
_SELECT_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
# What precedes a query's form: comments, PREFIX and BASE declarations, Virtuoso's DEFINEs.
_PROLOGUE = re.compile(
    r"""(?:\s+|\#[^\n]*|PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>
        |DEFINE\s+\S+\s+(?:"[^"]*"|'[^']*'|\S+))*""",
    re.IGNORECASE | re.VERBOSE,
)
_BATCH_GRAPHS = 64
_CHUNK_BYTES = 1 << 16
#: Virtuoso sends it when an answer reached its row cap (ResultSetMaxRows).
_ROW_CAP_HEADER = "x-sparql-maxrows"
#: Virtuoso sends it (with X-SQL-Message) when an answer is partial (an "anytime" query).
_SQL_STATE_HEADER = "x-sql-state"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where a SPARQL 1.1 store answers.

    >>> print(Endpoints.from_base("http://127.0.0.1:7878/"))
    http://127.0.0.1:7878
    >>> Endpoints.from_base("http://127.0.0.1:7878").update
    'http://127.0.0.1:7878/update'
    """

    #: The SPARQL 1.1 Query endpoint; every read goes there.
    query: str
    #: The SPARQL 1.1 Update endpoint; None when the store takes no updates.
    update: str | None = None
    #: The Graph Store Protocol endpoint (graphs named by ``?graph=IRI``), used to write whole
    #: graphs; None when not used.
    gsp: str | None = None
    #: The query parameter that makes the default graph the union of the named graphs, for
    #: stores that need one (Oxigraph: ``union-default-graph``); None for stores that query
    #: the union by default or by their own configuration.
    union_parameter: str | None = None
    #: The URL the endpoints were derived from, for messages; None when given one by one.
    base: str | None = None

    def __post_init__(self) -> None:
        for url in (self.query, self.update, self.gsp):
            if url is not None:
                _checked_url(url)

    @classmethod
    def from_base(cls, url: str) -> Endpoints:
        """The layout of ``oxigraph serve``: ``URL/query``, ``URL/update``, ``URL/store``.

        :raises StoreError: when ``url`` is not an http(s) URL.
        """
        base = _checked_url(url).rstrip("/")
        return cls(
            query=f"{base}/query",
            update=f"{base}/update",
            gsp=f"{base}/store",
            union_parameter="union-default-graph",
            base=base,
        )

    def with_urls(
        self, *, query: str | None = None, update: str | None = None, gsp: str | None = None
    ) -> Endpoints:
        """These endpoints with some URLs replaced (the others kept)."""
        return replace(
            self, query=query or self.query, update=update or self.update, gsp=gsp or self.gsp
        )

    def __str__(self) -> str:
        return self.base or self.query


def _checked_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise StoreError(f"expected an http:// or https:// URL of a SPARQL store; found {url!r}")
    return url


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def auth_from_env(environ: Mapping[str, str] | None = None) -> httpx.Auth | None:
    """The HTTP authentication the environment asks for, or None.

    ``TRIALKG_STORE_TOKEN`` gives a bearer token; ``TRIALKG_STORE_USER`` with
    ``TRIALKG_STORE_PASSWORD`` give Basic auth (Digest with ``TRIALKG_STORE_AUTH=digest``).

    >>> auth_from_env({}) is None
    True
    >>> type(auth_from_env({"TRIALKG_STORE_USER": "ann", "TRIALKG_STORE_PASSWORD": "pw"})).__name__
    'BasicAuth'

    :raises StoreError: for half a pair of credentials, or both a token and a user.
    """
    env = os.environ if environ is None else environ
    token, user, password = env.get(ENV_TOKEN), env.get(ENV_USER), env.get(ENV_PASSWORD)
    if token and user:
        raise StoreError(f"set either {ENV_TOKEN} or {ENV_USER}/{ENV_PASSWORD}, not both")
    if token:
        return _BearerAuth(token)
    if bool(user) != bool(password):
        given, missing = (ENV_USER, ENV_PASSWORD) if user else (ENV_PASSWORD, ENV_USER)
        raise StoreError(f"{given} is set but {missing} is not")
    if user and password:
        scheme = env.get(ENV_AUTH_SCHEME, "basic").lower()
        if scheme not in ("basic", "digest"):
            raise StoreError(f"{ENV_AUTH_SCHEME} must be basic or digest; found {scheme!r}")
        return (
            httpx.DigestAuth(user, password)
            if scheme == "digest"
            else httpx.BasicAuth(user, password)
        )
    return None


class RemoteStore:
    """A SPARQL 1.1 store over HTTP, holding the trial graphs and the ontology graphs.

    Only named graphs are read and written; trialkg puts nothing in the default graph, and the
    engine's own graphs (Virtuoso's) are neither listed nor counted.

    :param endpoints: where the store answers.
    :param read_only: refuse every write.
    :param auth: HTTP authentication (see :func:`auth_from_env`).
    :param transport: an httpx transport, e.g. ``httpx.MockTransport`` in tests.
    :param timeout: seconds to wait for an answer (connecting: at most 10).
    :param engine: the kind of store (:mod:`kg.store.engines`); by default told by the
        ``Server`` header of its first answer.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        read_only: bool = False,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 300.0,
        engine: Engine | None = None,
    ) -> None:
        #: Where the store answers.
        self.endpoints = endpoints
        #: Whether writes are refused.
        self.read_only = read_only
        self._client = httpx.Client(
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": "trialkg"},
        )
        self._engine = engine
        self._service_graphs: frozenset[str] | None = None
        self._pending: dict[ox.NamedNode, GraphLines] = {}
        self._pending_bytes = 0
        self._lock = threading.RLock()

    @classmethod
    def from_env(
        cls,
        endpoints: Endpoints,
        *,
        read_only: bool = False,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> RemoteStore:
        """A store whose credentials come from the environment (:func:`auth_from_env`)."""
        return cls(endpoints, read_only=read_only, auth=auth_from_env(environ), transport=transport)

    def __repr__(self) -> str:
        return f"RemoteStore({str(self.endpoints)!r}, read_only={self.read_only})"

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Send queued writes, then close the connections."""
        try:
            self.flush()
        finally:
            self._client.close()

    def ping(self, what: str = "SPARQL query") -> None:
        """Ask the query endpoint a trivial question (queued writes stay queued).

        :raises StoreError: naming the URL, when the store cannot be reached or refuses.
        """
        media, body = self._post_query(what, "ASK { }", {}, probe=True)
        self._parse_answer(media, body)

    @property
    def engine(self) -> Engine:
        """The kind of store, told by its answers' ``Server`` header (asked once if need be)."""
        return self._engine_for("asking the SPARQL store what it is")

    def _engine_for(self, what: str) -> Engine:
        if self._engine is None:
            self.ping(what)
        assert self._engine is not None
        return self._engine

    # -- HTTP ---------------------------------------------------------------------------------

    @contextmanager
    def _exchange(
        self, what: str, method: str, url: str, **kwargs: Any
    ) -> Iterator[httpx.Response]:
        """One request, its errors turned into StoreError (QueryError for a 400 to SPARQL)."""
        try:
            with self._client.stream(method, url, **kwargs) as response:
                if self._engine is None:
                    self._engine = engine_of(response.headers.get("server"))
                if response.is_error:
                    response.read()
                    raise _http_error(what, response)
                yield response
        except httpx.ConnectError as exc:
            raise StoreError(
                f"{what}: cannot connect to the SPARQL store at {url}: {exc} "
                "(is the server running, and is the URL right?)"
            ) from exc
        except httpx.TimeoutException as exc:
            raise StoreError(f"{what}: {method} {url} timed out ({exc})") from exc
        except httpx.HTTPError as exc:
            raise StoreError(f"{what}: {method} {url} failed: {exc}") from exc

    def _post_query(
        self,
        what: str,
        text: str,
        form: Mapping[str, str | list[str]],
        *,
        accept: str = _RESULTS_ACCEPT,
        cap_allowed: bool = False,
        probe: bool = False,
    ) -> tuple[str, bytes]:
        """One query, its answer read whole; refused when partial or (unless allowed) capped.

        The engine's query prologue goes first (the engine asked for first, unless ``probe``).
        """
        prologue = "" if probe else self._engine_for(what).query_prologue
        data = {"query": prologue + text, **form}
        url = self.endpoints.query
        with self._exchange(what, "POST", url, data=data, headers={"Accept": accept}) as r:
            _check_complete(what, r)
            cap = _row_cap(r)
            if cap is not None and not cap_allowed:
                raise StoreError(
                    f"{what}: the SPARQL store at {url} cut its answer at {cap:,} rows "
                    f"({r.headers[_ROW_CAP_HEADER]!s} in its X-SPARQL-MaxRows header; Virtuoso: "
                    "ResultSetMaxRows in the [SPARQL] section of virtuoso.ini): raise that "
                    "limit above the largest answer, or ask for fewer rows"
                )
            return _media_type(r), r.read()

    def _post_update(self, what: str, body: bytes) -> None:
        url = self._update_url()
        headers = {"Content-Type": "application/sparql-update; charset=utf-8"}
        with self._exchange(what, "POST", url, content=body, headers=headers):
            pass

    def _update_url(self) -> str:
        if self.endpoints.update is None:
            raise StoreError(
                f"the SPARQL store {self.endpoints} has no update endpoint: give --store-update URL"
            )
        return self.endpoints.update

    def _gsp_request(self, what: str, method: str, graph: ox.NamedNode, body: bytes) -> None:
        headers = {"Content-Type": "text/turtle; charset=utf-8"}  # N-Triples is Turtle
        url = self._gsp_url()
        params = {"graph": graph.value}
        with self._exchange(what, method, url, params=params, content=body, headers=headers):
            pass

    def _gsp_url(self) -> str:
        if self.endpoints.gsp is None:
            raise StoreError(
                f"the SPARQL store {self.endpoints} has neither an update nor a Graph Store "
                "Protocol endpoint: give --store-update URL or --store-gsp URL"
            )
        return self.endpoints.gsp

    # -- writing ------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"store {self.endpoints} is open read-only")

    def replace_graph(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> int:
        """Replace the content of one named graph; queued, and sent with other graphs.

        Every quad must belong to ``graph``. Each update request drops and re-inserts its
        graphs (one transaction where the store runs an update as one). Without an update
        endpoint, or on a store whose updates refuse some data (Virtuoso, when a GSP URL is
        known), each graph is sent with a Graph Store Protocol ``PUT``. Once sent, the quads of
        each graph are counted back.

        :returns: the number of quads written.
        :raises StoreError: for a quad of another graph (nothing is queued), or when a request
            fails (naming the URL and the HTTP status), or when a graph sent holds another
            number of quads than was written.
        """
        self._check_writable()
        lines = GraphLines(graph)
        for quad in quads:
            lines.add(quad)
        with self._lock:
            old = self._pending.pop(graph, None)
            self._pending_bytes -= old.size if old else 0
            self._pending[graph] = lines
            self._pending_bytes += lines.size
            if len(self._pending) >= _BATCH_GRAPHS or self._pending_bytes >= bodies.BATCH_BYTES:
                self._send_pending()
        return lines.given

    def _send_pending(self) -> None:
        with self._lock:
            if not self._pending:
                return
            batch, self._pending, self._pending_bytes = self._pending, {}, 0
            first = next(iter(batch)).value
            more = f" and {len(batch) - 1} more" if len(batch) > 1 else ""
            what = f"writing graph {first}{more}"
            pieces = [piece for lines in batch.values() for piece in lines.pieces(final=True)]
            self._write_pieces(what, pieces)
            self._check_written(what, {graph: lines.distinct for graph, lines in batch.items()})
            logger.debug("wrote %d graphs to %s", len(batch), self.endpoints)

    def replace_graph_large(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> int:
        """Replace a large named graph (an ontology), sending it as it is read.

        Graph Store Protocol requests when a GSP URL is known (a ``PUT``, then ``POST``\\ s
        past the first 4 MB), else SPARQL updates (``DROP SILENT GRAPH`` with the first
        ``INSERT DATA``). A graph of one request is replaced as the store runs a request
        (atomically on Oxigraph); a larger one is not. The triples of blank nodes are held back
        and sent last, each blank node's together. The quads are counted back at the end.

        :returns: the number of quads written.
        :raises StoreError: as :meth:`replace_graph`.
        """
        self._check_writable()
        self._send_pending()
        what = f"writing graph {graph.value}"
        lines = GraphLines(graph)
        for quad in quads:
            lines.add(quad)
            if lines.size >= bodies.BATCH_BYTES:
                self._write_pieces(what, lines.pieces(final=False), large=True)
        self._write_pieces(what, lines.pieces(final=True), large=True)
        self._check_written(what, {graph: lines.distinct})
        return lines.given

    def _through_gsp(self, what: str, *, large: bool) -> bool:
        """Whether graph content goes through the Graph Store Protocol rather than updates."""
        if self.endpoints.gsp is None:
            return False
        if large or self.endpoints.update is None:
            return True
        return self._engine_for(what).data_through_gsp

    def _write_pieces(self, what: str, pieces: list[Piece], *, large: bool = False) -> None:
        if not pieces:
            return
        if self._through_gsp(what, large=large):
            for piece in pieces:
                body = piece.turtle()
                if piece.drop and not body:
                    self._drop_graph(what, piece.graph)
                else:
                    method = "PUT" if piece.drop else "POST"
                    self._gsp_request(what, method, piece.graph, body)
            return
        self._update_url()
        for request in packed(pieces):
            self._post_update(what, update_text(request, self._engine_for(what)))

    def _drop_graph(self, what: str, graph: ox.NamedNode) -> None:
        """Drop a graph, which may not exist (DROP SILENT, or a GSP DELETE allowed a 404)."""
        if self.endpoints.update is not None:
            text = f"{self._engine_for(what).update_prologue}DROP SILENT GRAPH {graph}"
            self._post_update(what, text.encode())
            return
        try:
            self._gsp_request(what, "DELETE", graph, b"")
        except StoreError as exc:
            if "HTTP 404" not in str(exc):
                raise

    def _check_written(self, what: str, expected: Mapping[ox.NamedNode, int]) -> None:
        """Count the quads of the graphs just written; raise when a count is not as written."""
        values = " ".join(str(graph) for graph in expected)
        text = (
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} "
            "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        media, body = self._post_query(f"{what} (counting it back)", text, {})
        rows = self._parse_answer(media, body)
        if not isinstance(rows, ox.QuerySolutions):
            raise StoreError(f"{what}: the store answered the count of the graphs with no rows")
        found = {row["g"]: int(row["n"].value) for row in rows}
        for graph, count in expected.items():
            if found.get(graph, 0) != count:
                raise StoreError(
                    f"{what}: graph {graph.value} was sent {count:,} distinct quads but the "
                    f"store at {self.endpoints} holds {found.get(graph, 0):,} of it: the store "
                    "lost or merged some (a body it did not read, literals it took for equal)"
                )

    def remove_graph(self, graph: ox.NamedNode) -> bool:
        """Drop one named graph. :returns: whether it existed."""
        self._check_writable()
        if not self.has_graph(graph):
            return False
        self._drop_graph(f"removing graph {graph.value}", graph)
        return True

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update as one request (after the queued writes).

        :raises QueryError: when the store rejects it as malformed (HTTP 400).
        :raises StoreError: on a read-only store or any other failure.
        """
        self._check_writable()
        self._send_pending()
        self._post_update("SPARQL update", sparql.encode("utf-8"))

    def flush(self) -> None:
        """Send the queued graph replacements."""
        self._send_pending()

    # -- reading ------------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
        prefixes: Mapping[str, str] | None = None,
        union_default_graph: bool = True,
        default_graphs: Sequence[ox.NamedNode] | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; the answer is read whole and parsed by pyoxigraph.

        ``prefixes`` are declared before the query text. ``substitutions`` bind variables to
        RDF terms with a ``VALUES`` block at the start of the query's WHERE clause (written in
        N-Triples syntax by pyoxigraph, never pasted from user text). With
        ``union_default_graph`` the default graph is the union of the named graphs, as the
        store provides it (see :attr:`Endpoints.union_parameter`); ``default_graphs`` and
        ``named_graphs`` travel as the protocol's ``default-graph-uri`` / ``named-graph-uri``.

        :raises QueryError: on a syntax error (the store's message, or a VALUES that cannot be
            placed).
        :raises StoreError: when the store cannot be reached or fails, naming URL and status;
            when it flags its answer partial, or cut it at its row cap.
        """
        self._send_pending()
        text = with_prefixes(bind_values(sparql, substitutions or {}), prefixes or {})
        form: dict[str, str | list[str]] = {}
        if default_graphs:
            form["default-graph-uri"] = [g.value for g in default_graphs]
        elif union_default_graph and self.endpoints.union_parameter:
            form[self.endpoints.union_parameter] = "true"
        if named_graphs:
            form["named-graph-uri"] = [g.value for g in named_graphs]
        accept = _accept_for(text)
        media, body = self._post_query("SPARQL query", text, form, accept=accept)
        return self._parse_answer(media, body)

    def _parse_answer(self, media: str, body: bytes) -> QueryResult:
        results_format = ox.QueryResultsFormat.from_media_type(media)
        rdf_format = ox.RdfFormat.from_media_type(media)
        repairs = self._engine is not None and self._engine.repairs_results
        try:
            if results_format is not None:
                if repairs and results_format == ox.QueryResultsFormat.JSON:
                    body = repair_results(body)
                return ox.parse_query_results(body, results_format)
            if rdf_format is not None:
                return _as_query_triples(ox.parse(body, rdf_format), repairs=repairs)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(
                f"the SPARQL store at {self.endpoints.query} answered malformed {media}: {exc}"
            ) from exc
        raise StoreError(
            f"the SPARQL store at {self.endpoints.query} answered {media or 'no content type'}, "
            "expected SPARQL results or RDF"
        )

    def _solutions(self, what: str, text: str, count_text: str) -> Iterator[ox.QuerySolution]:
        """Every solution of a SELECT without ORDER BY, LIMIT or OFFSET, however many.

        One answer, parsed as it arrives; when the store says it cut that answer at its row
        cap, the query again in pages of the cap, checked (no row twice, and as many rows as
        ``count_text``, a ``SELECT (COUNT(...) AS ?n)``, counts).
        """
        url = self.endpoints.query
        form = {"query": self.engine.query_prologue + text}
        with self._exchange(
            what, "POST", url, data=form, headers={"Accept": _SELECT_ACCEPT}
        ) as response:
            _check_complete(what, response)
            cap = _row_cap(response)
            if cap is None:
                yield from self._parse_streamed(what, response)
                return
        yield from self._paged(what, text, count_text, cap)

    def _parse_streamed(self, what: str, response: httpx.Response) -> Iterator[ox.QuerySolution]:
        url, media = self.endpoints.query, _media_type(response)
        results_format = ox.QueryResultsFormat.from_media_type(media)
        if results_format is None:
            raise StoreError(f"{what}: {url} answered {media!r}, expected SPARQL results")
        source: bytes | io.BufferedReader
        if self.engine.repairs_results:
            source = response.read()
            if results_format == ox.QueryResultsFormat.JSON:
                source = repair_results(source)
        else:
            source = io.BufferedReader(_Body(response.iter_bytes()), _CHUNK_BYTES)
        try:
            rows = ox.parse_query_results(source, results_format)
            assert isinstance(rows, ox.QuerySolutions)
            yield from rows
        except SyntaxError as exc:
            raise StoreError(f"{what}: {url} answered malformed {media}: {exc}") from exc

    def _paged(self, what: str, text: str, count_text: str, cap: int) -> Iterator[ox.QuerySolution]:
        logger.info("%s: the store caps answers at %d rows; reading in pages", what, cap)
        seen: set[int] = set()
        offset = 0
        while True:
            page = f"{text} LIMIT {cap} OFFSET {offset}"
            media, body = self._post_query(what, page, {}, accept=_SELECT_ACCEPT, cap_allowed=True)
            rows = self._parse_answer(media, body)
            assert isinstance(rows, ox.QuerySolutions)
            names = [v.value for v in rows.variables]
            read = 0
            for row in rows:
                key = hash(tuple(row[name] for name in names))
                if key in seen:
                    raise StoreError(
                        f"{what}: the store's pages of {cap:,} rows overlap at row "
                        f"{offset + read:,} (its order changed between pages: was it written "
                        "to meanwhile?)"
                    )
                seen.add(key)
                read += 1
                yield row
            if read < cap:
                break
            offset += cap
        expected = self._count(what, count_text)
        if len(seen) != expected:
            raise StoreError(
                f"{what}: read {len(seen):,} rows in pages of {cap:,}, but the store counts "
                f"{expected:,} (was it written to meanwhile?)"
            )

    def _count(self, what: str, text: str) -> int:
        media, body = self._post_query(what, text, {}, accept=_SELECT_ACCEPT)
        rows = self._parse_answer(media, body)
        assert isinstance(rows, ox.QuerySolutions)
        return int(next(iter(rows))["n"].value)

    def _system_graphs(self) -> frozenset[str]:
        """The engine's service-description graphs (read once)."""
        if self._service_graphs is None:
            text = self.engine.service_graph_query()
            graphs: set[str] = set()
            if text is not None:
                media, body = self._post_query("listing the store's own graphs", text, {})
                rows = self._parse_answer(media, body)
                assert isinstance(rows, ox.QuerySolutions)
                graphs = {row["g"].value for row in rows}
            self._service_graphs = frozenset(graphs)
        return self._service_graphs

    def _is_system_graph(self, graph: Term) -> bool:
        engine = self.engine
        if not engine.system_prefixes and not engine.describes_itself:
            return False
        return engine.is_system_graph(graph.value, self._system_graphs())

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """The named graphs that hold at least one triple (not the engine's own)."""
        self._send_pending()
        rows = self._solutions(
            "listing the named graphs",
            # GROUP BY, not DISTINCT: Virtuoso 7.2 takes 20-30 s over a DISTINCT ?g of any store.
            "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        )
        graphs = [row["g"] for row in rows]
        return iter(
            [g for g in graphs if isinstance(g, ox.NamedNode) and not self._is_system_graph(g)]
        )

    def has_graph(self, graph: ox.NamedNode) -> bool:
        answer = self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}", union_default_graph=False)
        return bool(answer)

    def quads(
        self,
        subject: ox.NamedNode | None = None,
        predicate: ox.NamedNode | None = None,
        obj: ox.NamedNode | ox.Literal | None = None,
        graph: ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads of the named graphs matching a pattern, as they arrive (in pages when the
        store caps its answers)."""
        self._send_pending()
        given: dict[str, Term | None] = {"s": subject, "p": predicate, "o": obj, "g": graph}
        s, p, o, g = (f"?{v}" if t is None else str(t) for v, t in given.items())
        wanted = " ".join(f"?{v}" for v, t in given.items() if t is None) or "*"
        pattern = f"WHERE {{ GRAPH {g} {{ {s} {p} {o} }} }}"
        rows = self._solutions(
            "reading quads", f"SELECT {wanted} {pattern}", f"SELECT (COUNT(*) AS ?n) {pattern}"
        )
        return self._as_quads(rows, given)

    def _as_quads(
        self, rows: Iterator[ox.QuerySolution], given: Mapping[str, Term | None]
    ) -> Iterator[ox.Quad]:
        for row in rows:
            s, p, o, g = (given[v] if given[v] is not None else row[v] for v in "spog")
            if given["g"] is None and self._is_system_graph(g):  # type: ignore[arg-type]
                continue
            yield ox.Quad(s, p, o, g)  # type: ignore[arg-type]

    def __len__(self) -> int:
        """The number of quads in the named graphs (not counting the engine's own)."""
        self._send_pending()
        engine = self.engine
        exclude = ""
        if engine.system_prefixes or engine.describes_itself:
            tests = [f'STRSTARTS(STR(?g), "{prefix}")' for prefix in engine.system_prefixes]
            tests += [f"?g = <{iri}>" for iri in sorted(self._system_graphs())]
            exclude = f"FILTER(!({' || '.join(tests)}))"
        text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {exclude} }}"
        return self._count("counting quads", text)

    def dump(
        self,
        output: IO[bytes],
        fmt: ox.RdfFormat,
        *,
        graph: ox.NamedNode | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """Write every named graph (or one) to ``output`` as the quads arrive."""
        quads = self.quads(graph=graph)
        if fmt.supports_datasets:
            ox.serialize(quads, output, fmt, prefixes=dict(prefixes or {}))
        elif graph is not None:
            ox.serialize((q.triple for q in quads), output, fmt, prefixes=dict(prefixes or {}))
        else:
            raise StoreError(f"{fmt.name} holds one graph: name the graph to dump, or use N-Quads")


# -- helpers ----------------------------------------------------------------------------------


def _accept_for(sparql: str) -> str:
    """The media types to ask for: RDF for CONSTRUCT and DESCRIBE, SPARQL results for the
    others (Virtuoso answers the first type listed that it can write, even in the wrong kind).

    >>> _accept_for("PREFIX ex: <http://ex/>  # a comment\\nconstruct { ?s ?p ?o } WHERE {}")
    'application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5'
    >>> _accept_for("SELECT * WHERE {}") == _SELECT_ACCEPT
    True
    """
    start = _PROLOGUE.match(sparql)
    form = sparql[start.end() if start else 0 :][:9].upper()
    if form.startswith(("CONSTRUCT", "DESCRIBE")):
        return _GRAPH_ACCEPT
    if form.startswith(("SELECT", "ASK")):
        return _SELECT_ACCEPT
    return _RESULTS_ACCEPT


def _row_cap(response: httpx.Response) -> int | None:
    """The row cap an answer says it reached (``X-SPARQL-MaxRows``), or None."""
    value = response.headers.get(_ROW_CAP_HEADER)
    if value is None:
        return None
    try:
        return max(1, int(value.strip()))
    except ValueError:
        raise StoreError(
            f"the SPARQL store at {response.request.url} sent X-SPARQL-MaxRows {value!r}, "
            "expected a number of rows"
        ) from None


def _check_complete(what: str, response: httpx.Response) -> None:
    """Refuse an answer the store flags as partial (Virtuoso's ``X-SQL-State``)."""
    state = response.headers.get(_SQL_STATE_HEADER)
    if state is not None:
        message = response.headers.get("x-sql-message", "")
        raise StoreError(
            f"{what}: the SPARQL store at {response.request.url} answered a partial result "
            f"(X-SQL-State {state}: {message}); Virtuoso gives one when a query runs past "
            "MaxQueryExecutionTime ([SPARQL] in virtuoso.ini): raise it, or narrow the query"
        )


class _Body(io.RawIOBase):
    """A response body as a readable file, so pyoxigraph parses it while it arrives."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        while not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._rest = chunk
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._rest))
        view[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def _media_type(response: httpx.Response) -> str:
    media: str = response.headers.get("content-type", "")
    return media.split(";")[0].strip().lower()


def _http_error(what: str, response: httpx.Response) -> QueryError | StoreError:
    """The error for an HTTP error status: QueryError when a query or update was refused."""
    request = response.request
    detail = " ".join(response.text.split())[:500]
    message = (
        f"{what}: {request.method} {request.url} answered HTTP {response.status_code} "
        f"{response.reason_phrase}" + (f": {detail}" if detail else "")
    )
    if response.status_code == 400 and what.startswith("SPARQL"):
        return QueryError(message)
    return StoreError(message)


def _as_query_triples(
    quads: Iterable[ox.Quad | ox.Triple], *, repairs: bool = False
) -> ox.QueryTriples:
    """Parsed triples as the ``QueryTriples`` a local CONSTRUCT gives (via a scratch store,
    which also writes literals in Oxigraph's canonical form)."""
    scratch = ox.Store()
    for q in quads:
        obj = repair_term(q.object) if repairs else q.object  # type: ignore[arg-type]
        scratch.add(ox.Quad(q.subject, q.predicate, obj))
    answer = scratch.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert isinstance(answer, ox.QueryTriples)
    return answer
