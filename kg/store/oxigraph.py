"""The embedded store: Oxigraph on disk (or in memory), knowing nothing of trials.

Guarantees, as the method names say:

- :meth:`Store.replace_graph` swaps one named graph's content in a single transaction: a reader
  sees the old graph or the new one, never a mix, and a failure leaves the old one in place.
- :meth:`Store.bulk_build` fills a *fresh* store fast and is **not** atomic; use it to build a
  new store that is then moved into place, never on a store that others read.

One writer process at a time (:func:`kg.store.open_store` takes the store's writer lock,
:mod:`kg.store.lock`); readers open the store with :meth:`Store.open_read_only`.

Memory stays flat however many graphs are replaced: Oxigraph keeps what each transaction
writes in memory until its files are written, and left alone it lets that grow to tens of MB
for each of its many indexes (1.5 GB after 20,000 trials), so the store writes its buffers
out itself every :attr:`Store.flush_every` bytes of updates.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.errors import QueryError, StoreError
from kg.store.base import Counted, QueryResult
from kg.store.lock import WriterLock

__all__ = ["Store"]

logger = logging.getLogger(__name__)


def _quad_text(quad: ox.Quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} ."


class Store:
    """An Oxigraph store holding the trial graphs and the ontology graphs."""

    #: Bytes of SPARQL updates (:meth:`replace_graph`) after which the store's buffers are
    #: written to disk. Loading 20,000 trials one transaction each, 4 MiB (about 300 trials)
    #: kept ``trialkg load`` near 200 MB where it had grown to 1.5 GB
    #: (``benchmarks/ingest.py --load-memory``), and took no longer.
    flush_every = 4 * 1024 * 1024

    def __init__(
        self,
        inner: ox.Store,
        *,
        path: Path | None,
        read_only: bool,
        lock: WriterLock | None = None,
    ) -> None:
        self._inner = inner
        #: Where the store lives on disk; None for an in-memory store.
        self.path = path
        #: Whether writes are refused.
        self.read_only = read_only
        #: Whether nobody reads the store yet (a build's staging store): a large graph new to
        #: it then goes in through the bulk loader (:meth:`replace_graph_large`).
        self.unread = False
        self._unflushed = 0
        self._lock = lock
        if lock is not None:  # let go of it with the store, should close() never be called
            weakref.finalize(self, lock.release)

    @classmethod
    def open(cls, path: str | Path, *, lock: WriterLock | None = None) -> Store:
        """Open (creating if needed) a store on disk for reading and writing.

        :param lock: the store's writer lock (:func:`kg.store.lock.writer_lock`), taken by the
            caller and let go of when the store is closed.
        :raises StoreError: when the folder cannot be opened, e.g. another process writes to it.
        """
        path = Path(path)
        try:
            inner = ox.Store(str(path))
        except OSError as exc:
            if lock is not None:
                lock.release()
            raise StoreError(f"cannot open store {path} for writing: {exc}") from exc
        return cls(inner, path=path, read_only=False, lock=lock)

    @classmethod
    def open_read_only(cls, path: str | Path) -> Store:
        """Open an existing store on disk for reading only; never blocks a writer.

        :raises StoreError: when there is no store at ``path``.
        """
        path = Path(path)
        if not path.is_dir():
            raise StoreError(f"no store at {path}: run 'trialkg build' first, or pass --store")
        try:
            inner = ox.Store.read_only(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open store {path} for reading: {exc}") from exc
        return cls(inner, path=path, read_only=True)

    @classmethod
    def in_memory(cls) -> Store:
        """A store that lives in memory only, for tests and one-off conversions."""
        return cls(ox.Store(), path=None, read_only=False)

    # -- writing ------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"store {self.path} is open read-only")

    def replace_graph(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> int:
        """Replace the content of one named graph, atomically.

        Every quad must belong to ``graph``. The old content is dropped and the new content
        inserted in one SPARQL update, which Oxigraph runs as one transaction.

        :returns: the number of quads written.
        :raises StoreError: on a write failure or a quad of another graph; the store is unchanged.
        """
        self._check_writable()
        lines = []
        for quad in quads:
            if quad.graph_name != graph:
                raise StoreError(f"quad for graph {quad.graph_name} given to replace {graph}")
            lines.append(_quad_text(quad))
        update = f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n"
        update += "\n".join(lines) + "\n} }"
        try:
            self._inner.update(update)
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"cannot replace graph {graph.value}: {exc}") from exc
        self._unflushed += len(update)
        if self._unflushed >= self.flush_every:
            self.flush()
        return len(lines)

    def replace_graph_large(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> int:
        """Replace a large named graph (an ontology): clear it, then stream the new quads in.

        Not atomic: a failure part way leaves the graph partly written (and reported). Use it
        for ontology releases of 10^5 triples, for which one SPARQL update would be wasteful.
        In a store nobody reads yet (:attr:`unread`), a graph it does not hold goes in through
        the bulk loader, in half the time of a transaction (150,000 quads: 1.3 s, not 2.8 s).
        """
        self._check_writable()
        counter = Counted(quads)
        try:
            if self._inner.contains_named_graph(graph):
                self._inner.remove_graph(graph)
            elif self.unread:
                self._inner.bulk_extend(counter)
                return counter.count
            self._inner.extend(counter)
        except OSError as exc:
            raise StoreError(f"cannot write graph {graph.value}: {exc}") from exc
        return counter.count

    def remove_graph(self, graph: ox.NamedNode) -> bool:
        """Drop one named graph. :returns: whether it existed."""
        self._check_writable()
        if not self._inner.contains_named_graph(graph):
            return False
        self._inner.remove_graph(graph)
        return True

    def bulk_build(self, quads: Iterable[ox.Quad]) -> int:
        """Add quads with Oxigraph's bulk loader: fast, streaming, and **not atomic**.

        Only for filling a fresh store that nobody reads yet.
        """
        self._check_writable()
        counter = Counted(quads)
        try:
            self._inner.bulk_extend(counter)
        except OSError as exc:
            raise StoreError(f"bulk load into {self.path} failed: {exc}") from exc
        return counter.count

    def bulk_build_nquads(self, data: bytes) -> None:
        """Add N-Quads text with Oxigraph's bulk loader: fast, and **not atomic**.

        Only for filling a fresh store that nobody reads yet. The text must come from a
        serialiser (IRIs are not validated again). The interpreter lock is released while
        Oxigraph parses and writes, so other threads keep working.

        :raises StoreError: on a syntax or write error (quads before it may have been added).
        """
        self._check_writable()
        try:
            self._inner.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"bulk load into {self.path} failed: {exc}") from exc

    def optimize(self) -> None:
        """Compact the store's files for reading (Oxigraph's ``optimize``); for after a bulk build.

        The bulk loader writes many files whose keys overlap, and until they are merged a lookup
        searches many of them: at 100,000 trials, queries ran three to seven times slower.
        Merging them took about half a minute at 100,000 trials.

        :raises StoreError: on a write failure (the store stays readable as it was).
        """
        self._check_writable()
        try:
            self._inner.optimize()
        except OSError as exc:
            raise StoreError(f"cannot compact store {self.path}: {exc}") from exc

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update, in one transaction.

        :raises QueryError: on a syntax error; :raises StoreError: on a read-only store.
        """
        self._check_writable()
        try:
            self._inner.update(sparql)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"update failed: {exc}") from exc

    def flush(self) -> None:
        """Write what is buffered to disk (nothing to do on a read-only store).

        :raises StoreError: when the files cannot be written (a full disk), naming the store.
        """
        if self.read_only:
            return
        self._unflushed = 0
        try:
            self._inner.flush()
        except OSError as exc:
            raise StoreError(f"cannot write store {self.path}: {exc}") from exc

    def close(self) -> None:
        """Flush, then let go of the writer lock; Oxigraph lets go of the folder when the store
        object is freed. The lock is let go of even when the flush fails.

        :raises StoreError: when the flush fails.
        """
        try:
            self.flush()
        finally:
            if self._lock is not None:
                self._lock.release()

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
        """Run a SPARQL query. Parameters travel as RDF terms, never pasted into the text.

        With ``union_default_graph`` (the default), the default graph is the union of all named
        graphs, so queries see trials and ontologies together without GRAPH clauses.
        ``default_graphs`` / ``named_graphs`` set the dataset explicitly instead (the SPARQL
        Protocol's ``default-graph-uri`` and ``named-graph-uri``).

        :raises QueryError: on a syntax error, with the parser's message.
        """
        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): v for k, v in (substitutions or {}).items()
        }
        try:
            return self._inner.query(
                sparql,
                substitutions=subs or None,
                prefixes=dict(prefixes) if prefixes else None,
                use_default_graph_as_union=union_default_graph and not default_graphs,
                default_graph=list(default_graphs) if default_graphs else None,
                named_graphs=list(named_graphs) if named_graphs else None,
            )
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except RuntimeError as exc:  # e.g. a substitution of a variable the query does not select
            raise QueryError(f"cannot run the query: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        for graph in self._inner.named_graphs():
            if isinstance(graph, ox.NamedNode):
                yield graph

    def has_graph(self, graph: ox.NamedNode) -> bool:
        return bool(self._inner.contains_named_graph(graph))

    def quads(
        self,
        subject: ox.NamedNode | None = None,
        predicate: ox.NamedNode | None = None,
        obj: ox.NamedNode | ox.Literal | None = None,
        graph: ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        return iter(self._inner.quads_for_pattern(subject, predicate, obj, graph))

    def __len__(self) -> int:
        return len(self._inner)

    def dump(
        self,
        output: IO[bytes],
        fmt: ox.RdfFormat,
        *,
        graph: ox.NamedNode | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """Write the whole store (or one graph) to ``output`` as it goes."""
        self._inner.dump(output, fmt, from_graph=graph, prefixes=dict(prefixes or {}))
