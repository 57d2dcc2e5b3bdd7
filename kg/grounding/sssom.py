"""Groundings as mappings: SSSOM export, curator review, and curator overrides.

Every grounding in the graph is a mapping from a mention (in its record) to an ontology term;
:func:`write_sssom` writes them as an SSSOM TSV with its YAML metadata header. :func:`review`
lists what a curator should look at (ungrounded, ambiguous and low-confidence mentions) with the
closest candidate terms. A curator's answers go into an SSSOM TSV of overrides, read by
:func:`read_overrides`; the grounder lets them win over every automatic strategy and records them
as manual curation.
"""

from __future__ import annotations

import csv
import difflib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import platformdirs
import pyoxigraph as ox

from kg.errors import RecordError
from kg.ids import DEFAULT_BASE_IRI, to_curie
from kg.model import MentionKind, Override
from kg.ontology.terms import TermIndex, normalise_text
from kg.rdf.vocab import PREFIXES
from kg.store import QuadStore

__all__ = [
    "Candidate",
    "MappingRow",
    "ReviewItem",
    "iter_mappings",
    "read_overrides",
    "review",
    "write_sssom",
]

logger = logging.getLogger(__name__)

#: Where a curator's overrides are read from when ``--overrides`` is not given.
DEFAULT_OVERRIDES = Path(platformdirs.user_data_dir("trialkg")) / "overrides.sssom.tsv"

#: Prefix of mention CURIEs in SSSOM files: ``trialkg.record:hpscreg/48/condition/1``.
RECORD_PREFIX = "trialkg.record"

_SEMAPV = "https://w3id.org/semapv/vocab/"
_PREDICATE = {"RelatedSynonymMatch": "skos:closeMatch"}
_METHOD_JUSTIFICATION = {
    "ExplicitReference": "semapv:ManualMappingCuration",
    "CrossReferenceMatch": "semapv:MappingChaining",
    "MeshCrossReferenceMatch": "semapv:MappingChaining",
    "ManualCuration": "semapv:ManualMappingCuration",
}


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


@dataclass(frozen=True, slots=True)
class Candidate:
    """A term a curator might choose for a mention."""

    curie: str
    label: str
    #: 0..1 string similarity of the mention to the label or synonym that came closest.
    score: float
    #: The label or synonym that came closest.
    matched: str


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A mention a curator should look at, and why."""

    trial: str
    kind: str
    mention: str
    #: ``ungrounded``, ``ambiguous`` or ``low confidence``.
    reason: str
    current: str | None
    confidence: float | None
    candidates: tuple[Candidate, ...]


_GROUNDINGS = """
SELECT ?mention ?label ?type ?term ?termLabel ?method ?confidence ?matched ?used ?comment ?record
       ?disagreement
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
ORDER BY ?mention
"""


def _value(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else ""


def iter_mappings(store: QuadStore, *, base: str = DEFAULT_BASE_IRI) -> Iterator[MappingRow]:
    """Every grounding in the store's trial graphs, as an SSSOM row."""
    record_base = f"{base}record/"
    result = store.query(_GROUNDINGS, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    seen: set[str] = set()
    for row in result:
        mention = _value(row["mention"])
        if mention in seen:  # one row per mention even if the term has several labels
            continue
        seen.add(mention)
        method = _value(row["method"]).rsplit("#", 1)[-1]
        object_id = to_curie(_value(row["term"])) or _value(row["term"])
        used = _value(row["used"])
        yield MappingRow(
            subject_id=f"{RECORD_PREFIX}:{mention.removeprefix(record_base)}",
            subject_label=_value(row["label"]),
            subject_category=(
                "condition" if _value(row["type"]).endswith("ConditionMention") else "cell type"
            ),
            predicate_id="skos:closeMatch"
            if method == "RelatedSynonymMatch"
            else "skos:exactMatch",
            object_id=object_id,
            object_label=_value(row["termLabel"]),
            mapping_justification=_METHOD_JUSTIFICATION.get(method, "semapv:LexicalMatching"),
            confidence=float(_value(row["confidence"]) or 0),
            match_string=_value(row["matched"]),
            subject_source=_value(row["record"]),
            object_source=f"obo:{object_id.split(':')[0].lower()}.owl" if ":" in object_id else "",
            object_source_version=used,
            mapping_tool=f"trialkg {method}",
            comment="; ".join(filter(None, [_value(row["comment"]), _value(row["disagreement"])])),
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


# -- review -----------------------------------------------------------------------------------

_REVIEW = """
SELECT ?id ?mention ?label ?type ?ungrounded ?comment ?term ?confidence WHERE {
  GRAPH ?g {
    ?mention a ?type ; rdfs:label ?label .
    FILTER(?type IN (trialkg:ConditionMention, trialkg:CellTypeMention))
    { ?trial trialkg:conditionMention ?mention } UNION
    { ?trial trialkg:intervention/trialkg:cellTypeMention ?mention }
    ?trial dcterms:identifier ?id .
    BIND(EXISTS { ?mention a trialkg:UngroundedMention } AS ?ungrounded)
    OPTIONAL { ?mention rdfs:comment ?comment }
    OPTIONAL { ?mention trialkg:grounding ?grounding .
               ?grounding trialkg:groundedTo ?term ; trialkg:confidence ?confidence }
  }
}
ORDER BY ?id ?label
"""


def candidates(
    label: str, kind: MentionKind, index: TermIndex, *, limit: int = 5
) -> tuple[Candidate, ...]:
    """The terms whose label or synonyms come closest to ``label``, best first.

    Only terms of the ontology the mention kind grounds to (DOID for conditions, CL for cells).
    """
    prefix = "DOID:" if kind is MentionKind.CONDITION else "CL:"
    want = normalise_text(label)
    best: dict[str, Candidate] = {}
    for term in index.iter_terms():
        if not term.curie.startswith(prefix) or term.obsolete:
            continue
        for name in (term.label, *(s.text for s in term.synonyms)):
            if not name:
                continue
            score = difflib.SequenceMatcher(None, want, normalise_text(name)).ratio()
            if score >= 0.5 and score > (best[term.curie].score if term.curie in best else 0):
                best[term.curie] = Candidate(term.curie, term.label or "", round(score, 3), name)
    return tuple(sorted(best.values(), key=lambda c: (-c.score, c.curie))[:limit])


def review(store: QuadStore, index: TermIndex, *, threshold: float = 0.8) -> list[ReviewItem]:
    """Mentions a curator should look at: ungrounded, ambiguous, or below ``threshold``."""
    result = store.query(_REVIEW, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    items: list[ReviewItem] = []
    for row in result:
        kind = (
            MentionKind.CONDITION
            if _value(row["type"]).endswith("ConditionMention")
            else MentionKind.CELL_TYPE
        )
        ungrounded = _value(row["ungrounded"]) == "true"
        confidence = float(_value(row["confidence"])) if row["confidence"] is not None else None
        comment = _value(row["comment"])
        if ungrounded:
            reason = "ambiguous" if "equally" in comment else "ungrounded"
        elif confidence is not None and confidence < threshold:
            reason = "low confidence"
        else:
            continue
        label = _value(row["label"])
        term = _value(row["term"])
        items.append(
            ReviewItem(
                trial=_value(row["id"]),
                kind=kind.value,
                mention=label,
                reason=reason + (f" ({comment})" if comment and ungrounded else ""),
                current=(to_curie(term) or term) if term else None,
                confidence=confidence,
                candidates=candidates(label, kind, index),
            )
        )
    return items


# -- overrides --------------------------------------------------------------------------------


def read_overrides(path: str | Path) -> dict[str, Override]:
    """A curator's SSSOM TSV of decisions, by normalised mention text.

    Columns used: ``subject_label`` and ``object_id`` (required; ``sssom:NoTermFound`` says the
    mention means no term), ``predicate_id``, ``confidence``, ``comment`` (optional). Lines
    starting with ``#`` (the SSSOM metadata block) are skipped.

    :raises RecordError: for a missing column or a row without a mention, naming file and line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RecordError(path, None, None, f"cannot read the overrides: {exc.strerror}") from exc
    body = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    if not body:
        return {}
    header_line, header = body[0][0], body[0][1].split("\t")
    for column in ("subject_label", "object_id"):
        if column not in header:
            raise RecordError(
                path,
                None,
                column,
                "an overrides file is an SSSOM TSV with at "
                f"least subject_label and object_id columns; found {header}",
                line=header_line,
            )
    overrides: dict[str, Override] = {}
    for number, line in body[1:]:
        cells = dict(zip(header, line.split("\t"), strict=False))
        label = cells.get("subject_label", "").strip()
        if not label:
            raise RecordError(path, f"line {number}", "subject_label", "empty mention", line=number)
        object_id = cells.get("object_id", "").strip()
        try:
            confidence = float(cells.get("confidence") or 1.0)
        except ValueError:
            raise RecordError(
                path,
                f"line {number}",
                "confidence",
                f"expected a number; found {cells.get('confidence')!r}",
                line=number,
            ) from None
        overrides[normalise_text(label)] = Override(
            subject_label=label,
            object_id=None if object_id in ("", "sssom:NoTermFound") else object_id,
            predicate_id=cells.get("predicate_id") or "skos:exactMatch",
            confidence=confidence,
            comment=cells.get("comment") or None,
            source=f"{path.name}:{number}",
        )
    logger.info("read %d curator overrides from %s", len(overrides), path)
    return overrides
