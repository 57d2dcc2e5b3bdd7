"""``/sparql``: the SPARQL 1.1 Protocol (queries, and updates when allowed) and the endpoint's
service description."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from kg.errors import QueryError, StoreError
from kg.server.context import context
from kg.server.responses import (
    DEFAULT_RDF_TYPE,
    RDF_FORMATS,
    error,
    origin,
    preferred,
    rdf_response,
)
from kg.server.sparql import Job
from kg.server.views.describe import service_description
from kg.server.workers import Failure

__all__ = ["sparql"]


@dataclass
class _Operation:
    """What a request asks the endpoint: a query or an update, and the graphs it names."""

    query: str | None = None
    update: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)


async def sparql(request: Request) -> Response:
    """Answer a query or run an update sent by GET or POST; a GET without a query gets the
    service description."""
    if request.method == "GET" and "query" not in request.query_params:
        return _service_description(request)
    try:
        operation = await _read_operation(request)
    except UnicodeDecodeError as exc:
        return error(400, f"the request body is not UTF-8 (byte {exc.start}): {exc.reason}")
    if operation is None:
        return error(
            415,
            "POST a query as application/sparql-query, an update as "
            "application/sparql-update, or a form (query= or update=)",
        )
    if operation.update is not None:
        return await _update(request, operation.update)
    if not operation.query:
        return error(400, "missing query: pass query= or POST a query")
    return await _query(
        request,
        operation.query,
        default_graphs=operation.default_graphs,
        named_graphs=operation.named_graphs,
    )


async def _read_operation(request: Request) -> _Operation | None:
    """The operation in the request's parameters or body; None for a body of another type.

    :raises UnicodeDecodeError: a body that is not UTF-8.
    """
    params = request.query_params
    operation = _Operation(
        default_graphs=params.getlist("default-graph-uri"),
        named_graphs=params.getlist("named-graph-uri"),
    )
    if request.method == "GET":
        operation.query = params.get("query")
        return operation
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/sparql-query":
        operation.query = (await request.body()).decode("utf-8")
    elif content_type == "application/sparql-update":
        operation.update = (await request.body()).decode("utf-8")
    elif content_type == "application/x-www-form-urlencoded":
        # URL-encoded forms are parsed with the standard library (Starlette's form parser
        # needs python-multipart, which only multipart bodies would justify).
        form = parse_qs(
            (await request.body()).decode("ascii"), keep_blank_values=True, errors="strict"
        )
        operation.query = next(iter(form.get("query", [])), None)
        operation.update = next(iter(form.get("update", [])), None)
        operation.default_graphs += form.get("default-graph-uri", [])
        operation.named_graphs += form.get("named-graph-uri", [])
    else:
        return None
    return operation


async def _update(request: Request, update: str) -> Response:
    """Run an update if the server allows updates; what term pages kept is dropped after it."""
    shared = context(request)
    if not shared.config.allow_update:
        return error(
            403, "SPARQL Update is not allowed on this server (start it with --allow-update)"
        )
    try:
        await run_in_threadpool(shared.store.update, update)
    except QueryError as exc:
        return error(400, str(exc))
    except StoreError as exc:
        return error(403, str(exc))
    finally:
        shared.terms.cache.forget()
        shared.queries.generation += 1  # the workers reopen the store before their next query
    return Response(status_code=204)


async def _query(
    request: Request, query: str, *, default_graphs: list[str], named_graphs: list[str]
) -> Response:
    """Run a query in a worker process, within the server's limits, and stream its answer in
    the format the client prefers."""
    shared = context(request)
    config = shared.config
    job = Job(
        query=query,
        accept=request.headers.get("accept"),
        default_graphs=tuple(default_graphs),
        named_graphs=tuple(named_graphs),
        limits=config.limits,
        prefixes=config.prefixes,
        context_url=f"{origin(request)}/context.jsonld",
        services=config.services,
        private_prefix=config.private_prefix,
    )
    answer = await shared.queries.answer(job)
    if isinstance(answer, Failure):
        return error(answer.status, answer.message)
    if answer.chunks is None:
        return Response(answer.body, media_type=answer.media)
    return StreamingResponse(answer.chunks, media_type=answer.media)


def _service_description(request: Request) -> Response:
    """The endpoint's SPARQL 1.1 Service Description, in the RDF format the client prefers."""
    media = preferred(request, list(RDF_FORMATS)) or DEFAULT_RDF_TYPE
    allow_update = context(request).config.allow_update
    triples = service_description(f"{origin(request)}/sparql", allow_update)
    return rdf_response(request, triples, media)
