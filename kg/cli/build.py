"""``trialkg build`` and ``trialkg load``: records and ontologies into a store, and the report.

Both end with the same summary on stderr: counts, grounding rates, and every rejected record
with its reason; a rejected record makes the exit code 1 unless --allow-rejects.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import IO

import click

from kg.cli.options import BASE_OPTION, STORE_OPTION, files_read_counter, quiet
from kg.errors import LoadStoppedError
from kg.load import LoadReport, default_ontologies, default_records, load_into
from kg.load import build as run_build
from kg.model import Override
from kg.store import StoreSpec

CONTACTS_OPTION = click.option(
    "--include-contacts",
    is_flag=True,
    help="Also store contact persons, in private graphs that are never published.",
)
OVERRIDES_OPTION = click.option(
    "--overrides",
    "overrides_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="A curator's SSSOM TSV of decisions that win over automatic grounding "
    "(default: overrides.sssom.tsv in the user data directory, when it exists).",
)
ALLOW_REJECTS_OPTION = click.option(
    "--allow-rejects",
    is_flag=True,
    help="Exit 0 even when records were rejected (they are still listed).",
)


@click.command()
@click.argument("records", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--ontology",
    "ontologies",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Ontology file to load (OWL, Turtle, N-Triples, OBO; .gz too); repeatable. "
    "Default: the DOID and CL slims in ontologies/.",
)
@STORE_OPTION
@BASE_OPTION
@CONTACTS_OPTION
@click.option(
    "--classify",
    "classify",
    multiple=True,
    metavar="NAME",
    help="Classify a loaded ontology (doid, cl) with the HermiT reasoner and keep the inferred "
    "hierarchy; for editors' files, not released ones. Needs Java. Repeatable.",
)
@OVERRIDES_OPTION
@click.option(
    "--catalog",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="XML catalog (catalog-v001.xml) mapping owl:imports to local files; default: the one "
    "beside each ontology file, if any. Unmapped imports are skipped, never fetched.",
)
@click.option(
    "--registered",
    "use_registered",
    is_flag=True,
    help="Use the full releases registered with 'trialkg ontologies fetch' instead of the slims.",
)
@ALLOW_REJECTS_OPTION
def build(
    records: tuple[Path, ...],
    ontologies: tuple[Path, ...],
    store_spec: StoreSpec,
    base: str,
    include_contacts: bool,
    classify: tuple[str, ...],
    overrides_path: Path | None,
    catalog: Path | None,
    use_registered: bool,
    allow_rejects: bool,
) -> None:
    """Build a fresh store from record files and ontology files.

    RECORDS are files, folders, globs, .gz, .zip or - for standard input (default: seeds/).
    The store is built beside the old one and swapped in when done. Rejected records are
    reported and make the exit code 1 (unless --allow-rejects); the good records are loaded
    all the same.

    Example: trialkg build seeds/hpscreg-48.txt --store trialkg.db
    """
    tick, done = files_read_counter()
    report = run_build(
        store_spec,
        list(records) or default_records(),
        list(ontologies) or (_registered_files() if use_registered else default_ontologies()),
        base=base,
        include_contacts=include_contacts,
        classify=classify,
        overrides=_overrides(overrides_path),
        catalog=catalog,
        progress=tick,
    )
    done()
    out = io.StringIO() if quiet() else sys.stderr
    for release in report.releases:  # what the store holds: one line per release graph
        out.write(
            f"ontology {release.name}: {release.triples} triples in <{release.graph}>, "
            f"{release.version}\n"
        )
    _summarise(report.load, out)
    if report.dropped:
        out.write(f"dropped {report.dropped} graphs no longer in the input\n")
    out.write(f"store {store_spec}: {report.store_quads} quads\n")
    if report.load.rejected and not allow_rejects:
        sys.exit(1)


@click.command()
@click.argument(
    "records", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True)
)
@STORE_OPTION
@BASE_OPTION
@CONTACTS_OPTION
@OVERRIDES_OPTION
@ALLOW_REJECTS_OPTION
def load(
    records: tuple[Path, ...],
    store_spec: StoreSpec,
    base: str,
    include_contacts: bool,
    overrides_path: Path | None,
    allow_rejects: bool,
) -> None:
    """Add records to an existing store, grounding them with the ontologies it holds.

    RECORDS are files, folders, globs, .gz, .zip or - for standard input. Each trial's graph is
    replaced in its own transaction, so reloading a changed record replaces it.

    Example: zcat records.txt.gz | trialkg load - --store trialkg.db
    """
    tick, done = files_read_counter()
    try:
        report = load_into(
            store_spec,
            list(records),
            base=base,
            include_contacts=include_contacts,
            overrides=_overrides(overrides_path),
            progress=tick,
        )
    except LoadStoppedError as exc:  # a write failed part way: say what was loaded, then why
        done()
        if not quiet():
            _summarise(exc.report, sys.stderr)
        raise
    done()
    if not quiet():
        _summarise(report, sys.stderr)
    if report.rejected and not allow_rejects:
        sys.exit(1)


def _summarise(load: LoadReport, out: IO[str]) -> None:
    """The final report of a load: counts, grounding rates, every reject and its reason."""
    out.write(
        f"records read: {load.records_read}; trials loaded: {load.trials_loaded}; "
        f"rejected: {len(load.rejected)}\n"
    )
    for kind, (grounded, ungrounded) in load.grounded.items():
        total = grounded + ungrounded
        rate = f" ({100 * grounded / total:.1f}%)" if total else ""
        line = f"{kind.value} mentions: {grounded} grounded{rate}, {ungrounded} ungrounded"
        beyond = load.out_of_scope[kind]
        if beyond:
            # The share a reader of the ontology can hold the grounder to: of the mentions that
            # may name a disease, not of populations, procedures or symptoms DOID leaves out.
            expected = total - beyond
            line += (
                f", of which {beyond} name no disease (population, procedure, symptom, ...);"
                f" {100 * grounded / expected:.1f}% of the {expected} others grounded"
            )
        out.write(line + "\n")
    for key, grounding in load.ungrounded[:50]:
        out.write(
            f"  ungrounded {grounding.kind.value} in {key}: {grounding.subject_label!r}"
            f" ({grounding.comment or 'no term matched'})\n"
        )
    if load.ungrounded_count > 50:
        out.write(
            f"  ... and {load.ungrounded_count - 50} more: trialkg query ungrounded-mentions\n"
        )
    for error in load.rejected:
        out.write(f"  rejected: {error}\n")


def _registered_files() -> list[Path]:
    """The files of the releases 'trialkg ontologies fetch' registered on this machine."""
    from kg.ontology.registry import registered

    entries = registered()
    if not entries:
        raise click.UsageError(
            "no releases registered: run 'trialkg ontologies fetch' (or "
            "'trialkg ontologies fetch --from DIR') first"
        )
    return [Path(e.path) for e in entries.values()]


def _overrides(path: Path | None) -> dict[str, Override]:
    """The curator's decisions from ``path``, else from the default file when there is one."""
    from kg.grounding.overrides import DEFAULT_OVERRIDES, read_overrides

    chosen = path or (DEFAULT_OVERRIDES if DEFAULT_OVERRIDES.is_file() else None)
    return read_overrides(chosen) if chosen else {}
