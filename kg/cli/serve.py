"""``trialkg serve``: the web server over a store (needs the ``serve`` extra)."""

from __future__ import annotations

import logging
import os

import click

from kg.cli.options import BASE_OPTION, STORE_OPTION, open_for_command, quiet
from kg.store import StoreSpec


@click.command()
@STORE_OPTION
@BASE_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--allow-update",
    is_flag=True,
    help="Accept SPARQL Update at /sparql (opens the store for writing).",
)
@click.option(
    "--timeout", default=10.0, show_default=True, type=float, help="Seconds a SPARQL query may run."
)
@click.option(
    "--max-results",
    default=100_000,
    show_default=True,
    type=int,
    help="Rows or triples a SPARQL query may return.",
)
@click.option(
    "--workers",
    default=min(4, os.cpu_count() or 1),
    show_default="the cores, at most 4",
    type=click.IntRange(1, 64),
    help="Worker processes answering SPARQL queries (queries answered at once).",
)
@click.option(
    "--allow-service",
    "services",
    multiple=True,
    metavar="URL",
    help="A SPARQL endpoint queries may call with SERVICE (repeatable; default: none).",
)
def serve(
    store_spec: StoreSpec,
    base: str,
    host: str,
    port: int,
    allow_update: bool,
    timeout: float,
    max_results: int,
    workers: int,
    services: tuple[str, ...],
) -> None:
    """Serve the graph: SPARQL endpoint, dereferenceable trial IRIs, HTML pages.

    The store is opened read-only (unless --allow-update), so a 'trialkg build' into another
    store path is never blocked. SPARQL queries run in worker processes, each with the store
    open read-only; one that passes --timeout (or fails) is killed and replaced. SERVICE is
    refused unless --allow-service names the endpoint. Ctrl-C or SIGTERM shuts down
    gracefully.

    \b
    Example:
        trialkg serve --store trialkg.db --port 8000
        curl -H 'Accept: text/turtle' http://127.0.0.1:8000/trial/NCT03877471
    """
    # Imported here so that the other commands work without the 'serve' extra installed.
    try:
        import uvicorn

        from kg.server import ServerConfig, create_app
        from kg.server.security import SERVER_OPTIONS
        from kg.server.sparql import Limits
    except ImportError as exc:
        raise click.ClickException(
            f"serving needs the 'serve' extra: pip install 'trialkg[serve]' ({exc.name} missing)"
        ) from exc
    store = open_for_command(store_spec, read_only=not allow_update)
    config = ServerConfig(
        base=base,
        allow_update=allow_update,
        limits=Limits(timeout=timeout, max_results=max_results),
        workers=workers,
        services=services,
    )
    app = create_app(store, config)
    logging.getLogger("kg.server.access").setLevel(logging.INFO)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info" if not quiet() else "warning",
        access_log=False,
        timeout_graceful_shutdown=10,
        **SERVER_OPTIONS,  # a request head too long gets 414 or 431, not a reset
    )
