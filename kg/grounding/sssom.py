"""Groundings as mappings: the SSSOM export.

Every grounding in the graph is a mapping from a mention (in its record) to an ontology term;
:func:`iter_mappings` reads them from a store and :func:`write_sssom` writes them as an SSSOM
TSV with its YAML metadata header. Curators answer in the same format
(:mod:`kg.grounding.overrides`), after a look at what :mod:`kg.grounding.review` lists.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import IO

import pyoxigraph as ox

from kg.grounding.methods import Method
from kg.ids import DEFAULT_BASE_IRI, to_curie
from kg.rdf.vocab import PREFIXES
from kg.store import QuadStore

__all__ = [
    "NO_TERM_FOUND",
    "RECORD_PREFIX",
    "MappingRow",
    "iter_mappings",
    "term_text",
    "write_sssom",
]

#: Prefix of mention CURIEs in SSSOM files: ``trialkg.record:hpscreg/48/condition/1``.
RECORD_PREFIX = "trialkg.record"

_SEMAPV = "https://w3id.org/semapv/vocab/"


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One SSSOM mapping: a mention grounded to a term. Field names are SSSOM slots."""

    subject_id: str
    subject_label: str
    subject_category: str
    predicate_id: str
    object_id: str
    object_label: str
    mapping_justification: str
    confidence: float
    match_string: str
    subject_source: str
    object_source: str
    object_source_version: str
    mapping_tool: str
    comment: str


_GROUNDINGS = """
SELECT ?mention ?grounding ?label ?type ?term ?termLabel ?method ?confidence ?matched ?used
       ?comment ?record ?disagreement
WHERE {
  GRAPH ?g {
    ?mention a ?type ; rdfs:label ?label ; trialkg:grounding ?grounding .
    FILTER(?type IN (trialkg:ConditionMention, trialkg:CellTypeMention))
    ?grounding trialkg:groundedTo ?term ; trialkg:method ?method ; trialkg:confidence ?confidence .
    OPTIONAL { ?grounding trialkg:matchedText ?matched }
    OPTIONAL { ?grounding prov:used ?used }
    OPTIONAL { ?grounding rdfs:comment ?comment }
    OPTIONAL { ?mention trialkg:meshDisagreement ?disagreement }
    ?g trialkg:sourceRecord ?record .
  }
  OPTIONAL { ?term rdfs:label ?termLabel }
}
ORDER BY ?mention ?grounding
"""


_UNGROUNDED = """
SELECT ?mention ?label ?type ?comment ?record WHERE {
  GRAPH ?g {
    ?mention a trialkg:UngroundedMention ; a ?type ; rdfs:label ?label .
    FILTER(?type IN (trialkg:ConditionMention, trialkg:CellTypeMention))
    OPTIONAL { ?mention rdfs:comment ?comment }
    ?g trialkg:sourceRecord ?record .
  }
}
ORDER BY ?mention
"""
#: The SSSOM object of a mention no term matched.
NO_TERM_FOUND = "sssom:NoTermFound"


def term_text(term: object) -> str:
    """The text of an IRI or literal a query gives; empty for anything else (unbound, blank)."""
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else ""


def iter_mappings(store: QuadStore, *, base: str = DEFAULT_BASE_IRI) -> Iterator[MappingRow]:
    """Every grounding in the store's trial graphs, as an SSSOM row; then every mention left
    ungrounded, as a row whose object is ``sssom:NoTermFound`` and whose comment says why."""
    yield from _grounded(store, base)
    yield from _ungrounded(store, base)


def _category(mention_type: object) -> str:
    return "condition" if term_text(mention_type).endswith("ConditionMention") else "cell type"


def _ungrounded(store: QuadStore, base: str) -> Iterator[MappingRow]:
    result = store.query(_UNGROUNDED, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        yield MappingRow(
            subject_id=f"{RECORD_PREFIX}:{term_text(row['mention']).removeprefix(f'{base}record/')}",
            subject_label=term_text(row["label"]),
            subject_category=_category(row["type"]),
            predicate_id="skos:exactMatch",
            object_id=NO_TERM_FOUND,
            object_label="",
            mapping_justification=Method.NONE.justification,
            confidence=0.0,
            match_string="",
            subject_source=term_text(row["record"]),
            object_source="",
            object_source_version="",
            mapping_tool="trialkg",
            comment=term_text(row["comment"]),
        )


def _grounded(store: QuadStore, base: str) -> Iterator[MappingRow]:
    record_base = f"{base}record/"
    result = store.query(_GROUNDINGS, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    seen: set[str] = set()
    for row in result:
        mention = term_text(row["mention"])
        # One row per grounding (a mention naming two diseases has two), even if the term
        # has several labels.
        grounding = term_text(row["grounding"])
        if grounding in seen:
            continue
        seen.add(grounding)
        node = term_text(row["method"])
        # A node no method has (in a store another release of trialkg built) reads as lexical.
        method = Method.of_node(node)
        object_id = to_curie(term_text(row["term"])) or term_text(row["term"])
        used = term_text(row["used"])
        yield MappingRow(
            subject_id=f"{RECORD_PREFIX}:{mention.removeprefix(record_base)}",
            subject_label=term_text(row["label"]),
            subject_category=_category(row["type"]),
            predicate_id=method.sssom_predicate if method else "skos:exactMatch",
            object_id=object_id,
            object_label=term_text(row["termLabel"]),
            mapping_justification=method.justification if method else "semapv:LexicalMatching",
            confidence=float(term_text(row["confidence"]) or 0),
            match_string=term_text(row["matched"]),
            subject_source=term_text(row["record"]),
            object_source=f"obo:{object_id.split(':')[0].lower()}.owl" if ":" in object_id else "",
            object_source_version=used,
            mapping_tool=f"trialkg {node.rsplit('#', 1)[-1]}",
            comment="; ".join(
                filter(None, [term_text(row["comment"]), term_text(row["disagreement"])])
            ),
        )


def write_sssom(rows: Iterable[MappingRow], out: IO[str], *, base: str = DEFAULT_BASE_IRI) -> int:
    """Write mappings as an SSSOM TSV: a ``#``-prefixed YAML metadata block, then the table.

    :returns: the number of mappings written.
    """
    curie_map = {
        "DOID": "http://purl.obolibrary.org/obo/DOID_",
        "CL": "http://purl.obolibrary.org/obo/CL_",
        "obo": "http://purl.obolibrary.org/obo/",
        "semapv": _SEMAPV,
        "sssom": "https://w3id.org/sssom/",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        RECORD_PREFIX: f"{base}record/",
        "hpscreg": "https://hpscreg.eu/browse/trial/",
        "ctgov": "https://clinicaltrials.gov/study/",
    }
    now = datetime.now(UTC).date().isoformat()
    out.write("# curie_map:\n")
    for prefix, uri in curie_map.items():
        out.write(f"#   {prefix}: {uri}\n")
    out.write(f"# mapping_set_id: {base}mappings/{now}\n")
    out.write(
        "# mapping_set_description: Groundings of trial conditions (to DOID) and cell "
        "products (to CL) made by trialkg\n"
    )
    out.write("# license: https://creativecommons.org/publicdomain/zero/1.0/\n")
    out.write(f"# mapping_date: {now}\n")
    names = [f.name for f in fields(MappingRow)]
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(names)
    n = 0
    for row in rows:
        writer.writerow([getattr(row, name) for name in names])
        n += 1
    return n
