"""The quad store, knowing nothing of trials: the protocol, its engines, and opening one.

- :mod:`kg.store.base`: :class:`QuadStore`, what the rest of trialkg asks of a store;
- :mod:`kg.store.oxigraph`: :class:`Store`, embedded Oxigraph;
- :mod:`kg.store.remote`: :class:`RemoteStore`, any SPARQL 1.1 store over HTTP;
- :mod:`kg.store.lock`: one writer at a time, by a lock file beside the store's folder;
- :mod:`kg.store.sparql_text`: the few edits trialkg makes to SPARQL text.

:func:`open_store` opens either engine from what ``--store`` names.
"""

from __future__ import annotations

from pathlib import Path

from kg.errors import StoreError
from kg.store.base import DEFAULT_STORE, Counted, QuadStore, QueryResult, StoreSpec, is_remote
from kg.store.lock import writer_lock
from kg.store.oxigraph import Store

__all__ = [
    "DEFAULT_STORE",
    "Counted",
    "QuadStore",
    "QueryResult",
    "Store",
    "StoreSpec",
    "is_remote",
    "open_store",
]


def open_store(spec: StoreSpec, *, read_only: bool) -> QuadStore:
    """Open the store that ``spec`` names: a folder, or a SPARQL 1.1 store over HTTP.

    A folder opens as embedded Oxigraph (:meth:`Store.open` / :meth:`Store.open_read_only`);
    it must exist (``trialkg build`` makes it), and opening it for writing takes its writer
    lock (:func:`kg.store.lock.writer_lock`), let go of when the store is closed.
    A URL means the layout of ``oxigraph serve`` (``URL/query``, ``URL/update``,
    ``URL/store``; see :meth:`kg.store.remote.Endpoints.from_base`);
    :class:`kg.store.remote.Endpoints` names each endpoint. A remote store is asked a trivial
    query first, so an unreachable one fails here; its credentials come from the environment
    (:func:`kg.store.remote.auth_from_env`).

    :raises StoreError: when the store cannot be opened or reached, naming the path or URL.
    :raises StoreLockedError: when another process writes to the folder, naming it.
    """
    if not is_remote(spec):
        assert isinstance(spec, str | Path)
        path = Path(spec)
        if read_only:
            return Store.open_read_only(path)
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path} is a file, not a store folder: pass --store a store's folder")
        if not path.is_dir():
            raise StoreError(f"no store at {path}: run 'trialkg build' first, or pass --store")
        return Store.open(path, lock=writer_lock(path))
    from kg.store.remote import Endpoints, RemoteStore

    endpoints = spec if isinstance(spec, Endpoints) else Endpoints.from_base(str(spec))
    store = RemoteStore.from_env(endpoints, read_only=read_only)
    try:
        store.ping()
    except BaseException:
        store.close()
        raise
    return store
