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

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from kg.ontology.terms import TermIndex
from kg.server.access_log import AccessLog
from kg.server.context import Context, ServerConfig
from kg.server.routes import search, sparql, term, trial, void
from kg.server.views.describe import DatasetDescription
from kg.server.views.search import TermSearch
from kg.server.views.terms import TermListings
from kg.server.views.trial import TrialDescriptions
from kg.store import QuadStore, Store

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

# Scripts on any site may query the endpoint and read where its redirects and pages lead.
MIDDLEWARE = [
    Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Location", "Link"],
    ),
    Middleware(AccessLog),
]

#: How the server runs unless told otherwise.
_DEFAULT_CONFIG = ServerConfig()


def create_app(store: QuadStore, config: ServerConfig = _DEFAULT_CONFIG) -> Starlette:
    """The ASGI application over ``store`` (opened read-only unless updates are allowed)."""
    index = TermIndex.from_store(store, base=config.base)
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    # A store on disk changes only through this server while it serves it (writing to a store
    # another process reads is not supported), so what its pages count can be kept until the
    # server writes; others may write to a remote store at any time.
    terms = TermListings(store, index, config.base, remember=isinstance(store, Store))
    app = Starlette(routes=ROUTES, middleware=MIDDLEWARE)
    app.state.context = Context(
        store,
        config,
        templates,
        trials=TrialDescriptions(store, index, config.base),
        terms=terms,
        search=TermSearch(terms),
        dataset=DatasetDescription(store, index, config.base),
    )
    return app
