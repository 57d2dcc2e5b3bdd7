"""``trialkg query`` and ``trialkg sparql``: the named queries, and any SPARQL query.

``query`` prints a named query's rows as a table (CURIEs, long cells cut), CSV or JSON;
``sparql`` writes the standard results formats, or RDF for a CONSTRUCT or DESCRIBE.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import IO

import click
import pyoxigraph as ox

from kg.cli.options import BASE_OPTION, STORE_OPTION, open_for_command, quiet
from kg.errors import QueryError
from kg.formats import FORMATS
from kg.queries import NamedQuery, bind, load_queries, run_named
from kg.rdf.vocab import PREFIXES
from kg.store import QueryResult, StoreSpec

_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
# A CONSTRUCT or DESCRIBE answer is triples: every format of kg.formats but the datasets.
_GRAPH_FORMATS = {f.name: f.oxigraph for f in FORMATS if not f.datasets}

# -- query ------------------------------------------------------------------------------------


@click.command()
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
    bound = _parse_params(params)
    _check_params(queries[name], bound, base=base)
    store = open_for_command(store_spec, read_only=True)
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
    if not quiet():
        click.echo(f"{len(rows)} row{'' if len(rows) == 1 else 's'}", err=True)


def _short(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None, prefixes: dict[str, str]
) -> str:
    """A cell's text: an IRI as a CURIE when a prefix fits, a literal's plain value."""
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
    """Aligned columns for a terminal; each cell on one line, cut to ``width`` characters."""

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
    """The --param KEY=VALUE pairs as a mapping; a pair without ``=`` is a usage error."""
    params = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--param expects KEY=VALUE; found {item!r}")
        params[key.strip()] = value.strip()
    return params


def _check_params(named: NamedQuery, params: dict[str, str], *, base: str) -> None:
    """Bind each parameter once, so that a value no RDF term can hold (an IRI with ``>`` or a
    space) is a one-line error naming the parameter, not a traceback.

    :raises QueryError: naming the parameter, the value and what is wrong with it.
    """
    known = {p.name: p for p in named.parameters}
    for key, value in params.items():
        if key in known:  # unknown ones are listed by run_named
            try:
                bind(known[key], value, base=base)
            except ValueError as exc:
                raise QueryError(
                    f"--param {key}: {value!r} is not a valid {known[key].kind} ({exc})"
                ) from None


def _list_queries(out: IO[str]) -> None:
    """Each named query with its parameters, what it answers, and an example."""
    for named in load_queries().values():
        params = " ".join(
            f"[--param {p.name}=...]" if p.optional else f"--param {p.name}=..."
            for p in named.parameters
        )
        out.write(f"{named.name} {params}".rstrip() + "\n")
        out.write(f"    {named.summary}\n")
        for p in named.parameters:
            out.write(
                f"    {p.name} ({p.kind}{', optional' if p.optional else ''}): {p.description}\n"
            )
        if named.example:
            out.write(f"    example: {named.example}\n")


# -- sparql -----------------------------------------------------------------------------------


@click.command()
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

    QUERY_OR_FILE is the query text, or a file holding it (read when a file of that name
    exists, or the argument is one line ending in .rq). The default graph is the union of all
    named graphs. Example:

        trialkg sparql 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --format csv
    """
    text = _query_text(query_or_file)
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


def _query_text(argument: str) -> str:
    """The query QUERY_OR_FILE names: the text of a file of that name, else the argument itself.

    Query text is never taken for a file name it cannot be (too long for one, or holding a
    line break or a NUL), and a lone word ending in ``.rq`` is a file that must exist.

    :raises QueryError: when the file cannot be read, naming it.
    """
    path = Path(argument)
    if os.path.isfile(argument):  # never raises: too long a name or a NUL is not a file
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"cannot read the query file {argument}: {exc}") from None
    if argument.endswith(".rq") and not any(ch.isspace() or ch in "{}" for ch in argument):
        raise QueryError(f"no query file {argument}: give the query text or an existing file")
    return argument
