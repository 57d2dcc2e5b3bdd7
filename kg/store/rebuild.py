"""Building a store afresh, the way each kind of store allows.

- A folder (embedded Oxigraph) is built beside the old one, in a staging folder nobody reads,
  then compacted and moved into place: a crash or an error never leaves a half-built store
  where readers look, and the staging store may be filled through the bulk loader. The
  store's writer lock (:mod:`kg.store.lock`) is held from before the staging folder is made
  until the new store is in place, so a ``trialkg load`` cannot write into the old store
  while the build runs (its trials would be lost in the swap). The staging folder records
  its owner; one left by a build that was killed is removed by the next build.
- A SPARQL store over HTTP cannot be swapped: the build replaces graphs in place, and readers
  see old and new graphs mixed while it runs. The builder then drops what it did not write.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from kg.errors import StoreError
from kg.store import QuadStore, Store, StoreSpec, is_remote, open_store
from kg.store.lock import Owner, writer_lock

__all__ = ["OWNER_FILE", "Rebuild", "rebuild"]

logger = logging.getLogger(__name__)

#: The file in a staging folder that names the process building it.
OWNER_FILE = "trialkg-build-owner.json"
# Files every Oxigraph (RocksDB) store folder holds.
_STORE_FILES = ("CURRENT", "IDENTITY")


class Rebuild:
    """The store a rebuild fills, and what filling it may assume.

    The store is let go when the ``with`` block ends (a staging folder must be closed before
    it is moved into place), so keep no other reference to it past the block.
    """

    def __init__(self, store: QuadStore, *, fresh: bool) -> None:
        self._store: QuadStore | None = store
        #: A new, empty local store that nobody reads: the bulk loader may fill it. False for a
        #: store rebuilt in place, whose stale graphs the builder must drop itself.
        self.fresh = fresh

    @property
    def store(self) -> QuadStore:
        if self._store is None:
            raise StoreError("the rebuild is over: open the store again to read it")
        return self._store

    def release(self) -> None:
        """Drop the reference to the store, so that it can be closed and moved."""
        self._store = None


@contextmanager
def rebuild(spec: StoreSpec) -> Iterator[Rebuild]:
    """The store ``spec`` names, to fill afresh inside the ``with`` block.

    On leaving it normally, a staging folder is compacted and moved into place; on an error
    the staging folder is deleted and the old store stays as it was. A remote store is closed
    either way. A folder's writer lock is held throughout; staging folders of this store left
    by builds that have ended (killed, or a machine that went down) are removed first.

    :raises StoreError: when the store cannot be opened, or the new folder cannot be moved in;
        when ``spec`` names a file, or a folder that is not empty and holds no store (neither
        is ever moved aside).
    :raises StoreLockedError: when another process writes to the store, naming it.
    """
    if is_remote(spec):
        remote = open_store(spec, read_only=False)
        handle = Rebuild(remote, fresh=False)
        try:
            yield handle
        finally:
            handle.release()
            remote.close()
        return
    assert isinstance(spec, str | Path)
    target = Path(spec)
    _check_target(target)
    with writer_lock(target):
        _remove_stale(target)
        staging = target.with_name(f"{target.name}.building-{os.getpid()}")
        if staging.exists():
            shutil.rmtree(staging)
        try:
            staging.mkdir()
            (staging / OWNER_FILE).write_text(Owner.current().to_text(), encoding="utf-8")
            local = Store.open(staging)
            local.unread = True
            handle = Rebuild(local, fresh=True)
            yield handle
            # Compaction first: a flush would wait for the background compaction of the many
            # files the bulk loader wrote, which the compaction does anyway.
            local.optimize()
            local.flush()
            handle.release()
            del local  # Oxigraph lets go of the folder when the store is freed
            (staging / OWNER_FILE).unlink()
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _swap_in(staging, target)


def _check_target(target: Path) -> None:
    """Refuse to build over anything but a store folder or an empty one (it would be moved
    aside, then deleted)."""
    if target.exists() and not target.is_dir():
        raise StoreError(
            f"{target} is a file, not a store folder: a build would replace it; "
            "pass --store a new or a store's folder"
        )
    if (
        target.is_dir()
        and not all((target / name).is_file() for name in _STORE_FILES)
        and any(target.iterdir())
    ):
        raise StoreError(
            f"{target} is a folder that holds no store: a build would replace it; "
            "pass --store a new, empty or a store's folder"
        )


def _remove_stale(target: Path) -> None:
    """Remove staging (and swapped-out) folders of ``target`` whose builds have provably ended.

    Called with the writer lock held, so no build of this store runs; a folder whose owner
    may still run (on another host, or a process id in use) is left, with a warning.
    """
    leftover = re.compile(re.escape(target.name) + r"\.(?:building|old)-(\d+)")
    for folder in target.parent.iterdir() if target.parent.is_dir() else ():
        match = leftover.fullmatch(folder.name)
        if not match or not folder.is_dir() or int(match.group(1)) == os.getpid():
            continue
        owner = _owner(folder, int(match.group(1)))
        if owner.is_dead():
            shutil.rmtree(folder, ignore_errors=True)
            logger.warning("removed %s, left by a build that has ended: %s", folder, owner)
        else:
            logger.warning("left %s alone: its build may still run (%s)", folder, owner)


def _owner(folder: Path, pid: int) -> Owner:
    """Who made a staging folder: its owner file, else the process id in its name, on this
    host (a folder swapped out keeps no owner file)."""
    try:
        recorded = Owner.from_text((folder / OWNER_FILE).read_text(encoding="utf-8"))
    except OSError:
        recorded = None
    return recorded or replace(Owner.current(), pid=pid, command="?", started="?")


def _swap_in(staging: Path, target: Path) -> None:
    old = target.with_name(f"{target.name}.old-{os.getpid()}")
    try:
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except OSError as exc:
        raise StoreError(f"cannot move the new store into {target}: {exc}") from exc
    shutil.rmtree(old, ignore_errors=True)
