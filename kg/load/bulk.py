"""The fast path of a fresh build: worker processes read, ground and map batches of records
into N-Quads bytes while a loader thread feeds them to Oxigraph's bulk loader.

The quads are exactly those :func:`kg.load.build.load_records` writes (same reader, grounder and
mapping, run in the workers), and a record that cannot be read is reported and skipped the same
way. What differs is how they reach the store: in large bulk-loaded slices instead of one
transaction per trial, so this path is only for a store that nobody reads yet (a build's
staging store, moved into place when it is done).

Memory stays flat in the number of trials: JSON Lines files are cut into batches of lines as
they are read, at most a few batches are in flight, and the bytes waiting for the loader are
bounded. A trial whose record appears twice is written once, the later record winning, as a
reload would.

JSON Lines files are sliced by :func:`kg.load.inputs.iter_record_files`, as for
:func:`~kg.load.build.load_records`: a byte that is not UTF-8 rejects its slice of lines.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import BinaryIO, NamedTuple

import pyoxigraph as ox

from kg.errors import RecordError
from kg.grounding.grounder import Grounder
from kg.ids import DEFAULT_BASE_IRI
from kg.load.inputs import RecordFile, SliceOffsets, expand_inputs, iter_record_files
from kg.load.report import LoadReport
from kg.model import Grounding, MentionKind
from kg.rdf.mapping import contact_quads, graphs_of, trial_to_nquads
from kg.readers import read_trials
from kg.store import Store

__all__ = ["BulkSettings", "bulk_load_records"]

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
    piece: RecordFile
    trials: list[_TrialOut] = field(default_factory=list)
    #: Per item read: None for a trial, the error for a rejected record (in reading order).
    rejected: list[RecordError] = field(default_factory=list)
    records_read: int = 0
    quads: int = 0
    #: Lines in this slice and the studies read from them.
    lines: int = 0
    studies: int = 0
    #: Mentions by kind: (grounded, ungrounded).
    tally: dict[MentionKind, list[int]] = field(default_factory=dict)
    ungrounded: list[tuple[str, Grounding]] = field(default_factory=list)


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
    result = _Result(RecordFile(piece.name, b"", piece.sliced, piece.first))
    tally = result.tally
    name = piece.name
    try:
        for trial in read_trials(piece.data, name):
            result.records_read += 1
            if isinstance(trial, RecordError):
                result.studies += SliceOffsets.is_study(trial)
                result.rejected.append(trial)
                continue
            result.studies += 1
            grounded = state.grounder(trial)
            text = trial_to_nquads(
                grounded,
                base=state.base,
                loaded_at=state.loaded_at,
                ontology_versions=state.versions,
            )
            quads = text.count("\n")  # one line per quad: literals escape their line breaks
            graphs = graphs_of(trial, base=state.base)
            private = None
            if state.include_contacts and trial.contacts:
                private = _serialize(list(contact_quads(trial, base=state.base)))
            result.trials.append(
                _TrialOut(graphs.public.value, text.encode("utf-8"), private, graphs.private.value)
            )
            result.quads += quads
            for g in (*grounded.conditions, *grounded.cell_products):
                counts = tally.setdefault(g.kind, [0, 0])
                if g.grounded:
                    counts[0] += 1
                else:
                    counts[1] += 1
                    result.ungrounded.append((trial.key, g))
            logger.info("loaded trial %s from %s: %d quads", trial.key, name, quads)
    except RecordError as exc:
        result.records_read += 1
        result.rejected.append(exc.with_traceback(None))
    except (ValueError, UnicodeError) as exc:  # a reader bug must not stop the load
        result.records_read += 1
        result.rejected.append(
            RecordError(name, None, None, f"unreadable record ({type(exc).__name__}: {exc})")
        )
    result.lines = SliceOffsets.lines_of(piece)
    return result


def _tasks(
    inputs: Sequence[str | Path],
    settings: BulkSettings,
    progress: Progress | None,
    stdin: BinaryIO | None,
    rejected: list[RecordError],
) -> Iterator[RecordFile]:
    for piece in iter_record_files(inputs, stdin=stdin, slice_lines=settings.batch_lines):
        if isinstance(piece, RecordError):
            rejected.append(piece)
            logger.warning("rejected %s", piece)
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


def bulk_load_records(
    store: Store,
    inputs: Sequence[str | Path],
    grounder: Grounder,
    *,
    base: str = DEFAULT_BASE_IRI,
    include_contacts: bool = False,
    loaded_at: datetime | None = None,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    settings: BulkSettings | None = None,
) -> LoadReport:
    """Read, ground, map and bulk-load every record in ``inputs`` into a fresh store.

    **Not atomic**, and for a store that holds no trial graphs yet: quads go in through the
    bulk loader, slice by slice. Rejected records are reported as :func:`load_records` does.

    :param grounder: grounds the mentions (forked into the workers, each keeping its cache).
    :param loaded_at: the load time written as ``prov:generatedAtTime`` (default: now).
    :param progress: called with each file name as it is read (for progress bars).
    :param stdin: where ``-`` reads from (default: the process's standard input).
    :returns: the counts and every rejected record.
    :raises StoreError: when the bulk loader fails (the store is then half-built).
    """
    settings = settings or BulkSettings()
    totals = LoadReport()
    versions = sorted({r.version for r in grounder.index.releases})
    state = _WorkerState(
        grounder=grounder,
        base=base,
        loaded_at=loaded_at or datetime.now(UTC),
        versions=versions,
        include_contacts=include_contacts,
    )
    workers = settings.workers
    if workers is None:
        parallel = _input_bytes(inputs) >= settings.parallel_from_bytes
        workers = (os.cpu_count() or 1) if parallel else 0
    tasks = _tasks(inputs, settings, progress, stdin, totals.rejected)
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
        totals = self.totals
        piece = result.piece
        if piece.first:
            totals.files += 1
        self._offsets.start(piece)
        for error in result.rejected:
            error = self._offsets.rebase(piece, error)
            totals.rejected.append(error)
            logger.warning("rejected %s", error)
        self._offsets.advance(result.lines, result.studies)
        totals.records_read += result.records_read
        totals.trials_loaded += len(result.trials)
        totals.quads += result.quads
        for trial in result.trials:
            key = hash(trial.graph)
            if key in self._seen:
                self._later.append(trial)
                continue
            self._seen.add(key)
            self.loader.add(trial.nquads)
            if trial.private is not None:
                self.loader.add(trial.private)
        for kind, (grounded, ungrounded) in result.tally.items():
            totals.grounded[kind][0] += grounded
            totals.grounded[kind][1] += ungrounded
        totals.ungrounded.extend(result.ungrounded)

    def replace_duplicates(self) -> None:
        """Records read twice: the later one replaces the graph, as a reload does."""
        for trial in self._later:
            graph = ox.NamedNode(trial.graph)
            quads = ox.parse(trial.nquads, format=ox.RdfFormat.N_QUADS)
            self.store.replace_graph(graph, quads)
            if trial.private is not None:
                private = ox.parse(trial.private, format=ox.RdfFormat.N_QUADS)
                self.store.replace_graph(ox.NamedNode(trial.private_graph), private)
