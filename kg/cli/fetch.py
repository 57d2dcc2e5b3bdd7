"""``trialkg fetch``: download ClinicalTrials.gov studies as JSON Lines (uses the network)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from kg.cli.options import STORE_OPTION, download_bar, open_for_command, quiet
from kg.readers.ctgov import SOURCE
from kg.sources.ctgov import API, MAX_PAGE_SIZE, StudyQuery, fetch_studies
from kg.store import StoreSpec


@click.command()
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON Lines file to write; .gz compresses it [default: ctgov-YYYY-MM-DD.jsonl.gz, "
    "today's date].",
)
@click.option(
    "--updated-since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only studies whose last update was posted on or after this day (YYYY-MM-DD).",
)
@click.option(
    "--since-store",
    is_flag=True,
    help="Only studies updated on or after the newest last-update day of the "
    "ClinicalTrials.gov records in --store: what changed since that store was filled.",
)
@click.option(
    "--query",
    "term",
    default=None,
    help="An Essie expression for the API's query.term, e.g. 'AREA[InterventionType]BIOLOGICAL'.",
)
@click.option("--condition", default=None, help="Words for the API's query.cond.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Stop after this many studies."
)
@click.option(
    "--page-size",
    type=click.IntRange(1, MAX_PAGE_SIZE),
    default=MAX_PAGE_SIZE,
    show_default=True,
    help="Studies per request.",
)
@click.option(
    "--pause",
    type=click.FloatRange(min=0),
    default=1.3,
    show_default=True,
    help="Least seconds between requests (ClinicalTrials.gov asks for about 50 a minute).",
)
@click.option("--api", default=API, show_default=True, help="Base URL of the API v2.")
@click.option(
    "--restart", is_flag=True, help="Start over instead of carrying on an interrupted download."
)
@STORE_OPTION
def fetch(
    out_path: Path | None,
    updated_since: dt.datetime | None,
    since_store: bool,
    term: str | None,
    condition: str | None,
    limit: int | None,
    page_size: int,
    pause: float,
    api: str,
    restart: bool,
    store_spec: StoreSpec,
) -> None:
    """Download studies from the ClinicalTrials.gov API v2 as JSON Lines (uses the network).

    Every study, or those a query selects, one per line as the API gives it: the input of
    'trialkg build' and 'trialkg load'. The file appears only when the download is whole;
    an interrupted download carries on where it stopped when the same command is run again.
    The summary names the newest update date seen, to pass as --updated-since next time;
    or let --since-store read it from the store.

    \b
    Examples:
        trialkg fetch --out records/ctgov.jsonl.gz                 # every study
        trialkg build records/ctgov.jsonl.gz
        trialkg fetch --since-store --out changed.jsonl.gz         # what changed since
        trialkg load changed.jsonl.gz                              # replaces those trials
    """
    out = out_path or Path(f"ctgov-{dt.date.today().isoformat()}.jsonl.gz")
    since = updated_since.date() if updated_since else None
    if since_store:
        if since is not None:
            raise click.UsageError("give --updated-since or --since-store, not both")
        since = _newest_in_store(store_spec)
    query = StudyQuery(
        updated_since=since,
        term=term,
        condition=condition,
    )
    with download_bar("fetching studies", limit=limit) as progress:
        report = fetch_studies(
            out,
            query,
            api=api,
            page_size=page_size,
            limit=limit,
            pause=pause,
            restart=restart,
            progress=progress,
        )
    if quiet():
        return
    of = f" of {report.total:,}" if report.total is not None else ""
    resumed = ", carrying on an interrupted download" if report.resumed else ""
    retried = f", {report.retries} requests tried again" if report.retries else ""
    click.echo(
        f"fetched {report.studies:,}{of} studies in {report.pages} pages into {out} "
        f"({report.size:,} bytes{resumed}{retried})",
        err=True,
    )
    if report.newest_update:
        click.echo(
            f"newest update posted {report.newest_update}; to fetch what changes after it: "
            f"trialkg fetch --updated-since {report.newest_update}",
            err=True,
        )


def _newest_in_store(store_spec: StoreSpec) -> dt.date:
    """The day the newest ClinicalTrials.gov record in the store was last updated."""
    from kg.errors import StoreError
    from kg.load import newest_record_update

    newest = newest_record_update(open_for_command(store_spec, read_only=True), SOURCE)
    if newest is None:
        raise StoreError(
            f"{store_spec}: no ClinicalTrials.gov record in the store says when it was last "
            "updated; fetch everything, or give --updated-since YYYY-MM-DD"
        )
    # a month-only date (old XML records) asks from the first of that month
    day = dt.date.fromisoformat(newest if len(newest) == 10 else f"{newest}-01")
    if not quiet():
        click.echo(f"{store_spec}: newest update posted {newest}; fetching from {day}", err=True)
    return day
