"""`trialkg mappings ...`: SSSOM export, curator review, ontology upgrades."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.options import BASE_OPTION, OUT_OPTION, STORE_OPTION, open_for_command, quiet
from kg.model import Grounding
from kg.store import StoreSpec


@click.group()
def mappings() -> None:
    """Groundings as mappings: export them as SSSOM, review what needs a curator."""


@mappings.command("export")
@OUT_OPTION
@STORE_OPTION
@BASE_OPTION
def mappings_export(out_path: Path, store_spec: StoreSpec, base: str) -> None:
    """Write every grounding as an SSSOM TSV (mention -> DOID or CL term, method, confidence).

    Example: trialkg mappings export --out trialkg.sssom.tsv
    """
    from kg.grounding.sssom import iter_mappings, write_sssom

    store = open_for_command(store_spec, read_only=True)
    rows = iter_mappings(store, base=base)
    with click.open_file(str(out_path), "w", encoding="utf-8") as handle:
        n = write_sssom(rows, handle, base=base)
    if not quiet():
        click.echo(f"exported {n} mappings", err=True)


@mappings.command("review")
@click.option(
    "--threshold",
    type=float,
    default=0.8,
    show_default=True,
    help="Groundings below this confidence are listed too.",
)
@click.option(
    "--no-disease",
    is_flag=True,
    help="Also list the conditions left ungrounded because they name no disease.",
)
@STORE_OPTION
@BASE_OPTION
def mappings_review(threshold: float, no_disease: bool, store_spec: StoreSpec, base: str) -> None:
    """List ungrounded, ambiguous and low-confidence mentions with their closest terms.

    Conditions that name no disease (a population, a procedure, a symptom DOID leaves out)
    are left out unless --no-disease. To decide one, add a row (subject_label, object_id) to
    an SSSOM TSV of overrides and rebuild with --overrides FILE.

    Example: trialkg mappings review
    """
    from kg.grounding.review import review
    from kg.ontology.terms import TermIndex

    store = open_for_command(store_spec, read_only=True)
    index = TermIndex.from_store(store, base=base)
    items = review(store, index, threshold=threshold, no_disease=no_disease)
    out = sys.stdout
    for item in items:
        current = f" -> {item.current} ({item.confidence})" if item.current else ""
        out.write(f"{item.trial}\t{item.kind}\t{item.mention!r}\t{item.reason}{current}\n")
        for c in item.candidates:
            out.write(
                f"\t\tcandidate {c.curie} {c.label!r} (similarity {c.score}, via {c.matched!r})\n"
            )
    if not quiet():
        click.echo(f"{len(items)} mentions to review", err=True)


@mappings.command("upgrade")
@click.option(
    "--old",
    "old_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Ontology file of the old release; repeatable.",
)
@click.option(
    "--new",
    "new_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Ontology file of the new release; repeatable.",
)
@click.argument("records", nargs=-1, type=click.Path(path_type=Path))
def mappings_upgrade(
    old_files: tuple[Path, ...], new_files: tuple[Path, ...], records: tuple[Path, ...]
) -> None:
    """Re-ground RECORDS (default: seeds/) against a newer release and report what changed.

    One tab-separated line per mention: trial, kind, mention, changes, the old link and the
    new one (term, label, method, confidence). Exit code 1 when a link was lost.

    \b
    Example:
        trialkg mappings upgrade --old doid-2016-03-04.obo --new doid-2026-07-31.obo
    """
    from kg.grounding.upgrades import upgrade_report
    from kg.load import default_records
    from kg.load.inputs import iter_trials
    from kg.ontology.terms import TermIndex

    old, new = TermIndex.from_files(*old_files), TermIndex.from_files(*new_files)
    out = sys.stdout
    out.write("trial\tkind\tmention\tchanges\told\tnew\n")
    lost = 0
    trials = iter_trials(list(records) or default_records())
    for change in upgrade_report(trials, old, new):
        lost += "link lost" in change.changes
        out.write(
            "\t".join(
                [
                    change.trial,
                    change.kind,
                    change.mention,
                    ", ".join(change.changes),
                    _link(change.old),
                    _link(change.new),
                ]
            )
            + "\n"
        )
    if lost:
        sys.exit(1)


def _link(grounding: Grounding) -> str:
    """One side of an upgrade line: the term, its label, how and how surely it was linked."""
    if grounding.object_id is None:
        return "ungrounded"
    return (
        f"{grounding.object_id} {grounding.object_label!r} by {grounding.method} "
        f"({grounding.confidence})"
    )
