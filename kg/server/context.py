"""What every route shares: how the server runs, its store, and what its pages read."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from kg.ids import DEFAULT_BASE_IRI
from kg.rdf.vocab import PREFIXES
from kg.server.sparql import Limits
from kg.server.views.describe import DatasetDescription
from kg.server.views.search import TermSearch
from kg.server.views.terms import TermListings
from kg.server.views.trial import TrialDescriptions
from kg.server.workers import Runner
from kg.store import QuadStore

__all__ = ["Context", "ServerConfig", "context"]


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How the server runs."""

    #: The base of trial and graph IRIs in the store.
    base: str = DEFAULT_BASE_IRI
    #: Allow SPARQL Update through /sparql (off: updates get 403).
    allow_update: bool = False
    limits: Limits = field(default_factory=Limits)
    #: Worker processes answering SPARQL queries (queries answered at once).
    workers: int = 2
    #: SERVICE endpoints queries may call (none: SERVICE is refused).
    services: tuple[str, ...] = ()

    @property
    def private_prefix(self) -> str:
        """Graphs whose IRI starts with this hold personal data and are never served."""
        return f"{self.base}graph/private/"

    @property
    def prefixes(self) -> dict[str, str]:
        """The prefixes RDF is written with: the vocabularies' and ``trial:`` for this base."""
        return {**PREFIXES, "trial": f"{self.base}trial/"}


@dataclass(frozen=True, slots=True)
class Context:
    """The state one application shares between its requests."""

    store: QuadStore
    config: ServerConfig
    #: Where SPARQL queries run (worker processes over the store).
    queries: Runner
    templates: Jinja2Templates
    # What the pages and documents show, a reader per kind of resource (see kg.server.views).
    trials: TrialDescriptions
    terms: TermListings
    search: TermSearch
    dataset: DatasetDescription


def context(request: Request) -> Context:
    """The shared state of the application serving ``request``."""
    shared = request.app.state.context
    assert isinstance(shared, Context)
    return shared
