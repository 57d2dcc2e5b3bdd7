"""The ``trialkg`` command: parse, call one library function, format the result.

Data goes to stdout; messages, summaries and warnings to stderr. Exit codes: 0 success,
1 failure or rejected records, 2 usage error.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import click
import pyoxigraph as ox

from kg import formats
from kg.errors import QueryError, TrialkgError
from kg.ids import DEFAULT_BASE_IRI
from kg.load.build import LoadReport
from kg.model import Override
from kg.queries import load_queries, run_named
from kg.rdf.vocab import PREFIXES
from kg.store import DEFAULT_STORE, QuadStore, QueryResult, StoreSpec, is_remote, open_store

logger = logging.getLogger("kg")

F = TypeVar("F", bound=Callable[..., Any])


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
# A CONSTRUCT or DESCRIBE answer is triples: every format of kg.formats but the datasets.
_GRAPH_FORMATS = {f.name: f.oxigraph for f in formats.FORMATS if not f.datasets}


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
    from kg.load.build import build as run_build
    from kg.load.build import default_ontologies, default_records

    tick, done = _progress()

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
    out = io.StringIO() if _quiet() else sys.stderr
    for release in report.releases:
        out.write(f"ontology {release.name}: {release.triples} triples, {release.version}\n")
    _summarise(report.load, out)
    if report.dropped:
        out.write(f"dropped {report.dropped} graphs no longer in the input\n")
    out.write(f"store {store_spec}: {report.store_quads} quads\n")
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
    from kg.load.build import load_into

    tick, done = _progress()
    report = load_into(
        store_spec,
        list(records),
        base=base,
        include_contacts=include_contacts,
        overrides=_overrides(overrides_path),
        progress=tick,
    )
    done()
    if not _quiet():
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
    from kg.grounding.sssom import DEFAULT_OVERRIDES, read_overrides

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
    name: str | None,
    params: tuple[str, ...],
    fmt: str,
    list_: bool,
    store_spec: StoreSpec,
    base: str,
) -> None:
    """Run a named query from queries/ and print its answer.

    Example: trialkg query trials-by-condition --param condition=DOID:1100
    """
    out = sys.stdout
    if list_:
        _list_queries(out)
        return
    if not name:
        raise click.UsageError("give a query NAME, or --list to see them")
    queries = load_queries()
    if name not in queries:
        raise QueryError(f"unknown query {name!r}; known: {', '.join(queries)}")
    store = open_for_command(store_spec, read_only=True)
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
def sparql(query_or_file: str, fmt: str | None, store_spec: StoreSpec) -> None:
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
    store = open_for_command(store_spec, read_only=True)
    result: QueryResult = store.query(text, prefixes=PREFIXES)
    out = sys.stdout.buffer
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
    type=click.Choice(formats.NAMES),
    default=formats.NAMES[0],
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
    store_spec: StoreSpec,
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
    store = open_for_command(store_spec, read_only=not allow_update)
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
