"""Curator review: the mentions a curator should look at, with the closest candidate terms.

:func:`review` lists ungrounded, ambiguous and low-confidence mentions; :func:`candidates`
proposes terms for one mention by string similarity. A curator's answers go into an SSSOM TSV
of overrides (:mod:`kg.grounding.overrides`), which the grounder lets win.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from kg.grounding.sssom import term_text
from kg.ids import to_curie
from kg.model import MentionKind
from kg.ontology.terms import TermIndex, normalise_text
from kg.rdf.vocab import PREFIXES
from kg.store import QuadStore

__all__ = ["NO_DISEASE", "Candidate", "Names", "ReviewItem", "candidates", "review"]

#: How the reason of a condition that names no disease begins (``out_of_scope``).
NO_DISEASE = "not a disease: "


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


class Names:
    """Every label and synonym of the live terms of one ontology, indexed by the letter
    triples they hold, so that the names close to a mention are found without comparing it
    with each of them; a name that shares no triple with the mention is never proposed
    ("PSS" for "Sepsis"). Build it once for many mentions."""

    def __init__(self, index: TermIndex, kind: MentionKind) -> None:
        prefix = "DOID:" if kind is MentionKind.CONDITION else "CL:"
        self.names: list[tuple[str, str, str, str]] = []  # curie, label, name, normalised
        self.by_triple: dict[str, list[int]] = defaultdict(list)
        self.sizes: list[int] = []  # letter triples of each name
        for term in index.iter_terms():
            if not term.curie.startswith(prefix) or term.obsolete:
                continue
            for name in dict.fromkeys((term.label, *(s.text for s in term.synonyms))):
                if not name:
                    continue
                text = normalise_text(name)
                number = len(self.names)
                self.names.append((term.curie, term.label or "", name, text))
                triples = _triples(text)
                self.sizes.append(len(triples))
                for triple in triples:
                    self.by_triple[triple].append(number)

    def closest(self, label: str, *, limit: int = 5, pool: int = 300) -> tuple[Candidate, ...]:
        """The terms whose names come closest to ``label`` (difflib's ratio, at least 0.5),
        among the ``pool`` names most alike in letter triples (Dice's coefficient)."""
        want = normalise_text(label)
        mine = _triples(want)
        shared: Counter[int] = Counter()
        for triple in mine:
            shared.update(self.by_triple.get(triple, ()))
        sizes = self.sizes
        alike = sorted(shared, key=lambda n: -shared[n] / (sizes[n] + len(mine)))[:pool]
        matcher = difflib.SequenceMatcher(None, want, "")
        best: dict[str, Candidate] = {}
        for number in alike:
            curie, term_label, name, text = self.names[number]
            matcher.set_seq2(text)
            score = matcher.ratio()
            if score >= 0.5 and score > (best[curie].score if curie in best else 0):
                best[curie] = Candidate(curie, term_label, round(score, 3), name)
        return tuple(sorted(best.values(), key=lambda c: (-c.score, c.curie))[:limit])


def _triples(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def candidates(
    label: str, kind: MentionKind, index: TermIndex, *, limit: int = 5
) -> tuple[Candidate, ...]:
    """The terms whose label or synonyms come closest to ``label``, best first.

    Only terms of the ontology the mention kind grounds to (DOID for conditions, CL for cells).
    For many mentions, build one :class:`Names` and ask it.
    """
    return Names(index, kind).closest(label, limit=limit)


def review(
    store: QuadStore, index: TermIndex, *, threshold: float = 0.8, no_disease: bool = False
) -> list[ReviewItem]:
    """Mentions a curator should look at: ungrounded, ambiguous, or below ``threshold``.

    :param no_disease: also list the conditions left ungrounded because they name no disease
        (a population, a procedure, a symptom DOID leaves out: ``out_of_scope``).
    """
    result = store.query(_REVIEW, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    items: list[ReviewItem] = []
    # The same mention recurs study after study: its candidates are found once, in names
    # indexed once (difflib against every name of DOID 2024 took about 1.5 s a mention: the
    # review of the 1,458-trial corpus, 969 mentions, took 9 minutes instead of 15 s).
    found: dict[tuple[str, MentionKind], tuple[Candidate, ...]] = {}
    names: dict[MentionKind, Names] = {}
    for row in result:
        kind = (
            MentionKind.CONDITION
            if term_text(row["type"]).endswith("ConditionMention")
            else MentionKind.CELL_TYPE
        )
        ungrounded = term_text(row["ungrounded"]) == "true"
        confidence = float(term_text(row["confidence"])) if row["confidence"] is not None else None
        comment = term_text(row["comment"])
        if ungrounded and comment.startswith(NO_DISEASE) and not no_disease:
            continue
        if ungrounded:
            reason = "ambiguous" if "equally" in comment else "ungrounded"
        elif confidence is not None and confidence < threshold:
            reason = "low confidence"
        else:
            continue
        label = term_text(row["label"])
        term = term_text(row["term"])
        if (label, kind) not in found:
            if kind not in names:
                names[kind] = Names(index, kind)
            found[label, kind] = names[kind].closest(label)
        items.append(
            ReviewItem(
                trial=term_text(row["id"]),
                kind=kind.value,
                mention=label,
                reason=reason + (f" ({comment})" if comment and ungrounded else ""),
                current=(to_curie(term) or term) if term else None,
                confidence=confidence,
                candidates=found[label, kind],
            )
        )
    return items
