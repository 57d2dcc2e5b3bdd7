"""The ``trialkg`` command: parse, call one library function, format the result.

Data goes to stdout; messages, summaries and warnings to stderr. Exit codes: 0 success,
1 failure or rejected records, 2 usage error.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click
import pyoxigraph as ox

from kg.errors import QueryError, TrialkgError
from kg.ids import DEFAULT_BASE_IRI
from kg.model import Grounding, Override
from kg.pipeline import LoadReport
from kg.queries import load_queries, run_named
from kg.rdf.vocab import PREFIXES
from kg.store import DEFAULT_STORE, QueryResult, Store

logger = logging.getLogger("kg")

F = TypeVar("F", bound=Callable[..., Any])

STORE_OPTION = click.option(
    "--store",
    "store_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_STORE,
    show_default=True,
    help="Folder of the Oxigraph store.",
)
OUT_OPTION = click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, allow_dash=True),
    default="-",
    show_default=True,
    help="File to write; - for stdout.",
)
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
BASE_OPTION = click.option(
    "--base-iri",
    "base",
    default=DEFAULT_BASE_IRI,
    show_default=True,
    help="Base of trial and graph IRIs.",
)

_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


def _configure_logging(verbose: int, quiet: bool) -> None:
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
    click.get_current_context().obj = {"quiet": quiet}


# -- build ------------------------------------------------------------------------------------


@main.command()
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
    store_path: Path,
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
    from kg.pipeline import build as run_build
    from kg.pipeline import default_ontologies, default_records

    tick, done = _progress()

    report = run_build(
        store_path,
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
    out = io.StringIO() if _quiet() else click.get_text_stream("stderr")
    for release in report.releases:
        out.write(f"ontology {release.name}: {release.triples} triples, {release.version}\n")
    _summarise(report.load, out)
    out.write(f"store {store_path}: {report.store_quads} quads\n")
    if report.load.rejected and not allow_rejects:
        sys.exit(1)


@main.command()
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
    store_path: Path,
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
    from kg.pipeline import load_into

    tick, done = _progress()
    report = load_into(
        store_path,
        list(records),
        base=base,
        include_contacts=include_contacts,
        overrides=_overrides(overrides_path),
        progress=tick,
    )
    done()
    if not _quiet():
        _summarise(report, click.get_text_stream("stderr"))
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
        out.write(f"{kind.value} mentions: {grounded} grounded{rate}, {ungrounded} ungrounded\n")
    for key, grounding in load.ungrounded[:50]:
        out.write(
            f"  ungrounded {grounding.kind.value} in {key}: {grounding.subject_label!r}"
            f" ({grounding.comment or 'no term matched'})\n"
        )
    if len(load.ungrounded) > 50:
        out.write(
            f"  ... and {len(load.ungrounded) - 50} more: trialkg query ungrounded-mentions\n"
        )
    for error in load.rejected:
        out.write(f"  rejected: {error}\n")


def _progress() -> tuple[Callable[[str], None] | None, Callable[[], None]]:
    """A files-read counter on stderr when it is a terminal; nothing otherwise."""
    if _quiet() or not sys.stderr.isatty():
        return None, lambda: None
    seen = [0]

    def tick(name: str) -> None:
        seen[0] += 1
        click.echo(f"\r{seen[0]} files read: {name[-60:]:<60}", err=True, nl=False)

    return tick, lambda: click.echo("", err=True)


def _quiet() -> bool:
    obj = click.get_current_context().find_root().obj
    return bool(obj and obj.get("quiet"))


def _registered_files() -> list[Path]:
    from kg.ontology.registry import registered

    entries = registered()
    if not entries:
        raise click.UsageError(
            "no releases registered: run 'trialkg ontologies fetch' (or "
            "'trialkg ontologies fetch --from DIR') first"
        )
    return [Path(e.path) for e in entries.values()]


def _overrides(path: Path | None) -> dict[str, Override]:
    from kg.mappings import DEFAULT_OVERRIDES, read_overrides

    chosen = path or (DEFAULT_OVERRIDES if DEFAULT_OVERRIDES.is_file() else None)
    return read_overrides(chosen) if chosen else {}


# -- query ------------------------------------------------------------------------------------


def _short(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None, prefixes: dict[str, str]
) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in prefixes.items():
            if term.value.startswith(ns) and term.value != ns:
                return f"{prefix}:{term.value[len(ns) :]}"
        return term.value
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _rows(
    result: ox.QuerySolutions, prefixes: dict[str, str], *, hide: set[str]
) -> tuple[list[str], list[list[str]]]:
    """Rows of plain strings; the columns of bound parameters (constant) are left out."""
    names = [v.value for v in result.variables if v.value not in hide]
    rows = [[_short(row[name], prefixes) for name in names] for row in result]
    return names, rows


def _table(names: list[str], rows: list[list[str]], out: IO[str], width: int = 60) -> None:
    def cut(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 1] + "…"

    cells = [[cut(c) for c in row] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in cells)]) for i, n in enumerate(names)]
    out.write("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--param expects KEY=VALUE; found {item!r}")
        params[key.strip()] = value.strip()
    return params


def _list_queries(out: IO[str]) -> None:
    for query in load_queries().values():
        params = " ".join(
            f"[--param {p.name}=...]" if p.optional else f"--param {p.name}=..."
            for p in query.parameters
        )
        out.write(f"{query.name} {params}".rstrip() + "\n")
        out.write(f"    {query.summary}\n")
        for p in query.parameters:
            out.write(
                f"    {p.name} ({p.kind}{', optional' if p.optional else ''}): {p.description}\n"
            )
        if query.example:
            out.write(f"    example: {query.example}\n")


@main.command()
@click.argument("name", required=False)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter of the query; repeatable. CURIEs and IRIs are both accepted.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--list", "list_", is_flag=True, help="List the named queries and what each answers.")
@STORE_OPTION
@BASE_OPTION
def query(
    name: str | None, params: tuple[str, ...], fmt: str, list_: bool, store_path: Path, base: str
) -> None:
    """Run a named query from queries/ and print its answer.

    Example: trialkg query trials-by-condition --param condition=DOID:1100
    """
    out = click.get_text_stream("stdout")
    if list_:
        _list_queries(out)
        return
    if not name:
        raise click.UsageError("give a query NAME, or --list to see them")
    queries = load_queries()
    if name not in queries:
        raise QueryError(f"unknown query {name!r}; known: {', '.join(queries)}")
    store = Store.open_read_only(store_path)
    bound = _parse_params(params)
    result = run_named(store, queries[name], bound, base=base)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError(f"query {name!r} is not a SELECT query")
    prefixes = {**PREFIXES, "trial": f"{base}trial/"}
    names, rows = _rows(result, prefixes if fmt == "table" else {}, hide=set(bound))
    if fmt == "json":
        out.write(
            json.dumps(
                [dict(zip(names, row, strict=True)) for row in rows], indent=2, ensure_ascii=False
            )
            + "\n"
        )
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(names)
        writer.writerows(rows)
    else:
        _table(names, rows, out)
    if not _quiet():
        click.echo(f"{len(rows)} row{'' if len(rows) == 1 else 's'}", err=True)


# -- sparql -----------------------------------------------------------------------------------


@main.command()
@click.argument("query_or_file")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*_RESULT_FORMATS, *_GRAPH_FORMATS]),
    default=None,
    help="Results format (SELECT/ASK: json, xml, csv, tsv; default json) "
    "or RDF format (CONSTRUCT/DESCRIBE: turtle, ntriples, rdfxml, jsonld; default turtle).",
)
@STORE_OPTION
def sparql(query_or_file: str, fmt: str | None, store_path: Path) -> None:
    """Run any SPARQL SELECT, ASK, CONSTRUCT or DESCRIBE query over the whole store.

    QUERY_OR_FILE is the query text or a file holding it. The default graph is the union of
    all named graphs. Example:

        trialkg sparql 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --format csv
    """
    path = Path(query_or_file)
    text = (
        path.read_text(encoding="utf-8")
        if path.suffix == ".rq" or path.is_file()
        else query_or_file
    )
    store = Store.open_read_only(store_path)
    result: QueryResult = store.query(text, prefixes=PREFIXES)
    out = click.get_binary_stream("stdout")
    if isinstance(result, ox.QueryTriples):
        graph_format = _GRAPH_FORMATS.get(fmt or "turtle")
        if graph_format is None:
            raise click.UsageError(
                f"--format {fmt} is for SELECT/ASK; a graph result takes "
                f"{', '.join(_GRAPH_FORMATS)}"
            )
        ox.serialize(result, out, graph_format, prefixes=PREFIXES)
        return
    result_format = _RESULT_FORMATS.get(fmt or "json")
    if result_format is None:
        raise click.UsageError(
            f"--format {fmt} is for CONSTRUCT/DESCRIBE; SELECT/ASK take "
            f"{', '.join(_RESULT_FORMATS)}"
        )
    result.serialize(out, result_format)


# -- export -----------------------------------------------------------------------------------


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"]),
    default="turtle",
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
def export(fmt: str, selection: str, out_path: Path, store_path: Path, base: str) -> None:
    """Export the graph as RDF.

    Graph formats merge the selected graphs; nquads and trig keep each named graph.

    Example: trialkg export --format turtle --out trials.ttl
    """
    from kg.export import export as run_export

    store = Store.open_read_only(store_path)
    with click.open_file(str(out_path), "wb") as handle:
        n = run_export(store, handle, fmt, selection=selection, base=base)
    click.echo(f"exported {n} statements ({selection}) as {fmt}", err=True)


# -- ontologies -------------------------------------------------------------------------------


@main.group()
def ontologies() -> None:
    """Ontology releases: cut slims, list what a store holds."""


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
    from kg.ontology.slim import write_slim
    from kg.pipeline import default_records, terms_used_by

    used = terms_used_by(list(records) or default_records(), source) | set(terms)
    n = write_slim(source, sorted(used), out_path, classify_first=classify_first)
    click.echo(
        f"wrote {out_path}: {n} terms ({len(used)} used by the records, plus ancestors)", err=True
    )


@ontologies.command("classify")
@click.argument("name")
@STORE_OPTION
@BASE_OPTION
def classify_command(name: str, store_path: Path, base: str) -> None:
    """Classify a loaded ontology with the HermiT reasoner (needs Java).

    The inferred superclasses that the file did not assert go into their own named graph,
    <base>graph/inferred/NAME, which the hierarchy queries use. Editors' files need this
    (the CL editors' file asserts no parent for CL:0000048); released files do not.

    Example: trialkg ontologies classify cl --store trialkg.db
    """
    from kg.ontology.reason import classify

    n = classify(Store.open(store_path), name, base=base)
    if not _quiet():
        click.echo(f"{name}: {n} inferred subclass links", err=True)


@ontologies.command("list")
@click.option(
    "--registered",
    is_flag=True,
    help="List the releases registered on this machine (fetch/--from) instead.",
)
@STORE_OPTION
@BASE_OPTION
def list_ontologies(registered: bool, store_path: Path, base: str) -> None:
    """List the ontology releases loaded in a store (or registered here), tab-separated.

    For a store: name, ontology IRI, version, terms, obsolete terms, triples, source file,
    SHA-256.

    Example: trialkg ontologies list --store trialkg.db
    """
    from kg.ontology.load import read_releases
    from kg.ontology.registry import registered as registered_releases
    from kg.ontology.terms import TermIndex

    out = click.get_text_stream("stdout")
    if registered:
        out.write("name\tversion\tsize\tsource\tpath\tsha256\tregistered\n")
        for e in registered_releases().values():
            out.write(
                f"{e.name}\t{e.version or ''}\t{e.size}\t{e.source}\t{e.path}\t"
                f"{e.sha256}\t{e.registered_at}\n"
            )
        return
    store = Store.open_read_only(store_path)
    index = TermIndex.from_store(store, base=base)
    terms: dict[str, list[int]] = {}
    for term in index.iter_terms():
        tally = terms.setdefault(term.ontology, [0, 0])
        tally[0] += 1
        tally[1] += term.obsolete
    out.write("name\tontology\tversion\tterms\tobsolete\ttriples\tsource\tsha256\n")
    for r in read_releases(store, base=base):
        n, dead = terms.get(r.name, [0, 0])
        out.write(
            f"{r.name}\t{r.iri or ''}\t{r.version}\t{n}\t{dead}\t{r.triples}\t{r.path}\t"
            f"{r.sha256}\n"
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
    from kg.ontology.registry import PURLS, fetch, register_folder

    if folder is not None:
        entries = register_folder(folder)
    else:
        names = list(PURLS) if name == "all" else [name]
        entries = []
        for each in names:
            show = sys.stderr.isatty() and not _quiet()
            with click.progressbar(
                length=0, label=f"fetching {each}", file=sys.stderr, hidden=not show
            ) as bar:

                def progress(done: int, total: int | None, bar: Any = bar) -> None:
                    if total:
                        bar.length = total
                    bar.update(done - bar.pos)

                entries.append(fetch(each, url=url, progress=progress))
    for e in entries:
        if not _quiet():
            click.echo(
                f"{e.name}: {e.path} ({e.size} bytes, {e.version or 'no version IRI'}, "
                f"sha256 {e.sha256[:16]}…)",
                err=True,
            )


# -- mappings ---------------------------------------------------------------------------------


@main.group()
def mappings() -> None:
    """Groundings as mappings: export them as SSSOM, review what needs a curator."""


@mappings.command("export")
@OUT_OPTION
@STORE_OPTION
@BASE_OPTION
def mappings_export(out_path: Path, store_path: Path, base: str) -> None:
    """Write every grounding as an SSSOM TSV (mention -> DOID or CL term, method, confidence).

    Example: trialkg mappings export --out trialkg.sssom.tsv
    """
    from kg.mappings import iter_mappings, write_sssom

    store = Store.open_read_only(store_path)
    rows = iter_mappings(store, base=base)
    with click.open_file(str(out_path), "w", encoding="utf-8") as handle:
        n = write_sssom(rows, handle, base=base)
    if not _quiet():
        click.echo(f"exported {n} mappings", err=True)


@mappings.command("review")
@click.option(
    "--threshold",
    type=float,
    default=0.8,
    show_default=True,
    help="Groundings below this confidence are listed too.",
)
@STORE_OPTION
@BASE_OPTION
def mappings_review(threshold: float, store_path: Path, base: str) -> None:
    """List ungrounded, ambiguous and low-confidence mentions with their closest terms.

    To decide one, add a row (subject_label, object_id) to an SSSOM TSV of overrides and
    rebuild with --overrides FILE.

    Example: trialkg mappings review
    """
    from kg.mappings import review
    from kg.ontology.terms import TermIndex

    store = Store.open_read_only(store_path)
    items = review(store, TermIndex.from_store(store, base=base), threshold=threshold)
    out = click.get_text_stream("stdout")
    for item in items:
        current = f" -> {item.current} ({item.confidence})" if item.current else ""
        out.write(f"{item.trial}\t{item.kind}\t{item.mention!r}\t{item.reason}{current}\n")
        for c in item.candidates:
            out.write(
                f"\t\tcandidate {c.curie} {c.label!r} (similarity {c.score}, via {c.matched!r})\n"
            )
    if not _quiet():
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
    from kg.ontology.terms import TermIndex
    from kg.pipeline import default_records
    from kg.upgrades import upgrade_report

    old, new = TermIndex.from_files(*old_files), TermIndex.from_files(*new_files)
    out = click.get_text_stream("stdout")
    out.write("trial\tkind\tmention\tchanges\told\tnew\n")
    lost = 0
    for change in upgrade_report(list(records) or default_records(), old, new):
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
    if grounding.object_id is None:
        return "ungrounded"
    return (
        f"{grounding.object_id} {grounding.object_label!r} by {grounding.method} "
        f"({grounding.confidence})"
    )


# -- serve ------------------------------------------------------------------------------------


@main.command()
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
def serve(
    store_path: Path,
    base: str,
    host: str,
    port: int,
    allow_update: bool,
    timeout: float,
    max_results: int,
) -> None:
    """Serve the graph: SPARQL endpoint, dereferenceable trial IRIs, HTML pages.

    The store is opened read-only (unless --allow-update), so a 'trialkg build' into another
    store path is never blocked. Ctrl-C or SIGTERM shuts down gracefully.

    \b
    Example:
        trialkg serve --store trialkg.db --port 8000
        curl -H 'Accept: text/turtle' http://127.0.0.1:8000/trial/NCT03877471
    """
    try:
        import uvicorn

        from kg.server import ServerConfig, create_app
        from kg.server.sparql import Limits
    except ImportError as exc:
        raise click.ClickException(
            f"serving needs the 'serve' extra: pip install 'trialkg[serve]' ({exc.name} missing)"
        ) from exc
    store = Store.open(store_path) if allow_update else Store.open_read_only(store_path)
    config = ServerConfig(
        base=base,
        allow_update=allow_update,
        limits=Limits(timeout=timeout, max_results=max_results),
    )
    app = create_app(store, config)
    logging.getLogger("kg.server.access").setLevel(logging.INFO)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info" if not _quiet() else "warning",
        access_log=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":  # pragma: no cover
    main()
