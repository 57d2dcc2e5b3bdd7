"""The web application: SPARQL endpoint, dereferenceable IRIs, HTML pages, VoID, health.

Thing IRIs and documents are kept apart the Cool URIs way, with 303 redirects:
``/trial/NCT03877471`` (the trial) answers ``303 See Other`` to a document,
``/doc/trial/NCT03877471.ttl`` (or ``.nt``, ``.rdf``, ``.jsonld``, ``.html``) chosen by the Accept
header. The 303 response also carries the description in the negotiated format, so a client
that does not follow redirects still gets the data. Vocabulary terms are hash IRIs
(``/vocab#condition``): ``/vocab`` is their document.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from kg.errors import QueryError, StoreError
from kg.export import jsonld
from kg.ids import DEFAULT_BASE_IRI
from kg.ontology.terms import TermIndex
from kg.rdf.vocab import PREFIXES
from kg.server import views
from kg.server.negotiate import choose
from kg.server.sparql import (
    GRAPH_TYPES,
    RESULT_TYPES,
    LimitExceeded,
    Limits,
    run_query,
    serialise_solutions,
)
from kg.store import QuadStore, Store

__all__ = ["ServerConfig", "create_app"]

access_log = logging.getLogger("kg.server.access")
logger = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
_DOC_TYPES = {**GRAPH_TYPES, "text/html": None}
_EXTENSIONS = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "html": "text/html",
}
_EXTENSION_OF = {media: ext for ext, media in _EXTENSIONS.items()}


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How the server runs."""

    #: The base of trial and graph IRIs in the store.
    base: str = DEFAULT_BASE_IRI
    #: Allow SPARQL Update through /sparql (off: updates get 403).
    allow_update: bool = False
    limits: Limits = field(default_factory=Limits)


def create_app(store: QuadStore, config: ServerConfig = ServerConfig()) -> Starlette:
    """The ASGI application over ``store`` (opened read-only unless updates are allowed)."""
    index = TermIndex.from_store(store, base=config.base)
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    # A store on disk changes only through this server while it serves it (writing to a store
    # another process reads is not supported), so what its pages count can be kept until the
    # server writes; others may write to a remote store at any time.
    site = views.Site(store, index, config.base, remember=isinstance(store, Store))

    def origin(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def rdf_response(
        triples: list[ox.Triple],
        media: str,
        request: Request,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        prefixes = {**PREFIXES, "trial": f"{config.base}trial/"}
        if media == "application/ld+json":
            body = jsonld(triples, prefixes, context_url=f"{origin(request)}/context.jsonld")
        else:
            fmt = GRAPH_TYPES[media]
            assert fmt is not None
            body = ox.serialize(triples, None, fmt, prefixes=prefixes) or b""
        return Response(body, status_code=status, media_type=media, headers=headers)

    def error(status: int, message: str) -> PlainTextResponse:
        return PlainTextResponse(message + "\n", status_code=status)

    # -- SPARQL -------------------------------------------------------------------------------

    async def sparql(request: Request) -> Response:
        params = dict(request.query_params)
        default_graphs = request.query_params.getlist("default-graph-uri")
        named_graphs = request.query_params.getlist("named-graph-uri")
        query = update = None
        if request.method == "GET":
            query = params.get("query")
            if query is None:
                return service_description(request)
        else:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type == "application/sparql-query":
                query = (await request.body()).decode("utf-8")
            elif content_type == "application/sparql-update":
                update = (await request.body()).decode("utf-8")
            elif content_type == "application/x-www-form-urlencoded":
                # URL-encoded forms are parsed with the standard library (Starlette's form
                # parser needs python-multipart, which only multipart bodies would justify).
                form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
                query = next(iter(form.get("query", [])), None)
                update = next(iter(form.get("update", [])), None)
                default_graphs += form.get("default-graph-uri", [])
                named_graphs += form.get("named-graph-uri", [])
            else:
                return error(
                    415,
                    "POST a query as application/sparql-query, an update as "
                    "application/sparql-update, or a form (query= or update=)",
                )
        if update is not None:
            if not config.allow_update:
                return error(
                    403,
                    "SPARQL Update is not allowed on this server (start it with --allow-update)",
                )
            try:
                await run_in_threadpool(store.update, update)
            except QueryError as exc:
                return error(400, str(exc))
            except StoreError as exc:
                return error(403, str(exc))
            finally:
                site.forget()
            return Response(status_code=204)
        if not query:
            return error(400, "missing query: pass query= or POST a query")
        try:
            answer = await run_in_threadpool(
                run_query,
                store,
                query,
                config.limits,
                default_graphs=[ox.NamedNode(g) for g in default_graphs] or None,
                named_graphs=[ox.NamedNode(g) for g in named_graphs] or None,
            )
        except LimitExceeded as exc:
            return error(exc.status, str(exc))
        except QueryError as exc:
            return error(400, str(exc))
        except ValueError as exc:  # a malformed graph IRI
            return error(400, f"bad graph IRI: {exc}")
        accept = request.headers.get("accept")
        if answer.kind == "graph":
            media = choose(accept, list(GRAPH_TYPES))
            if media is None:
                return error(406, f"graph results come as {', '.join(GRAPH_TYPES)}")
            return rdf_response(list(answer.triples), media, request)
        media = choose(accept, list(RESULT_TYPES))
        if media is None:
            return error(406, f"query results come as {', '.join(RESULT_TYPES)}")
        return Response(serialise_solutions(answer, RESULT_TYPES[media]), media_type=media)

    def service_description(request: Request) -> Response:
        media = choose(request.headers.get("accept"), list(GRAPH_TYPES)) or "text/turtle"
        return rdf_response(
            views.service_description(f"{origin(request)}/sparql", config.allow_update),
            media,
            request,
        )

    # -- linked data --------------------------------------------------------------------------

    def negotiate_document(request: Request) -> str | None:
        return choose(request.headers.get("accept"), list(_DOC_TYPES))

    async def trial_thing(request: Request) -> Response:
        key = request.path_params["key"]
        media = negotiate_document(request)
        if media is None:
            return error(406, f"documents come as {', '.join(_DOC_TYPES)}")
        document = f"/doc/trial/{quote(key)}.{_EXTENSION_OF[media]}"
        response = await trial_document(request, key=key, media=media)
        if response.status_code != 200:
            return response
        response.status_code = 303
        response.headers["location"] = document
        response.headers["vary"] = "Accept"
        return response

    async def trial_doc(request: Request) -> Response:
        media = _EXTENSIONS.get(request.path_params["ext"])
        if media is None:
            return error(404, f"no such document format; known: {', '.join(_EXTENSIONS)}")
        return await trial_document(request, key=request.path_params["key"], media=media)

    async def trial_document(request: Request, *, key: str, media: str) -> Response:
        trial = ox.NamedNode(f"{config.base}trial/{key}")
        triples = await run_in_threadpool(site.describe_trial, trial)
        if not triples:
            return error(404, f"no trial {key} in this graph")
        links = {f"/doc/trial/{quote(key)}.{ext}": m for ext, m in _EXTENSIONS.items()}
        headers = {
            "link": ", ".join(f'<{url}>; rel="alternate"; type="{m}"' for url, m in links.items())
        }
        if media == "text/html":
            page = await run_in_threadpool(site.trial_page, trial, triples)
            return templates.TemplateResponse(
                request, "trial.html", {"trial": page, "key": key, "links": links}, headers=headers
            )
        return rdf_response(triples, media, request, headers=headers)

    async def term_page(request: Request) -> Response:
        given = request.path_params["curie"]
        curie = given if ":" in given else given.replace("_", ":", 1)  # DOID:5426 or DOID_5426
        term = index.get(curie)
        if term is None:
            return error(404, f"no term {curie} in the loaded ontologies")
        asked = request.query_params.get("page", "1")
        if not asked.isdigit() or int(asked) < 1:
            return error(400, f"page must be a whole number from 1; found {asked!r}")
        listing = await run_in_threadpool(site.term_listing, term.curie, int(asked))
        if listing is None:
            return error(404, f"{term.curie} has no page {asked} of trials")
        trials = listing.pop("trials")
        link = ", ".join(
            f'<{listing[rel]}>; rel="{rel}"' for rel in ("prev", "next") if listing[rel]
        )
        headers = {"Link": link} if link else None
        media = choose(request.headers.get("accept"), ["text/html", "application/json"])
        if media == "application/json":
            return JSONResponse(
                {
                    "term": term.curie,
                    "label": term.label,
                    "iri": term.iri,
                    **listing,
                    "trials": trials,
                },
                headers=headers,
            )
        return templates.TemplateResponse(
            request,
            "term.html",
            {"term": term, "trials": trials, "index": index, "listing": listing},
            headers=headers,
        )

    async def vocab(request: Request) -> Response:
        media = negotiate_document(request) or "text/turtle"
        triples = await run_in_threadpool(site.vocabulary)
        if media == "text/html":
            terms = site.vocabulary_table(triples)
            return templates.TemplateResponse(request, "vocab.html", {"terms": terms})
        return rdf_response(triples, media, request)

    async def void(request: Request) -> Response:
        media = choose(request.headers.get("accept"), list(GRAPH_TYPES)) or "text/turtle"
        triples = await run_in_threadpool(site.void, origin(request))
        return rdf_response(triples, media, request)

    async def context(request: Request) -> Response:
        prefixes = {**PREFIXES, "trial": f"{config.base}trial/"}
        return Response(
            json.dumps({"@context": prefixes}, indent=2), media_type="application/ld+json"
        )

    # -- pages for people ---------------------------------------------------------------------

    async def home(request: Request) -> Response:
        stats = await run_in_threadpool(site.stats)
        return templates.TemplateResponse(request, "index.html", {"stats": stats})

    async def search(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        results = await run_in_threadpool(site.search, q) if q else []
        return templates.TemplateResponse(request, "search.html", {"q": q, "results": results})

    async def suggest(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        return JSONResponse(site.suggest(q) if len(q) >= 2 else [])

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "quads": len(store)})

    routes = [
        Route("/", home),
        Route("/search", search),
        Route("/api/suggest", suggest),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/trial/{key}", trial_thing),
        Route("/doc/trial/{key}.{ext}", trial_doc),
        Route("/term/{curie}", term_page),
        Route("/vocab", vocab),
        Route("/.well-known/void", void),
        Route("/context.jsonld", context),
        Route("/health", health),
        Mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=["Location", "Link"],
        ),
        Middleware(_AccessLog),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.site = site
    return app


class _AccessLog:
    """One structured (JSON) log line per request: method, path, status, duration, client."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def record(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            client = scope.get("client") or ("-", 0)
            access_log.info(
                json.dumps(
                    {
                        "method": scope["method"],
                        "path": scope["path"],
                        "query": scope.get("query_string", b"").decode("latin-1")[:200],
                        "status": status["code"],
                        "ms": round((time.perf_counter() - start) * 1000, 1),
                        "client": client[0],
                    }
                )
            )
