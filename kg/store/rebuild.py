"""Building a store afresh, the way each kind of store allows.

- A folder (embedded Oxigraph) is built beside the old one, in a staging folder nobody reads,
  then compacted and moved into place: a crash or an error never leaves a half-built store
  where readers look, and the staging store may be filled through the bulk loader.
- A SPARQL store over HTTP cannot be swapped: the build replaces graphs in place, and readers
  see old and new graphs mixed while it runs. The builder then drops what it did not write.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kg.errors import StoreError
from kg.store import QuadStore, Store, StoreSpec, is_remote, open_store

__all__ = ["Rebuild", "rebuild"]


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
    either way.

    :raises StoreError: when the store cannot be opened, or the new folder cannot be moved in.
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
    staging = target.with_name(f"{target.name}.building-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        local = Store.open(staging)
        handle = Rebuild(local, fresh=True)
        yield handle
        # Compaction first: a flush would wait for the background compaction of the many files
        # the bulk loader wrote, which the compaction does anyway.
        local.optimize()
        local.flush()
        handle.release()
        del local  # Oxigraph lets go of the folder when the store is freed
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_in(staging, target)


def _swap_in(staging: Path, target: Path) -> None:
    old = target.with_name(f"{target.name}.old-{os.getpid()}")
    try:
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except OSError as exc:
        raise StoreError(f"cannot move the new store into {target}: {exc}") from exc
    shutil.rmtree(old, ignore_errors=True)
