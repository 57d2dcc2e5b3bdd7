"""The fast path of a fresh build: worker processes read, ground and map batches of records
into N-Quads bytes while a loader thread feeds them to Oxigraph's bulk loader.

The quads are exactly those :func:`kg.load.transactional.load_records` writes (the same record
loop, :func:`kg.load.loop.load_piece`, run in the workers), and a record that cannot be read is
reported and skipped the same way. What differs is how they reach the store: in large
bulk-loaded slices instead of one transaction per trial, so this path is only for a store that
nobody reads yet (a build's staging store, moved into place when it is done).

Memory stays flat in the number of trials: JSON Lines files are cut into batches of lines as
they are read, at most a few batches are in flight, and the bytes waiting for the loader are
bounded. A trial whose record appears twice is written once, the later record winning, as a
reload would.

JSON Lines files are sliced by :func:`kg.load.inputs.iter_record_files`, as for
:func:`~kg.load.transactional.load_records`: a byte that is not UTF-8 rejects its slice of lines.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import BinaryIO, NamedTuple

import pyoxigraph as ox

from kg.errors import RecordError
from kg.grounding.grounder import Grounder
from kg.ids import DEFAULT_BASE_IRI
from kg.load.inputs import RecordFile, SliceOffsets, expand_inputs, iter_record_files
from kg.load.loop import PieceResult, add_piece, load_piece, reject
from kg.load.report import LoadReport
from kg.model import GroundedTrial, Override, Trial
from kg.ontology.terms import TermIndex
from kg.rdf.mapping import contact_quads, graphs_of, trial_to_nquads
from kg.store import Store

__all__ = ["BulkSettings", "bulk_build_records"]

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BulkSettings:
    """How the fast path splits and overlaps the work."""

    #: Worker processes; 0 runs everything in this process (no fork). None: one per CPU
    #: when the inputs hold at least ``parallel_from_bytes``, else 0.
    workers: int | None = None
    #: Lines of a JSON Lines file per batch sent to a worker.
    batch_lines: int = 200
    #: N-Quads bytes collected before one call of the bulk loader. Oxigraph's own cost per quad
    #: depends on it, and not monotonically: ``benchmarks/ingest.py --slices 1,4,16,64`` loaded
    #: 100,000 trials with 170, 120, 141 and 157 CPU seconds (140 MiB of memory at 4 MB).
    load_bytes: int = 4 * 1024 * 1024
    #: Input size from which worker processes pay off.
    parallel_from_bytes: int = 4 * 1024 * 1024


class _TrialOut(NamedTuple):
    graph: str
    nquads: bytes
    #: Contact persons' N-Quads for the private graph; None when not written.
    private: bytes | None
    private_graph: str


@dataclass
class _Result:
    """A worker's answer for one piece: the loop's result and the N-Quads of its trials."""

    loaded: PieceResult
    trials: list[_TrialOut]


@dataclass
class _WorkerState:
    grounder: Grounder
    base: str
    loaded_at: datetime
    versions: list[str]
    include_contacts: bool


_STATE: _WorkerState | None = None


def _init_worker(state: _WorkerState | None) -> None:
    global _STATE
    _STATE = state


def _start_worker(state: _WorkerState) -> None:
    """A forked worker's start: what it inherited (the ontology index) is set aside from the
    garbage collector, which would otherwise walk it again on each full collection."""
    gc.freeze()
    _init_worker(state)


def _serialize(quads: list[ox.Quad]) -> bytes:
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert data is not None  # no output given: serialize returns the bytes
    return data


def _work(piece: RecordFile) -> _Result:
    """Read, ground and map the records of one file or slice (in a worker, or in this process)."""
    state = _STATE
    assert state is not None, "worker state not set"
    trials: list[_TrialOut] = []

    def write(trial: Trial, grounded: GroundedTrial) -> int:
        text = trial_to_nquads(
            grounded, base=state.base, loaded_at=state.loaded_at, ontology_versions=state.versions
        )
        graphs = graphs_of(trial, base=state.base)
        private = None
        if state.include_contacts and trial.contacts:
            private = _serialize(list(contact_quads(trial, base=state.base)))
        trials.append(
            _TrialOut(graphs.public.value, text.encode("utf-8"), private, graphs.private.value)
        )
        return text.count("\n")  # one line per quad: literals escape their line breaks

    return _Result(load_piece(piece, state.grounder, write), trials)


def _tasks(
    inputs: Sequence[str | Path],
    settings: BulkSettings,
    progress: Progress | None,
    stdin: BinaryIO | None,
    totals: LoadReport,
) -> Iterator[RecordFile]:
    for piece in iter_record_files(inputs, stdin=stdin, slice_lines=settings.batch_lines):
        if isinstance(piece, RecordError):
            reject(totals, piece)
            continue
        if progress and piece.first:
            progress(piece.name)
        yield piece


def _input_bytes(inputs: Sequence[str | Path]) -> int:
    total = 0
    for item in inputs:
        try:
            for path in expand_inputs([item]):
                total += 0 if str(path) == "-" else path.stat().st_size
        except (RecordError, OSError):
            continue
    return total


class _Loader:
    """A thread that hands N-Quads slices to the bulk loader while the workers go on."""

    def __init__(self, store: Store, limit: int) -> None:
        self._store = store
        self._limit = limit
        self._buffer: list[bytes] = []
        self._size = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="trialkg-bulk-loader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the main thread raises the error
            try:
                self._store.bulk_build_nquads(data)
            except BaseException as exc:  # re-raised in the main thread
                self._error = exc

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def add(self, data: bytes) -> None:
        self._buffer.append(data)
        self._size += len(data)
        if self._size >= self._limit:
            self._send()

    def _send(self) -> None:
        self._check()
        if self._buffer:
            self._queue.put(b"".join(self._buffer))
            self._buffer = []
            self._size = 0

    def close(self) -> None:
        try:
            self._send()
        finally:
            self._queue.put(None)
            self._thread.join()
        self._check()


def bulk_build_records(
    store: Store,
    inputs: Sequence[str | Path],
    index: TermIndex,
    *,
    base: str = DEFAULT_BASE_IRI,
    include_contacts: bool = False,
    overrides: Mapping[str, Override] | None = None,
    loaded_at: datetime | None = None,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    settings: BulkSettings | None = None,
) -> LoadReport:
    """Fill a fresh store with every record in ``inputs``, through the bulk loader.

    The same quads and the same report as :func:`kg.load.transactional.load_records`, made by
    worker processes (all CPU cores, for large inputs) and written in large slices: fast, and
    **not atomic**. Only for a store that nobody reads and that holds no trial graphs yet, such
    as a build's staging store.

    :param index: the terms to ground to; the grounder is forked into the workers, each keeping
        its cache.
    :param overrides: curator decisions (:func:`kg.grounding.overrides.read_overrides`); they win.
    :param loaded_at: the load time written as ``prov:generatedAtTime`` (default: now).
    :param progress: called with each file name as it is read (for progress bars).
    :param stdin: where ``-`` reads from (default: the process's standard input).
    :returns: the counts and every rejected record.
    :raises StoreError: when the bulk loader fails (the store is then half-built).
    """
    settings = settings or BulkSettings()
    totals = LoadReport()
    versions = sorted({r.version for r in index.releases})
    state = _WorkerState(
        grounder=Grounder(index, overrides=overrides),
        base=base,
        loaded_at=loaded_at or datetime.now(UTC),
        versions=versions,
        include_contacts=include_contacts,
    )
    workers = settings.workers
    if workers is None:
        parallel = _input_bytes(inputs) >= settings.parallel_from_bytes
        workers = (os.cpu_count() or 1) if parallel else 0
    tasks = _tasks(inputs, settings, progress, stdin, totals)
    loader = _Loader(store, settings.load_bytes)
    handler = _Handler(store, loader, totals)
    try:
        if workers <= 0:
            _init_worker(state)
            try:
                for task in tasks:
                    handler(_work(task))
            finally:
                _init_worker(None)
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_start_worker, initargs=(state,)) as pool:
                pending: deque[AsyncResult[_Result]] = deque()
                for task in tasks:
                    pending.append(pool.apply_async(_work, (task,)))
                    while len(pending) > 2 * workers + 1:
                        handler(pending.popleft().get())
                while pending:
                    handler(pending.popleft().get())
    finally:
        loader.close()
    handler.replace_duplicates()
    return totals


class _Handler:
    """Takes results in input order: counts, rebases errors, queues bytes, sets duplicates aside."""

    def __init__(self, store: Store, loader: _Loader, totals: LoadReport) -> None:
        self.store = store
        self.loader = loader
        self.totals = totals
        # Hashes of the graphs written so far: a repeat is replaced after the bulk load.
        self._seen: set[int] = set()
        self._later: list[_TrialOut] = []
        self._offsets = SliceOffsets()

    def __call__(self, result: _Result) -> None:
        add_piece(self.totals, result.loaded, self._offsets)
        for trial in result.trials:
            key = hash(trial.graph)
            if key in self._seen:
                self._later.append(trial)
                continue
            self._seen.add(key)
            self.loader.add(trial.nquads)
            if trial.private is not None:
                self.loader.add(trial.private)

    def replace_duplicates(self) -> None:
        """Records read twice: the later one replaces the graph, as a reload does."""
        for trial in self._later:
            graph = ox.NamedNode(trial.graph)
            quads = ox.parse(trial.nquads, format=ox.RdfFormat.N_QUADS)
            self.store.replace_graph(graph, quads)
            if trial.private is not None:
                private = ox.parse(trial.private, format=ox.RdfFormat.N_QUADS)
                self.store.replace_graph(ox.NamedNode(trial.private_graph), private)
