"""Query worker processes: every SPARQL query a client sends runs in one of them.

A query can take the engine down (its parser recurses, and a few thousand nested groups
overflow the stack) or run for minutes (pyoxigraph cannot cancel a query). So the server
process never parses or evaluates a client's query: it hands it to a worker process that has
the store open read-only, and streams back what the worker writes. A worker that passes the
time limit, or dies, is killed and replaced; the server itself keeps answering.

Workers start when the first query needs one, up to the pool's size; each answers one query
at a time. The first bytes of an answer (up to :data:`HELD`) are held by the worker until it
knows the answer starts well, so an error found early (a syntax error, the result limit)
still gets its status; past that the answer streams, and an error cuts the connection, which
a client sees as an incomplete response.

Messages from a worker: ``("ready", pid)``, ``("failed", message)``; for an answer, either
``("whole", media type, bytes)`` or ``("start", media type)``, ``("data", bytes)``...,
``("end",)``; ``("error", status, message)`` before an answer starts, ``("abort", message)``
after.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from kg.errors import QueryError, TrialkgError
from kg.server.sparql import Dataset, Job, LimitExceeded, Refused, write_answer
from kg.store import StoreSpec, open_store

__all__ = ["HELD", "Failure", "InProcess", "QueryPool", "Reply", "Runner", "StreamCut"]

logger = logging.getLogger(__name__)

#: Bytes of an answer a worker holds before it sends the status (see the module docstring).
HELD = 1024 * 1024
#: Bytes per message once an answer streams.
_CHUNK = 64 * 1024
#: Seconds past the query's time limit the server waits for the worker's own error before it
#: kills the worker.
_GRACE = 1.0
#: Seconds a new worker may take to start (import, open the store).
_STARTUP = 60.0
#: How much lower a worker's CPU priority is than the server's.
_NICENESS = 3


@dataclass(frozen=True, slots=True)
class Failure:
    """A query answered with an error status."""

    status: int
    message: str


@dataclass(slots=True)
class Reply:
    """A query's answer: its media type, and its bytes whole (an answer that fits what a
    worker holds) or as they stream."""

    media: str
    chunks: Iterator[bytes] | None = None
    body: bytes = b""


class StreamCut(Exception):
    """An answer that failed after it had started streaming: the connection is cut."""


# -- the worker process ------------------------------------------------------------------------


class _Outbox:
    """What a worker writes for one query, sent as the module docstring says."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.media = ""
        self.buffer = bytearray()
        self.started = False

    def begin(self, media: str) -> None:
        self.media = media

    def write(self, data: bytes) -> None:
        self.buffer += data
        if not self.started and len(self.buffer) >= HELD:
            self.conn.send(("start", self.media))
            self.started = True
        if self.started and len(self.buffer) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.conn.send(("data", bytes(self.buffer)))
            self.buffer.clear()

    def finish(self) -> None:
        if not self.started:  # the whole answer in one message
            self.conn.send(("whole", self.media, bytes(self.buffer)))
            return
        self._flush()
        self.conn.send(("end",))

    def fail(self, status: int, message: str) -> None:
        if self.started:
            self.conn.send(("abort", message))
        else:
            self.conn.send(("error", status, message))


def _serve(spec: StoreSpec, private_prefix: str, conn: Connection) -> None:
    """A worker's life: open the store, then answer one query after another until told to
    stop (None) or the server goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    with contextlib.suppress(OSError):
        # Queries yield the CPU to the server process, which must keep answering at once.
        os.nice(_NICENESS)
    try:
        store = open_store(spec, read_only=True)
        dataset = Dataset(store, private_prefix)
    except (TrialkgError, OSError) as exc:
        conn.send(("failed", f"the query worker cannot open the store: {exc}"))
        return
    generation = 0
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            store.close()
            return
        wanted, job = message
        if wanted != generation:  # the server wrote to the store: read what it wrote
            store.close()
            store = open_store(spec, read_only=True)
            dataset = Dataset(store, private_prefix)
            generation = wanted
        _answer(store, dataset, job, _Outbox(conn))


def _answer(store: Any, dataset: Dataset, job: Job, outbox: _Outbox) -> None:
    try:
        write_answer(store, job, dataset, outbox.begin, outbox.write)
    except (LimitExceeded, Refused) as exc:
        outbox.fail(exc.status, str(exc))
    except QueryError as exc:
        outbox.fail(400, str(exc))
    except Exception as exc:  # an engine or I/O error: the worker stays, the query fails
        logger.exception("query failed in the worker")
        outbox.fail(500, f"the query could not be answered ({type(exc).__name__})")
    else:
        outbox.finish()


# -- the server's side -------------------------------------------------------------------------

_DEAD = object()


def _set_once(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


async def _receive_on_loop(worker: _Worker, deadline: float) -> Any:
    """The worker's next message, awaited on the running loop (None at the deadline,
    ``_DEAD`` when the process is gone)."""
    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()
    descriptor = worker.conn.fileno()
    loop.add_reader(descriptor, _set_once, readable)
    try:
        await asyncio.wait_for(readable, max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        return None
    finally:
        loop.remove_reader(descriptor)
    try:
        return worker.conn.recv()  # written at once by the worker: a short read
    except (EOFError, OSError):
        return _DEAD


class _Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, context: Any, spec: StoreSpec, private_prefix: str) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(spec, private_prefix, child), name="trialkg-query", daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False

    def receive(self, deadline: float) -> Any:
        """The next message, None at the deadline, or ``_DEAD`` when the process is gone."""
        try:
            if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                return None
            return self.conn.recv()
        except (EOFError, OSError):
            return _DEAD

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=2)
        self.conn.close()
        self.process.close()


class QueryPool:
    """Worker processes over one store; :meth:`run` answers a query in one of them.

    Thread-safe: the server calls :meth:`run` from its request threads.
    """

    def __init__(
        self,
        spec: StoreSpec,
        *,
        size: int,
        private_prefix: str,
        start_method: str = "spawn",
        max_waiting: int | None = None,
    ) -> None:
        """:param size: at most this many workers (queries answered at once).
        :param private_prefix: graphs whose IRI starts with this are never queried.
        :param max_waiting: queries that may wait for a busy pool (default 256);
            more are answered 503 at once, so waiting never takes every request thread.
        """
        self.spec = spec
        self.size = max(1, size)
        self.private_prefix = private_prefix
        #: Bumped after the server writes to the store: workers reopen it before the next query.
        self.generation = 0
        self._context = multiprocessing.get_context(start_method)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._waiting = 0
        self._waiters: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]
        self._waiters = collections.deque()
        self._max_waiting = max_waiting if max_waiting is not None else 256
        self._closed = False
        self._finalizer = weakref.finalize(self, QueryPool._stop_all, self._workers)

    # -- answering ---------------------------------------------------------------------------

    def run(self, job: Job) -> Reply | Failure:
        """Answer ``job`` in a worker within its time limit (blocking)."""
        deadline = time.monotonic() + job.limits.timeout
        worker = self._acquire(deadline)
        if worker is None:
            return Failure(503, "every query worker is busy; try again shortly")
        return self.run_on(worker, job, deadline)

    def take(self) -> _Worker | None:
        """An idle worker (or a new one while the pool is not full) at once, else None."""
        with self._lock:
            if self._closed:
                return None
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            if len(self._workers) < self.size:
                worker = _Worker(self._context, self.spec, self.private_prefix)
                self._workers.add(worker)
                return worker
        return None

    async def wait_for_worker(self, deadline: float) -> _Worker | None:
        """A worker for a request on an event loop: at once when one is free, else the first
        freed before the deadline (the loop is woken, no thread waits); None at the deadline
        or when too many requests wait already."""
        loop = asyncio.get_running_loop()
        while True:
            worker = self.take()
            if worker is not None:
                return worker
            remaining = deadline - time.monotonic()
            with self._lock:
                if remaining <= 0 or len(self._waiters) >= self._max_waiting:
                    return None
                woken: asyncio.Future[None] = loop.create_future()
                waiter = (loop, woken)
                self._waiters.append(waiter)
            try:
                await asyncio.wait_for(woken, remaining)
            except TimeoutError:
                return None
            finally:
                with self._lock, contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def _wake_one(self) -> None:
        """Tell the longest-waiting request that a worker is free (or may be started)."""
        with self._lock:
            if not self._waiters:
                return
            loop, woken = self._waiters.popleft()
        with contextlib.suppress(RuntimeError):  # its loop has closed
            loop.call_soon_threadsafe(_set_once, woken)

    async def answer(self, job: Job) -> Reply | Failure:
        """Answer ``job`` for a request on an event loop: wait for a free worker and for its
        answer on the loop itself (no thread is held); only a worker still starting, or an
        answer that streams, is read from a thread."""
        deadline = time.monotonic() + job.limits.timeout
        worker = await self.wait_for_worker(deadline)
        if worker is None:
            return Failure(503, "every query worker stayed busy; try again shortly")
        if not worker.ready:
            return await asyncio.to_thread(self.run_on, worker, job, deadline)
        try:
            worker.conn.send((self.generation, job))
        except OSError:  # it died while idle
            self._discard(worker)
            return await asyncio.to_thread(self.run, job)
        message = await _receive_on_loop(worker, deadline + _GRACE)
        return self._first(worker, message, job, deadline)

    def run_on(self, worker: Any, job: Job, deadline: float) -> Reply | Failure:
        """Answer ``job`` in ``worker`` (from :meth:`take`) by ``deadline`` (blocking)."""
        for _attempt in range(self.size + 1):
            if not worker.ready:
                started = self._await_ready(worker)
                if isinstance(started, Failure):
                    return started
            try:
                worker.conn.send((self.generation, job))
                break
            except OSError:  # a worker that died while idle: take another
                self._discard(worker)
                replacement = self._acquire(deadline)
                if replacement is None:
                    return Failure(503, "every query worker is busy; try again shortly")
                worker = replacement
        else:
            return Failure(503, "no query worker could take the query")
        return self._first(worker, worker.receive(deadline + _GRACE), job, deadline)

    def _first(self, worker: _Worker, message: Any, job: Job, deadline: float) -> Reply | Failure:
        """The reply a worker's first message about a query makes."""
        if message is None or message is _DEAD:
            self._discard(worker)
            return self._lost(job, message)
        if message[0] == "error":
            self._release(worker)
            return Failure(message[1], message[2])
        if message[0] == "whole":
            self._release(worker)
            return Reply(message[1], body=message[2])
        return Reply(message[1], self._stream(worker, deadline, job))

    def _stream(self, worker: _Worker, deadline: float, job: Job) -> Iterator[bytes]:
        done = False
        try:
            while True:
                message = worker.receive(deadline + _GRACE)
                if message is None or message is _DEAD:
                    raise StreamCut(self._lost(job, message).message)
                if message[0] == "data":
                    yield message[1]
                elif message[0] == "end":
                    done = True
                    return
                else:  # "abort": the worker found an error after the answer started
                    done = True
                    raise StreamCut(message[1])
        finally:
            # An answer read to its end (or its error) leaves the worker ready for another;
            # one abandoned midway (the client went away, the time ran out) is killed.
            if done:
                self._release(worker)
            else:
                self._discard(worker)

    def _lost(self, job: Job, message: object) -> Failure:
        if message is None:
            return Failure(
                503, f"the query ran longer than the server's limit of {job.limits.timeout:g} s"
            )
        return Failure(500, "the query worker failed on this query and was replaced")

    # -- the workers -------------------------------------------------------------------------

    def _acquire(self, deadline: float) -> _Worker | None:
        """An idle worker, a new one while the pool is not full, else the first to be freed
        before the deadline; None when none is, or too many queries wait already."""
        worker = self.take()
        if worker is not None:
            return worker
        with self._lock:
            if self._closed or self._waiting >= self._max_waiting:
                return None
            self._waiting += 1
        try:
            return self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None
        finally:
            with self._lock:
                self._waiting -= 1

    def _await_ready(self, worker: _Worker) -> Failure | None:
        message = worker.receive(time.monotonic() + _STARTUP)
        if isinstance(message, tuple) and message[0] == "ready":
            worker.ready = True
            return None
        self._discard(worker)
        if isinstance(message, tuple) and message[0] == "failed":
            return Failure(503, message[1])
        return Failure(503, "a query worker did not start")

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.stop(kill=False)
                self._workers.discard(worker)
                return
        self._idle.put(worker)
        self._wake_one()

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker (stuck, dead or abandoned); the next query that needs one starts
        another."""
        with self._lock:
            self._workers.discard(worker)
        worker.stop(kill=True)
        self._wake_one()

    @property
    def workers(self) -> int:
        """Worker processes running now."""
        with self._lock:
            return len(self._workers)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
        self._finalizer()

    @staticmethod
    def _stop_all(workers: set[_Worker]) -> None:
        for worker in list(workers):
            with contextlib.suppress(Exception):
                worker.stop(kill=not worker.ready)
        workers.clear()


class InProcess:
    """Queries answered in the calling thread, for a store only this process holds (in
    memory): no isolation, the answer read whole. ``trialkg serve`` always has workers."""

    def __init__(self, store: Any, *, private_prefix: str) -> None:
        self.store = store
        self.private_prefix = private_prefix
        self.generation = 0
        self._lock = threading.Lock()

    def take(self) -> InProcess:
        """Always itself: queries wait for one another on a lock."""
        return self

    async def wait_for_worker(self, _deadline: float) -> InProcess:
        return self

    async def answer(self, job: Job) -> Reply | Failure:
        return await asyncio.to_thread(self.run, job)

    def run_on(self, _worker: Any, job: Job, _deadline: float) -> Reply | Failure:
        return self.run(job)

    def run(self, job: Job) -> Reply | Failure:
        outbox = _Collected()
        with self._lock:  # one query at a time over one store object
            dataset = Dataset(self.store, self.private_prefix)
            try:
                write_answer(self.store, job, dataset, outbox.begin, outbox.write)
            except (LimitExceeded, Refused) as exc:
                return Failure(exc.status, str(exc))
            except QueryError as exc:
                return Failure(400, str(exc))
        return Reply(outbox.media, body=bytes(outbox.buffer))

    def close(self) -> None:
        """Nothing to stop."""


class _Collected:
    def __init__(self) -> None:
        self.media = ""
        self.buffer = bytearray()

    def begin(self, media: str) -> None:
        self.media = media

    def write(self, data: bytes) -> None:
        self.buffer += data


#: What answers the endpoint's queries.
Runner = QueryPool | InProcess
