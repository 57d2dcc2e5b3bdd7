"""One writer at a time: the lock a store's writers take, in a file beside its folder.

``trialkg.db.lock`` sits beside the store folder ``trialkg.db``, not in it, because a build
moves a new folder into place and the lock must hold across the move. A writer (``trialkg
build``, ``trialkg load``, any command that opens the store for writing) holds an exclusive
``flock`` on that file for as long as it writes, and writes into it who it is: process id,
host, command line and start time, so the next writer is told who holds the store.

The kernel lets go of a ``flock`` when its process ends, however it ends, so the lock of a
killed process is taken over by the next writer without anyone removing a file; its record,
still in the file, says whose it was. A holder removes the file when it lets go. A process
forked by the holder (a build's worker processes) does not keep the lock: it would otherwise
hold it for as long as it lives, past a holder that was killed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import socket
import sys
import weakref
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from kg.errors import StoreError, StoreLockedError

__all__ = ["Owner", "WriterLock", "lock_path", "writer_lock"]

logger = logging.getLogger(__name__)

_ATTEMPTS = 5  # a holder may remove the file between our open and our flock: try again


@dataclass(frozen=True, slots=True)
class Owner:
    """A process that writes to a store, as its lock file (or a staging folder) records it."""

    pid: int
    host: str
    #: The command line, as the process was started.
    command: str
    #: When it took the lock (ISO 8601, UTC).
    started: str

    @classmethod
    def current(cls) -> Owner:
        """This process."""
        return cls(
            pid=os.getpid(),
            host=socket.gethostname(),
            command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python",
            started=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    @classmethod
    def from_text(cls, text: str) -> Owner | None:
        """The owner a lock file records; None for an empty or unreadable record."""
        try:
            data = json.loads(text)
            fields = (data["host"], data["command"], data["started"])
            return cls(int(data["pid"]), *(str(field) for field in fields))
        except (ValueError, TypeError, KeyError):
            return None

    def to_text(self) -> str:
        return json.dumps(asdict(self)) + "\n"

    def is_dead(self) -> bool:
        """Whether this process has provably ended: it ran on this host and runs no more.

        A process on another host, or a pid reused since, is never taken for dead.
        """
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host} ({self.command!r}, since {self.started})"


class WriterLock:
    """A store's writer lock, held; :meth:`release` lets go of it (once; later calls do nothing)."""

    def __init__(self, path: Path, fd: int) -> None:
        #: The lock file.
        self.path = path
        self._fd: int | None = fd
        _HELD.add(self)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Remove the lock file, then let go of the lock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if _same_file(fd, self.path):
                self.path.unlink()
        except OSError:
            pass  # the next writer takes the file over
        finally:
            os.close(fd)

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_HELD: weakref.WeakSet[WriterLock] = weakref.WeakSet()


def _drop_in_child() -> None:
    """In a forked child: close the copies of the parent's locks, which stay the parent's."""
    for lock in list(_HELD):
        fd, lock._fd = lock._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_drop_in_child)


def lock_path(store: str | Path) -> Path:
    """The lock file of the store folder ``store``: ``<store>.lock`` beside it.

    >>> lock_path("data/trialkg.db").as_posix()
    'data/trialkg.db.lock'
    """
    store = Path(store)
    return store.with_name(f"{store.name}.lock")


def writer_lock(store: str | Path) -> WriterLock:
    """Take the writer lock of the store folder ``store``, without waiting.

    The lock of a process that has ended is free: it is taken over, and said so in the log.

    :raises StoreLockedError: when another process holds it, naming that process.
    :raises StoreError: when the lock file cannot be created (e.g. a folder not writable).
    """
    path = lock_path(store)
    for _ in range(_ATTEMPTS):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the writer lock {path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = Owner.from_text(_read(fd))
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise StoreError(f"cannot lock {path}: {exc.strerror}") from exc
            raise StoreLockedError(store, str(holder) if holder else None, path) from None
        if not _same_file(fd, path):  # removed by its holder meanwhile: lock the new one
            os.close(fd)
            continue
        _take(fd, path)
        return WriterLock(path, fd)
    raise StoreError(f"cannot lock {path}: other writers keep replacing it")


def _take(fd: int, path: Path) -> None:
    """Record this process in the lock file, saying whose lock it takes over."""
    previous = Owner.from_text(_read(fd))
    if previous is not None:
        logger.info("took over the writer lock %s of %s, which has ended", path, previous)
    os.ftruncate(fd, 0)
    os.pwrite(fd, Owner.current().to_text().encode("utf-8"), 0)


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        return ""


def _same_file(fd: int, path: Path) -> bool:
    try:
        mine, named = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (named.st_dev, named.st_ino)
