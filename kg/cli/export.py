"""``trialkg export``: the published graphs as one RDF file, in any format of kg.formats."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.options import BASE_OPTION, OUT_OPTION, STORE_OPTION, open_for_command
from kg.formats import NAMES
from kg.store import StoreSpec


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(NAMES),
    default=NAMES[0],
    show_default=True,
)
@click.option(
    "--graph",
    "selection",
    type=click.Choice(["trials", "ontologies", "all"]),
    default="trials",
    show_default=True,
    help="Which named graphs: the trials, the ontologies (with the trialkg vocabulary), "
    "or both. Private graphs are never exported.",
)
@OUT_OPTION
@STORE_OPTION
@BASE_OPTION
def export(fmt: str, selection: str, out_path: Path, store_spec: StoreSpec, base: str) -> None:
    """Export the graph as RDF.

    Graph formats merge the selected graphs; nquads and trig keep each named graph.

    Example: trialkg export --format turtle --out trials.ttl
    """
    from kg.export import export as run_export

    store = open_for_command(store_spec, read_only=True)
    with click.open_file(str(out_path), "wb") as handle:
        n = run_export(store, handle, fmt, selection=selection, base=base)
    click.echo(f"exported {n} statements ({selection}) as {fmt}", err=True)
