"""A SPARQL 1.1 store over HTTP, offering what :class:`kg.store.Store` offers.

For stores that outgrow one machine: Oxigraph's server, Apache Jena Fuseki, GraphDB, Virtuoso,
QLever (read-only). Reads go through the SPARQL 1.1 Query endpoint; writes through the SPARQL
1.1 Update endpoint or, where one is given, the Graph Store Protocol (GSP). Answers come back as
pyoxigraph objects, parsed with pyoxigraph's own parsers, so callers cannot tell the two stores
apart.

Guarantees, as the method names say:

- :meth:`RemoteStore.replace_graph` queues ``DROP SILENT GRAPH g`` plus the new content; queued
  graphs go out together, several to one update request (one transaction on Oxigraph, Fuseki
  and GraphDB). The queue is sent when it is full, before any read, and by
  :meth:`RemoteStore.flush`: call it (or :meth:`RemoteStore.close`) when done writing.
- :meth:`RemoteStore.replace_graph_large` streams a whole graph in one request: a GSP ``PUT``
  when a GSP URL is known, else one update.

Credentials come from the environment only (:func:`auth_from_env`), never from arguments that
would show in a process list.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

import httpx
import pyoxigraph as ox

from kg.errors import QueryError, StoreError
from kg.store.base import QueryResult
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
_BATCH_GRAPHS = 64
_BATCH_BYTES = 4_000_000
_CHUNK_BYTES = 1 << 16


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

    Only named graphs are read and written; trialkg puts nothing in the default graph.

    :param endpoints: where the store answers.
    :param read_only: refuse every write.
    :param auth: HTTP authentication (see :func:`auth_from_env`).
    :param transport: an httpx transport, e.g. ``httpx.MockTransport`` in tests.
    :param timeout: seconds to wait for an answer (connecting: at most 10).
    """

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        read_only: bool = False,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 300.0,
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
        self._pending: dict[ox.NamedNode, str] = {}
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

    def ping(self) -> None:
        """Ask the query endpoint a trivial question.

        :raises StoreError: naming the URL, when the store cannot be reached or refuses.
        """
        self.query("ASK { }", union_default_graph=False)

    # -- HTTP ---------------------------------------------------------------------------------

    @contextmanager
    def _exchange(
        self, what: str, method: str, url: str, **kwargs: Any
    ) -> Iterator[httpx.Response]:
        """One request, its errors turned into StoreError (QueryError for a 400 to SPARQL)."""
        try:
            with self._client.stream(method, url, **kwargs) as response:
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
        self, what: str, text: str, form: Mapping[str, str | list[str]]
    ) -> tuple[str, bytes]:
        data = {"query": text, **form}
        headers = {"Accept": _RESULTS_ACCEPT}
        with self._exchange(what, "POST", self.endpoints.query, data=data, headers=headers) as r:
            return _media_type(r), r.read()

    def _post_update(self, what: str, body: bytes | Iterable[bytes]) -> None:
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

    # -- writing ------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"store {self.endpoints} is open read-only")

    def replace_graph(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> int:
        """Replace the content of one named graph; queued, and sent with other graphs.

        Every quad must belong to ``graph``. Each request drops and re-inserts its graphs in
        one SPARQL update (one transaction where the store runs an update as one). Without an
        update endpoint the graph is sent at once, with a Graph Store Protocol ``PUT``.

        :returns: the number of quads written.
        :raises StoreError: for a quad of another graph (nothing is queued), or when a request
            fails (naming the URL and the HTTP status).
        """
        self._check_writable()
        text = "".join(_triple_text(quad, graph) for quad in quads)
        count = text.count("\n")
        if self.endpoints.update is None:
            self._put_graph(graph, [text.encode("utf-8")])
            return count
        with self._lock:
            self._pending_bytes -= len(self._pending.pop(graph, ""))
            self._pending[graph] = text
            self._pending_bytes += len(text)
            if len(self._pending) >= _BATCH_GRAPHS or self._pending_bytes >= _BATCH_BYTES:
                self._send_pending()
        return count

    def _send_pending(self) -> None:
        with self._lock:
            if not self._pending:
                return
            batch, self._pending, self._pending_bytes = self._pending, {}, 0
            operations = [f"DROP SILENT GRAPH {graph}" for graph in batch]
            data = "".join(f"GRAPH {graph} {{\n{text}}}\n" for graph, text in batch.items() if text)
            if data:
                # One INSERT DATA for all graphs: blank node labels are unique to their graph,
                # and one operation keeps stores from merging or splitting them.
                operations.append(f"INSERT DATA {{\n{data}}}")
            first = next(iter(batch)).value
            more = f" and {len(batch) - 1} more" if len(batch) > 1 else ""
            self._post_update(f"writing graph {first}{more}", " ;\n".join(operations).encode())
            logger.debug("wrote %d graphs to %s", len(batch), self.endpoints)

    def _put_graph(self, graph: ox.NamedNode, body: Iterable[bytes]) -> None:
        if self.endpoints.gsp is None:
            raise StoreError(
                f"the SPARQL store {self.endpoints} has neither an update nor a Graph Store "
                "Protocol endpoint: give --store-update URL or --store-gsp URL"
            )
        headers = {"Content-Type": "text/turtle; charset=utf-8"}  # N-Triples is Turtle
        with self._exchange(
            f"writing graph {graph.value}",
            "PUT",
            self.endpoints.gsp,
            params={"graph": graph.value},
            content=body,
            headers=headers,
        ):
            pass

    def replace_graph_large(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> int:
        """Replace a large named graph (an ontology), streaming it in one request.

        A Graph Store Protocol ``PUT`` when a GSP URL is known, else one SPARQL update
        (``DROP SILENT GRAPH`` then ``INSERT DATA``). Either way one request: the store
        decides whether it is atomic (Oxigraph's are).

        :returns: the number of quads written.
        """
        self._check_writable()
        self._send_pending()
        counter = _Tally()
        body = _chunks(_triple_text(quad, graph) for quad in counter.counting(quads))
        if self.endpoints.gsp is not None:
            self._put_graph(graph, body)
        else:
            head = f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n".encode()
            self._post_update(f"writing graph {graph.value}", _framed(head, body, b"} }"))
        return counter.count

    def remove_graph(self, graph: ox.NamedNode) -> bool:
        """Drop one named graph. :returns: whether it existed."""
        self._check_writable()
        if not self.has_graph(graph):
            return False
        if self.endpoints.update is None and self.endpoints.gsp is not None:
            with self._exchange(
                f"removing graph {graph.value}",
                "DELETE",
                self.endpoints.gsp,
                params={"graph": graph.value},
            ):
                pass
        else:
            self._post_update(f"removing graph {graph.value}", f"DROP GRAPH {graph}".encode())
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
        :raises StoreError: when the store cannot be reached or fails, naming URL and status.
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
        media, body = self._post_query("SPARQL query", text, form)
        return self._parse_answer(media, body)

    def _parse_answer(self, media: str, body: bytes) -> QueryResult:
        results_format = ox.QueryResultsFormat.from_media_type(media)
        rdf_format = ox.RdfFormat.from_media_type(media)
        try:
            if results_format is not None:
                return ox.parse_query_results(body, results_format)
            if rdf_format is not None:
                return _as_query_triples(ox.parse(body, rdf_format))
        except SyntaxError as exc:
            raise StoreError(
                f"the SPARQL store at {self.endpoints.query} answered malformed {media}: {exc}"
            ) from exc
        raise StoreError(
            f"the SPARQL store at {self.endpoints.query} answered {media or 'no content type'}, "
            "expected SPARQL results or RDF"
        )

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """The named graphs that hold at least one triple."""
        rows = self.query(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", union_default_graph=False
        )
        assert isinstance(rows, ox.QuerySolutions)
        return iter([row["g"] for row in rows if isinstance(row["g"], ox.NamedNode)])

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
        """The quads of the named graphs matching a pattern, streamed as they arrive."""
        self._send_pending()
        given: dict[str, Term | None] = {"s": subject, "p": predicate, "o": obj, "g": graph}
        s, p, o, g = (f"?{v}" if t is None else str(t) for v, t in given.items())
        wanted = " ".join(f"?{v}" for v, t in given.items() if t is None) or "*"
        text = f"SELECT {wanted} WHERE {{ GRAPH {g} {{ {s} {p} {o} }} }}"
        return self._stream_quads(text, given)

    def _stream_quads(self, text: str, given: Mapping[str, Term | None]) -> Iterator[ox.Quad]:
        what = "reading quads"
        headers = {
            "Accept": "application/sparql-results+json, application/sparql-results+xml;q=0.9"
        }
        url = self.endpoints.query
        with self._exchange(what, "POST", url, data={"query": text}, headers=headers) as response:
            media = _media_type(response)
            results_format = ox.QueryResultsFormat.from_media_type(media)
            if results_format is None:
                raise StoreError(f"{what}: {url} answered {media!r}, expected SPARQL results")
            reader = io.BufferedReader(_Body(response.iter_bytes()), _CHUNK_BYTES)
            try:
                rows = ox.parse_query_results(reader, results_format)
                assert isinstance(rows, ox.QuerySolutions)
                for row in rows:
                    s, p, o, g = (given[v] if given[v] is not None else row[v] for v in "spog")
                    yield ox.Quad(s, p, o, g)  # type: ignore[arg-type]
            except SyntaxError as exc:
                raise StoreError(f"{what}: {url} answered malformed {media}: {exc}") from exc

    def __len__(self) -> int:
        rows = self.query(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", union_default_graph=False
        )
        assert isinstance(rows, ox.QuerySolutions)
        return int(next(iter(rows))["n"].value)

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


def _triple_text(quad: ox.Quad, graph: ox.NamedNode) -> str:
    if quad.graph_name != graph:
        raise StoreError(f"quad for graph {quad.graph_name} given to replace {graph}")
    return f"{quad.subject} {quad.predicate} {quad.object} .\n"


def _chunks(lines: Iterable[str]) -> Iterator[bytes]:
    """Lines joined into request-body chunks of about 64 KiB."""
    buffer: list[str] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= _CHUNK_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _framed(head: bytes, body: Iterable[bytes], tail: bytes) -> Iterator[bytes]:
    yield head
    yield from body
    yield tail


class _Tally:
    """Counts the quads passing through :meth:`counting`."""

    def __init__(self) -> None:
        self.count = 0

    def counting(self, quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        for quad in quads:
            self.count += 1
            yield quad


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


def _as_query_triples(quads: Iterable[ox.Quad | ox.Triple]) -> ox.QueryTriples:
    """Parsed triples as the ``QueryTriples`` a local CONSTRUCT gives (via a scratch store)."""
    scratch = ox.Store()
    scratch.extend(
        q if isinstance(q, ox.Quad) else ox.Quad(q.subject, q.predicate, q.object) for q in quads
    )
    answer = scratch.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert isinstance(answer, ox.QueryTriples)
    return answer
