"""What trialkg asks of a store, whatever the engine: the :class:`QuadStore` protocol.

:class:`kg.store.oxigraph.Store` (embedded Oxigraph) and :class:`kg.store.remote.RemoteStore`
(any SPARQL 1.1 store over HTTP) offer it; :func:`kg.store.open_store` opens either from what
``--store`` names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol, TypeAlias

import pyoxigraph as ox

if TYPE_CHECKING:
    from kg.store.remote import Endpoints

__all__ = ["DEFAULT_STORE", "Counted", "QuadStore", "QueryResult", "StoreSpec", "is_remote"]

#: Where the store lives when no --store is given.
DEFAULT_STORE = Path("trialkg.db")

#: What a SPARQL query answers: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT).
QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

#: What ``--store`` names: a folder (embedded Oxigraph), a SPARQL store's URL, or its endpoints.
StoreSpec: TypeAlias = "str | Path | Endpoints"


class QuadStore(Protocol):
    """What trialkg asks of a store: named graphs in, SPARQL answers and quads out.

    :class:`kg.store.oxigraph.Store` and :class:`kg.store.remote.RemoteStore` offer it; so can
    anything else.
    """

    #: Whether writes are refused.
    read_only: bool

    def replace_graph(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> int:
        """Replace one named graph's content, atomically. :returns: the quads written."""
        ...

    def replace_graph_large(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> int:
        """Replace a large named graph (an ontology), streaming. :returns: the quads written."""
        ...

    def remove_graph(self, graph: ox.NamedNode) -> bool:
        """Drop one named graph. :returns: whether it existed."""
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update."""
        ...

    def flush(self) -> None:
        """Make the writes so far durable and visible to other readers."""
        ...

    def close(self) -> None:
        """Flush, then let go of files or connections."""
        ...

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
        """Run a SPARQL query, parameters bound as RDF terms."""
        ...

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """The named graphs."""
        ...

    def has_graph(self, graph: ox.NamedNode) -> bool:
        """Whether a named graph exists."""
        ...

    def quads(
        self,
        subject: ox.NamedNode | None = None,
        predicate: ox.NamedNode | None = None,
        obj: ox.NamedNode | ox.Literal | None = None,
        graph: ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern."""
        ...

    def __len__(self) -> int:
        """The number of quads."""
        ...

    def dump(
        self,
        output: IO[bytes],
        fmt: ox.RdfFormat,
        *,
        graph: ox.NamedNode | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """Write the store (or one graph) to ``output``."""
        ...


def is_remote(spec: StoreSpec) -> bool:
    """Whether ``spec`` names a SPARQL store over HTTP rather than a folder.

    >>> is_remote("http://127.0.0.1:7878"), is_remote("trialkg.db"), is_remote(Path("x"))
    (True, False, False)
    """
    if isinstance(spec, str):
        return spec.startswith(("http://", "https://"))
    return not isinstance(spec, Path)


class Counted:
    """Passes quads through, counting them (``.count``) for reports."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self._quads = quads
        self.count = 0

    def __iter__(self) -> Iterator[ox.Quad]:
        for quad in self._quads:
            self.count += 1
            yield quad
