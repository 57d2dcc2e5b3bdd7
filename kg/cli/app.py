"""The ``trialkg`` group: its options, logging, the one-line errors, and the commands it holds.

Data goes to stdout; messages, summaries and warnings to stderr. Exit codes: 0 success,
1 failure or rejected records, 2 usage error.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from kg.cli import build, export, fetch, mappings, ontologies, query, serve
from kg.errors import TrialkgError

logger = logging.getLogger("kg")


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Messages of trialkg's loggers on stderr, as many as -v and -q ask for."""
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger("kg")
    root.handlers[:] = [handler]
    root.setLevel(level)


class _Group(click.Group):
    """Turns library errors into one line on stderr and exit 1 (a traceback with -v)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrialkgError as exc:
            if logger.isEnabledFor(logging.INFO):
                logger.exception("failed")
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More messages on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.version_option(package_name="trialkg")
def main(verbose: int, quiet: bool) -> None:
    """An ontology-linked knowledge graph of clinical trials.

    Records of trials go in; RDF comes out whose conditions link to the Human Disease
    Ontology (DOID) and cell products to the Cell Ontology (CL), held in Oxigraph.

    Example, from a checkout:

    \b
        trialkg build
        trialkg query trials-by-condition --param condition=DOID:1100
    """
    _configure_logging(verbose, quiet)
    # kg.cli.options.quiet() reads it back in the commands.
    click.get_current_context().obj = {"quiet": quiet}


main.add_command(build.build)
main.add_command(build.load)
main.add_command(query.query)
main.add_command(query.sparql)
main.add_command(export.export)
main.add_command(serve.serve)
main.add_command(fetch.fetch)
main.add_command(mappings.mappings)
main.add_command(ontologies.ontologies)
