"""What the commands of ``trialkg`` share: the store they open, common options, -q, progress.

``STORE_OPTION`` hands a command one ``store_spec`` and :func:`open_for_command` opens it for
the length of the command; :func:`quiet` tells whether -q was given; the progress helpers
draw on stderr only when it is a terminal and -q was not given.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from kg.ids import DEFAULT_BASE_IRI
from kg.store import DEFAULT_STORE, QuadStore, StoreSpec, is_remote, open_store

F = TypeVar("F", bound=Callable[..., Any])

# -- the store --------------------------------------------------------------------------------


def _store_spec(
    store: str | None, query: str | None, update: str | None, gsp: str | None
) -> StoreSpec:
    """What the --store options name: a folder, a SPARQL store's URL, or its endpoints."""
    if not (query or update or gsp):
        return store if store and is_remote(store) else Path(store or DEFAULT_STORE)
    from kg.store.remote import Endpoints

    if store and not is_remote(store):
        raise click.UsageError(
            "--store-query, --store-update and --store-gsp name a SPARQL store: "
            f"--store must then be its URL or left out; found {store!r}"
        )
    if store:
        return Endpoints.from_base(store).with_urls(query=query, update=update, gsp=gsp)
    if not query:
        raise click.UsageError("a SPARQL store needs --store-query URL (or --store URL)")
    return Endpoints(query=query, update=update, gsp=gsp)


def _store_options(command: F) -> F:
    """The --store options, handed to ``command`` as one ``store_spec`` (see :func:`open_store`).

    ``--store`` takes a folder (embedded Oxigraph) or the URL of a SPARQL 1.1 store laid out
    as ``oxigraph serve`` is; ``--store-query``, ``--store-update`` and ``--store-gsp`` name
    the endpoints of any other store one by one.
    """

    @functools.wraps(command)
    def with_store(
        *args: Any,
        store: str,
        store_query: str | None,
        store_update: str | None,
        store_gsp: str | None,
        **kwargs: Any,
    ) -> Any:
        given = click.get_current_context().get_parameter_source("store")
        explicit = store if given != click.core.ParameterSource.DEFAULT else None
        spec = _store_spec(explicit, store_query, store_update, store_gsp)
        return command(*args, store_spec=spec, **kwargs)

    options = [
        click.option(
            "--store",
            metavar="PATH|URL",
            default=str(DEFAULT_STORE),
            show_default=True,
            help="Folder of the Oxigraph store, or the URL of a SPARQL 1.1 store laid out as "
            "'oxigraph serve' is (URL/query, URL/update, URL/store). Credentials come from "
            "TRIALKG_STORE_USER and TRIALKG_STORE_PASSWORD, or TRIALKG_STORE_TOKEN.",
        ),
        click.option(
            "--store-query", metavar="URL", help="SPARQL 1.1 Query endpoint of a remote store."
        ),
        click.option(
            "--store-update", metavar="URL", help="SPARQL 1.1 Update endpoint of a remote store."
        ),
        click.option(
            "--store-gsp",
            metavar="URL",
            help="Graph Store Protocol endpoint of a remote store (whole graphs are PUT there).",
        ),
    ]
    for option in reversed(options):
        with_store = option(with_store)
    return cast(F, with_store)


STORE_OPTION = _store_options


def open_for_command(spec: StoreSpec, *, read_only: bool) -> QuadStore:
    """Open a store for the running command; it is closed when the command ends."""
    store = open_store(spec, read_only=read_only)
    click.get_current_context().call_on_close(store.close)
    return store


# -- options of several commands --------------------------------------------------------------

OUT_OPTION = click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, allow_dash=True),
    default="-",
    show_default=True,
    help="File to write; - for stdout.",
)
BASE_OPTION = click.option(
    "--base-iri",
    "base",
    default=DEFAULT_BASE_IRI,
    show_default=True,
    help="Base of trial and graph IRIs.",
)


def quiet() -> bool:
    """Whether ``trialkg -q`` asked for nothing but errors on stderr."""
    obj = click.get_current_context().find_root().obj
    return bool(obj and obj.get("quiet"))


# -- progress on stderr -----------------------------------------------------------------------


def _progress_shown() -> bool:
    """Progress is drawn for a person watching: never into a file or a pipe, never with -q."""
    return sys.stderr.isatty() and not quiet()


def files_read_counter() -> tuple[Callable[[str], None] | None, Callable[[], None]]:
    """A files-read counter on stderr, and what ends its line; no counter when not shown."""
    if not _progress_shown():
        return None, lambda: None
    seen = [0]

    def tick(name: str) -> None:
        seen[0] += 1
        click.echo(f"\r{seen[0]} files read: {name[-60:]:<60}", err=True, nl=False)

    return tick, lambda: click.echo("", err=True)


@contextlib.contextmanager
def download_bar(
    label: str, *, limit: int | None = None
) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr for a download, fed ``(done, total)`` as it goes.

    The total is often learnt only from the first answer, so the bar starts empty; a
    ``limit`` caps it when the download stops early on purpose.
    """
    with click.progressbar(
        length=0, label=label, file=sys.stderr, hidden=not _progress_shown()
    ) as bar:

        def advance(done: int, total: int | None) -> None:
            if total:
                bar.length = min(total, limit) if limit else total
            bar.update(done - bar.pos)

        yield advance
