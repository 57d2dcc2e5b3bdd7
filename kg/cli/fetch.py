"""``trialkg fetch``: download ClinicalTrials.gov studies as JSON Lines (uses the network)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from kg.cli.app import _quiet, main
from kg.fetch import API, MAX_PAGE_SIZE, StudyQuery, fetch_studies


@main.command()
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
def fetch(
    out_path: Path | None,
    updated_since: dt.datetime | None,
    term: str | None,
    condition: str | None,
    limit: int | None,
    page_size: int,
    pause: float,
    api: str,
    restart: bool,
) -> None:
    """Download studies from the ClinicalTrials.gov API v2 as JSON Lines (uses the network).

    Every study, or those a query selects, one per line as the API gives it: the input of
    'trialkg build' and 'trialkg load'. The file appears only when the download is whole;
    an interrupted download carries on where it stopped when the same command is run again.
    The summary names the newest update date seen, to pass as --updated-since next time.

    \b
    Examples:
        trialkg fetch --out records/ctgov.jsonl.gz                 # every study
        trialkg build records/ctgov.jsonl.gz
        trialkg fetch --updated-since 2026-11-23 --out changed.jsonl.gz
        trialkg load changed.jsonl.gz                              # replaces those trials
    """
    out = out_path or Path(f"ctgov-{dt.date.today().isoformat()}.jsonl.gz")
    query = StudyQuery(
        updated_since=updated_since.date() if updated_since else None,
        term=term,
        condition=condition,
    )
    show = sys.stderr.isatty() and not _quiet()
    with click.progressbar(
        length=0, label="fetching studies", file=sys.stderr, hidden=not show
    ) as bar:

        def progress(done: int, total: int | None, bar: Any = bar) -> None:
            if total:
                bar.length = min(total, limit) if limit else total
            bar.update(done - bar.pos)

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
    if _quiet():
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
