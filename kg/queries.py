"""Named SPARQL queries: the ``.rq`` files in ``queries/``, their parameters, and running them.

Each file opens with a comment block: what it answers, then one line per parameter,

``# param NAME (KIND[, optional]): description``

where KIND says how a value given on the command line becomes an RDF term: ``term`` (an
ontology CURIE or IRI), ``trial`` (an NCT number, registry key or trial IRI), ``phase``
(a phase code) or ``string``. Values are bound as RDF terms in a ``VALUES`` block that opens the
query's WHERE clause (:func:`kg.store.sparql_text.bind_values`: pyoxigraph writes each
term, the text given is never pasted into the query).

Why ``VALUES`` and not pyoxigraph's ``substitutions``: Oxigraph's join planner (pyoxigraph 0.5)
treats a substituted variable as unbound, so it starts from the largest pattern, such as every
trial's condition links, and tests each row against the parameter. A ``VALUES`` block is a
one-row pattern the planner starts from, so the parameter drives the join: the walk down the
hierarchy from the class asked for, or the graphs of the one trial asked about. Remote stores
receive the same text (:class:`kg.store.remote.RemoteStore` binds the same way).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import QueryError
from kg.ids import DEFAULT_BASE_IRI, to_iri
from kg.model import Phase
from kg.rdf.mapping import PHASE_NODES, trial_iri
from kg.rdf.vocab import PREFIXES
from kg.resources import resource_dir
from kg.store import QuadStore, QueryResult
from kg.store.sparql_text import bind_values

__all__ = ["NamedQuery", "Parameter", "bind", "bound_sparql", "load_queries", "run_named"]

_PARAM = re.compile(r"^#\s*param\s+(\w+)\s*\(([\w\s,]+)\)\s*:\s*(.*)$")
_EXAMPLE = re.compile(r"^#\s*example:\s*(.*)$")
_KINDS = ("term", "trial", "phase", "string")
_NCT = re.compile(r"^NCT\d{8}$", re.IGNORECASE)

_PHASE_WORDS = {
    "early_phase1": Phase.EARLY_PHASE1,
    "early phase 1": Phase.EARLY_PHASE1,
    "early1": Phase.EARLY_PHASE1,
    "phase0": Phase.EARLY_PHASE1,
    "1": Phase.PHASE1,
    "2": Phase.PHASE2,
    "3": Phase.PHASE3,
    "4": Phase.PHASE4,
    "na": Phase.NOT_APPLICABLE,
    "n/a": Phase.NOT_APPLICABLE,
    "not applicable": Phase.NOT_APPLICABLE,
}


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter of a named query, bound to the SPARQL variable of the same name."""

    name: str
    #: How a text value becomes an RDF term: term, trial, phase or string.
    kind: str
    optional: bool
    description: str


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """One ``.rq`` file: its name, what it answers, its parameters and its text."""

    name: str
    #: The first line of the header: what the query answers.
    summary: str
    #: The whole header comment, without the ``#`` marks.
    help: str
    parameters: tuple[Parameter, ...]
    example: str | None
    sparql: str
    path: Path


def _parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header: list[str] = []
    params: list[Parameter] = []
    example = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line.lstrip("#").strip())
        if match := _PARAM.match(line):
            name, kind_text, description = match.groups()
            flags = [f.strip() for f in kind_text.split(",")]
            if flags[0] not in _KINDS:
                raise QueryError(
                    f"{path}: parameter {name} has unknown kind {flags[0]!r}; "
                    f"known: {', '.join(_KINDS)}"
                )
            params.append(Parameter(name, flags[0], "optional" in flags[1:], description.strip()))
        elif match := _EXAMPLE.match(line):
            example = match.group(1).strip()
    summary = next((h for h in header if h), path.stem)
    return NamedQuery(
        path.stem, summary, "\n".join(header).strip(), tuple(params), example, text, path
    )


def load_queries(folder: Path | None = None) -> dict[str, NamedQuery]:
    """Every named query in ``folder`` (default: the project's ``queries/``), by name."""
    folder = folder or resource_dir("queries")
    return {path.stem: _parse(path) for path in sorted(folder.glob("*.rq"))}


def _phase_node(value: str) -> ox.NamedNode:
    text = value.strip().lower().replace("-", " ")
    key = re.sub(r"^phase\s*", "", text) if text.startswith("phase") else text
    phase = _PHASE_WORDS.get(key) or _PHASE_WORDS.get(text)
    if phase is None:
        try:
            phase = Phase(value.strip().upper())
        except ValueError:
            known = ", ".join(p.value for p in Phase)
            raise QueryError(f"unknown phase {value!r}; known: {known}") from None
    return PHASE_NODES[phase]


def bind(
    parameter: Parameter, value: str, *, base: str = DEFAULT_BASE_IRI
) -> ox.NamedNode | ox.Literal:
    """Turn a parameter's text value into the RDF term the query expects.

    >>> bind(Parameter("condition", "term", False, ""), "DOID:1100").value
    'http://purl.obolibrary.org/obo/DOID_1100'
    >>> bind(Parameter("trial", "trial", False, ""), "nct03877471").value
    'https://w3id.org/trialkg/trial/NCT03877471'
    """
    if parameter.kind == "term":
        iri = to_iri(value)
        if iri is None:
            raise QueryError(
                f"parameter {parameter.name}: expected a CURIE such as DOID:1100 or "
                f"an IRI; found {value!r}"
            )
        return ox.NamedNode(iri)
    if parameter.kind == "trial":
        text = value.strip()
        if text.startswith(("http://", "https://")):
            return ox.NamedNode(text)
        if _NCT.match(text):
            return trial_iri(text.upper(), base=base)
        if re.match(r"^[\w.-]+$", text):
            return trial_iri(text, base=base)
        raise QueryError(
            f"parameter {parameter.name}: expected an NCT number, a registry key "
            f"such as hpscreg-48, or a trial IRI; found {value!r}"
        )
    if parameter.kind == "phase":
        return _phase_node(value)
    return ox.Literal(value)


def run_named(
    store: QuadStore,
    query: NamedQuery,
    params: Mapping[str, str],
    *,
    base: str = DEFAULT_BASE_IRI,
) -> QueryResult:
    """Run a named query with its parameters bound as RDF terms (in a ``VALUES`` block).

    :raises QueryError: for a missing required parameter or an unknown one, listing the known.
    """
    return store.query(bound_sparql(query, params, base=base), prefixes=PREFIXES)


def bound_sparql(
    query: NamedQuery, params: Mapping[str, str], *, base: str = DEFAULT_BASE_IRI
) -> str:
    """The named query's text with its parameters bound (see :func:`run_named`).

    :raises QueryError: for a missing required parameter or an unknown one, listing the known.
    """
    known = {p.name: p for p in query.parameters}
    unknown = sorted(set(params) - set(known))
    if unknown:
        listed = ", ".join(known) or "none"
        raise QueryError(
            f"query {query.name!r} has no parameter {', '.join(unknown)}; its parameters: {listed}"
        )
    missing = [p.name for p in query.parameters if not p.optional and p.name not in params]
    if missing:
        raise QueryError(
            f"query {query.name!r} needs --param {missing[0]}=VALUE "
            f"({known[missing[0]].description})"
        )
    terms = {name: bind(known[name], value, base=base) for name, value in params.items()}
    return bind_values(query.sparql, terms)
