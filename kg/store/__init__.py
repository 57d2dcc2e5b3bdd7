"""The quad store, knowing nothing of trials: the protocol, its engines, and opening one.

- :mod:`kg.store.base`: :class:`QuadStore`, what the rest of trialkg asks of a store;
- :mod:`kg.store.oxigraph`: :class:`Store`, embedded Oxigraph;
- :mod:`kg.store.remote`: :class:`RemoteStore`, any SPARQL 1.1 store over HTTP;
- :mod:`kg.store.sparql_text`: the few edits trialkg makes to SPARQL text.

:func:`open_store` opens either engine from what ``--store`` names.
"""

from __future__ import annotations

from pathlib import Path

from kg.store.base import DEFAULT_STORE, Counted, QuadStore, QueryResult, StoreSpec, is_remote
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

    A folder opens as embedded Oxigraph (:meth:`Store.open` / :meth:`Store.open_read_only`).
    A URL means the layout of ``oxigraph serve`` (``URL/query``, ``URL/update``,
    ``URL/store``; see :meth:`kg.store.remote.Endpoints.from_base`);
    :class:`kg.store.remote.Endpoints` names each endpoint. A remote store is asked a trivial
    query first, so an unreachable one fails here; its credentials come from the environment
    (:func:`kg.store.remote.auth_from_env`).

    :raises StoreError: when the store cannot be opened or reached, naming the path or URL.
    """
    if not is_remote(spec):
        assert isinstance(spec, str | Path)
        path = Path(spec)
        return Store.open_read_only(path) if read_only else Store.open(path)
    from kg.store.remote import Endpoints, RemoteStore

    endpoints = spec if isinstance(spec, Endpoints) else Endpoints.from_base(str(spec))
    store = RemoteStore.from_env(endpoints, read_only=read_only)
    try:
        store.ping()
    except BaseException:
        store.close()
        raise
    return store
