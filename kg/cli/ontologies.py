"""`trialkg ontologies ...`: slims, classification, releases in a store or on this machine."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.options import BASE_OPTION, STORE_OPTION, download_bar, open_for_command, quiet
from kg.store import StoreSpec


@click.group()
def ontologies() -> None:
    """Ontology releases: fetch or register them, list them, classify them, cut slims."""


@ontologies.command("slim")
@click.option(
    "--ontology",
    "source",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="The full release to cut from.",
)
@click.option(
    "--records",
    "records",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Record files or folders whose grounded terms the slim keeps (default: seeds/).",
)
@click.option(
    "--term", "terms", multiple=True, metavar="CURIE", help="A further term to keep; repeatable."
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Turtle file to write, e.g. ontologies/doid-slim.ttl.",
)
@click.option(
    "--classify",
    "classify_first",
    is_flag=True,
    help="Classify the release with the HermiT reasoner first (editors' files; needs Java), "
    "so the slim keeps the inferred hierarchy.",
)
def slim(
    source: Path,
    records: tuple[Path, ...],
    terms: tuple[str, ...],
    out_path: Path,
    classify_first: bool,
) -> None:
    """Cut a small module of a full ontology: the terms the records use, and their ancestors.

    Example:

        trialkg ontologies slim --ontology doid.obo --out ontologies/doid-slim.ttl
    """
    from kg.load import default_records, terms_used_by
    from kg.ontology.slim import write_slim

    used = terms_used_by(list(records) or default_records(), source) | set(terms)
    n = write_slim(source, sorted(used), out_path, classify_first=classify_first)
    click.echo(
        f"wrote {out_path}: {n} terms ({len(used)} used by the records, plus ancestors)", err=True
    )


@ontologies.command("classify")
@click.argument("name")
@STORE_OPTION
@BASE_OPTION
def classify_command(name: str, store_spec: StoreSpec, base: str) -> None:
    """Classify a loaded ontology with the HermiT reasoner (needs Java).

    The inferred superclasses that the file did not assert go into their own named graph,
    <base>graph/inferred/NAME, which the hierarchy queries use. Editors' files need this
    (the CL editors' file asserts no parent for CL:0000048); released files do not.

    Example: trialkg ontologies classify cl --store trialkg.db
    """
    from kg.ontology.reason import classify

    n = classify(open_for_command(store_spec, read_only=False), name, base=base)
    if not quiet():
        click.echo(f"{name}: {n} inferred subclass links", err=True)


@ontologies.command("list")
@click.option(
    "--registered",
    is_flag=True,
    help="List the releases registered on this machine (fetch/--from) instead.",
)
@STORE_OPTION
@BASE_OPTION
def list_ontologies(registered: bool, store_spec: StoreSpec, base: str) -> None:
    """List the ontology releases loaded in a store (or registered here), tab-separated.

    For a store: every release it holds, each ontology's from the oldest to the newest: name,
    ontology IRI, version, terms, obsolete terms, triples, source file, SHA-256, named graph.
    The terms are those the release itself defines, before the term index merges releases.

    Example: trialkg ontologies list --store trialkg.db
    """
    from kg.ontology.load import read_releases
    from kg.ontology.registry import registered as registered_releases
    from kg.ontology.terms import terms_of_release

    out = sys.stdout
    if registered:
        out.write("name\tversion\tsize\tsource\tpath\tsha256\tregistered\n")
        for e in registered_releases().values():
            out.write(
                f"{e.name}\t{e.version or ''}\t{e.size}\t{e.source}\t{e.path}\t"
                f"{e.sha256}\t{e.registered_at}\n"
            )
        return
    store = open_for_command(store_spec, read_only=True)
    out.write("name\tontology\tversion\tterms\tobsolete\ttriples\tsource\tsha256\tgraph\n")
    for r in read_releases(store, base=base):
        terms = list(terms_of_release(store, r, base=base))
        dead = sum(term.obsolete for term in terms)
        out.write(
            f"{r.name}\t{r.iri or ''}\t{r.version}\t{len(terms)}\t{dead}\t{r.triples}\t"
            f"{r.path}\t{r.sha256}\t{r.graph}\n"
        )


@ontologies.command("fetch")
@click.argument("name", type=click.Choice(["doid", "cl", "all"]), default="all")
@click.option(
    "--from",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Register the release files in this folder instead of downloading (no network).",
)
@click.option("--url", default=None, help="Download from this URL instead of the OBO PURL.")
def fetch_ontologies(name: str, folder: Path | None, url: str | None) -> None:
    """Download the current DOID and CL releases from the OBO PURLs (uses the network).

    Each release is streamed into the user data directory and registered with its size,
    SHA-256, version IRI and date; 'trialkg build --registered' then uses them. With --from,
    local files are registered instead and nothing is downloaded.

    \b
    Examples:
        trialkg ontologies fetch all
        trialkg ontologies fetch --from ../shared/ontologies/
    """
    from kg.ontology.registry import PURLS, register_folder
    from kg.sources.ontologies import fetch

    if folder is not None:
        entries = register_folder(folder)
    else:
        names = list(PURLS) if name == "all" else [name]
        entries = []
        for each in names:
            with download_bar(f"fetching {each}") as progress:
                entries.append(fetch(each, url=url, progress=progress))
    for e in entries:
        if not quiet():
            click.echo(
                f"{e.name}: {e.path} ({e.size} bytes, {e.version or 'no version IRI'}, "
                f"sha256 {e.sha256[:16]}…)",
                err=True,
            )
