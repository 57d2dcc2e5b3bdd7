"""The web application: SPARQL endpoint, dereferenceable IRIs, HTML pages, VoID, health.

Thing IRIs and documents are kept apart the Cool URIs way, with 303 redirects:
``/trial/NCT03877471`` (the trial) answers ``303 See Other`` to a document,
``/doc/trial/NCT03877471.ttl`` (or ``.nt``, ``.rdf``, ``.jsonld``, ``.html``) chosen by the Accept
header. The 303 response also carries the description in the negotiated format, so a client
that does not follow redirects still gets the data. Vocabulary terms are hash IRIs
(``/vocab#condition``): ``/vocab`` is their document.

The handlers are in :mod:`kg.server.routes`; what they share is the application's
:class:`~kg.server.context.Context`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from kg.errors import StoreError
from kg.ontology.terms import TermIndex
from kg.server.access_log import AccessLog
from kg.server.context import Context, ServerConfig
from kg.server.routes import search, sparql, term, trial, void
from kg.server.security import RequestGuard, SecurityHeaders, ServerErrors
from kg.server.views.describe import DatasetDescription
from kg.server.views.search import TermSearch
from kg.server.views.terms import TermListings
from kg.server.views.trial import TrialDescriptions
from kg.server.workers import InProcess, QueryPool, Runner
from kg.store import QuadStore, Store, StoreSpec
from kg.store.remote import RemoteStore

__all__ = ["ServerConfig", "create_app"]

_HERE = Path(__file__).resolve().parent

# Each handler's module groups the routes of one kind of resource.
ROUTES: list[BaseRoute] = [
    Route("/", search.home),
    Route("/search", search.search),
    Route("/api/suggest", search.suggest),
    Route("/sparql", sparql.sparql, methods=["GET", "POST"]),
    Route("/trial/{key}", trial.trial),
    Route("/doc/trial/{key}.{ext}", trial.trial_document),
    Route("/term/{curie}", term.term_page),
    Route("/vocab", void.vocab),
    Route("/.well-known/void", void.void),
    Route("/context.jsonld", void.jsonld_context),
    Route("/health", void.health),
    Mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static"),
]

# From the outside in: security headers on every response, the 500 of an unexpected error
# among them; CORS, as scripts on any site may query the endpoint and read where its redirects
# and pages lead; the access log; then malformed requests are refused before any route reads them.
MIDDLEWARE = [
    Middleware(SecurityHeaders),
    Middleware(ServerErrors),
    Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Location", "Link"],
    ),
    Middleware(AccessLog),
    Middleware(RequestGuard),
]

#: How the server runs unless told otherwise.
_DEFAULT_CONFIG = ServerConfig()


def create_app(store: QuadStore, config: ServerConfig = _DEFAULT_CONFIG) -> Starlette:
    """The ASGI application over ``store`` (opened read-only unless updates are allowed).

    SPARQL queries run in worker processes that open the same store read-only (see
    :mod:`kg.server.workers`); a store held in memory only answers them in process.

    :raises StoreError: a remote store holding private graphs, which the server cannot keep
        out of a remote engine's dataset.
    """
    queries = _query_runner(store, config)
    index = TermIndex.from_store(store, base=config.base)
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    # A store on disk changes only through this server while it serves it (writing to a store
    # another process reads is not supported), so what its pages count can be kept until the
    # server writes; others may write to a remote store at any time.
    terms = TermListings(store, index, config.base, remember=isinstance(store, Store))
    app = Starlette(routes=ROUTES, middleware=MIDDLEWARE, lifespan=_stops(queries))
    app.state.context = Context(
        store,
        config,
        queries,
        templates,
        trials=TrialDescriptions(store, index, config.base),
        terms=terms,
        search=TermSearch(terms),
        dataset=DatasetDescription(store, index, config.base),
    )
    return app


def _query_runner(store: QuadStore, config: ServerConfig) -> Runner:
    """Worker processes over the store's folder or endpoints; in process for a memory store."""
    if isinstance(store, Store):
        if store.path is None:
            return InProcess(store, private_prefix=config.private_prefix)
        spec: StoreSpec = store.path
    elif isinstance(store, RemoteStore):
        private = next(
            (g for g in store.named_graphs() if g.value.startswith(config.private_prefix)), None
        )
        if private is not None:
            raise StoreError(
                f"{store.endpoints.query} holds private graphs ({private.value}, ...): a remote "
                "store's own engine decides what its queries see, so trialkg serve does not "
                "serve one with contacts; serve a store built without --include-contacts"
            )
        spec = store.endpoints
    else:
        return InProcess(store, private_prefix=config.private_prefix)
    return QueryPool(spec, size=config.workers, private_prefix=config.private_prefix)


def _stops(queries: Runner) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The application's lifespan: the query workers stop when the server does."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            queries.close()

    return lifespan
