"""Grounding: link each free-text mention of a trial to an ontology term, and say how.

Conditions ground to DOID, cell products to CL. Strategies are tried in order; the first that
finds exactly one term wins and is recorded with its confidence:

==================  ==========  ==========================================================
method              confidence  what matched
==================  ==========  ==========================================================
explicit_reference  1.00        the record gives the term's IRI or CURIE (or an alt id)
exact_label         0.95        the mention equals the term's label (case, spacing aside)
exact_synonym       0.90        the mention equals an EXACT synonym
definition          0.90        the mention's description equals the term's definition
                                (hPSCreg copies "definition; comment")
xref                0.85        the record gives another vocabulary's id (MeSH, NCIt, EFO,
                                ...) that is a cross-reference of exactly one term
normalised_label    0.80        equal after dropping punctuation, plurals, Greek letters
mesh_xref           0.75        no text match; ClinicalTrials.gov's MeSH coding of the study
                                names a descriptor that is a cross-reference of one term
contained_label     0.70        cell types only: the longest label or EXACT synonym inside
                                the mention, rightmost first ("iPSC-derived RPE cells" ->
                                retinal pigment epithelial cell), after spelling out the
                                usual abbreviations (MSC, NK, RPE, HSC(T), iPSC, hESC, CAR-T)
related_synonym     0.60        a NARROW, BROAD or RELATED synonym
manual_curation     1.00        a curator's decision (an overrides file) wins over all
==================  ==========  ==========================================================

The mention's own words come before its description: a name match that the description
confirms (the copied definition of the same term) gains ``+0.04``, and a name that matches
several terms is settled by the description when exactly one of them has it — never by chance.
An obsolete term is followed to its ``replaced_by`` term (confidence x 0.95). A mention that
matches nothing, or several terms equally, stays ungrounded, and says why.

ClinicalTrials.gov codes each study's conditions in MeSH by machine, and gets it wrong at
times (a premature ovarian failure study coded "Premature Birth"). That coding is used only for
a condition whose own words match nothing, and never overrides a text match: when it reaches
none of the text match's term, ancestors or descendants, the grounding keeps the text match and
records the disagreement.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from kg.ids import to_curie
from kg.model import (
    CellProduct,
    Code,
    Condition,
    GroundedTrial,
    Grounding,
    MentionKind,
    Override,
    Trial,
)
from kg.ontology.terms import Term, TermIndex, normalise_text

__all__ = ["CONFIDENCE", "ground", "ground_mention"]

logger = logging.getLogger(__name__)

#: The confidence each strategy gives a link it makes (see the module docstring).
CONFIDENCE: dict[str, float] = {
    "explicit_reference": 1.00,
    "exact_label": 0.95,
    "exact_synonym": 0.90,
    "definition": 0.90,
    "xref": 0.85,
    "normalised_label": 0.80,
    "related_synonym": 0.60,
    "contained_label": 0.70,
    "manual_curation": 1.00,
    "mesh_xref": 0.75,
}
_CORROBORATED = 0.04
_OBSOLETE_PENALTY = 0.95

_JUSTIFICATION = {
    "explicit_reference": "semapv:ManualMappingCuration",
    "definition": "semapv:LexicalMatching",
    "exact_label": "semapv:LexicalMatching",
    "exact_synonym": "semapv:LexicalMatching",
    "normalised_label": "semapv:LexicalMatching",
    "related_synonym": "semapv:LexicalMatching",
    "contained_label": "semapv:LexicalMatching",
    "xref": "semapv:MappingChaining",
    "manual_curation": "semapv:ManualMappingCuration",
    "mesh_xref": "semapv:MappingChaining",
}
_ONTOLOGY = {MentionKind.CONDITION: "DOID", MentionKind.CELL_TYPE: "CL"}

_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "σ": "sigma",
    "τ": "tau",
    "ω": "omega",
}
_NON_WORD = re.compile(r"[^\w]+")
# Abbreviations of cell types in intervention names, spelt out (on loose text: lower case,
# no punctuation, no plural "s"), before looking for a cell type inside the name.
_CELL_ABBREVIATIONS = [
    (re.compile(r"\bcar t( cell)?\b"), "t cell"),
    (re.compile(r"\bcar nk( cell)?\b|\bnk( cell)?\b"), "natural killer cell"),
    (re.compile(r"\bmsc( cell)?\b"), "mesenchymal stem cell"),
    (re.compile(r"\brpe( cell)?\b"), "retinal pigment epithelial cell"),
    (re.compile(r"\bhsct?( cell)?\b"), "hematopoietic stem cell"),
    (re.compile(r"\bipsc( cell)?\b"), "induced pluripotent stem cell"),
    (re.compile(r"\bh?esc( cell)?\b"), "embryonic stem cell"),
    (re.compile(r"\btreg( cell)?\b"), "regulatory t cell"),
    (re.compile(r"\bdc( cell)?\b"), "dendritic cell"),
]
_FROM = re.compile(r"\b(?:derived |differentiated |generated )?from\b")
# Too general to stand for a cell product on their own.
_TOO_GENERAL = {"cell", "stem cell", "native cell"}
_CURIE_MENTION = re.compile(r"^[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9][\w.]*$")


def _loose(text: str) -> str:
    """Drop case, punctuation, Greek letters (spelt out), plural 's' and "-like"."""
    text = "".join(_GREEK.get(ch, ch) for ch in unicodedata.normalize("NFKC", text.casefold()))
    words = [w for w in _NON_WORD.sub(" ", text).split() if w != "like"]
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words
    )


class _Matcher:
    """The strategies over one term index and one target ontology prefix."""

    def __init__(self, index: TermIndex, prefix: str) -> None:
        self.index = index
        self.prefix = prefix
        self._loose: dict[str, list[str]] | None = None

    def _keep(self, curies: Iterable[str]) -> list[str]:
        return sorted({c for c in curies if c.startswith(self.prefix + ":")})

    def loose_labels(self) -> dict[str, list[str]]:
        if self._loose is None:
            table: dict[str, list[str]] = {}
            for term in self.index.iter_terms():
                if term.curie.startswith(self.prefix + ":"):
                    for name in (
                        term.label,
                        *(s.text for s in term.synonyms if s.scope == "EXACT"),
                    ):
                        if name:
                            table.setdefault(_loose(name), []).append(term.curie)
            self._loose = table
        return self._loose

    def strategies(
        self, label: str, description: str | None
    ) -> list[tuple[str, Callable[[], list[str]], str | None]]:
        """(method, candidates, matched-text hint) in order of trust."""
        return [
            ("exact_label", lambda: self._keep(self.index.by_label(label)), label),
            ("exact_synonym", lambda: self._keep(self.index.by_synonym(label, "EXACT")), label),
            ("definition", lambda: self._definition_matches(description), None),
            (
                "normalised_label",
                lambda: self._keep(self.loose_labels().get(_loose(label), ())),
                None,
            ),
            (
                "related_synonym",
                lambda: self._keep(
                    c
                    for scope in ("NARROW", "BROAD", "RELATED")
                    for c in self.index.by_synonym(label, scope)
                ),
                label,
            ),
        ]

    def _definition_matches(self, description: str | None) -> list[str]:
        if not description:
            return []
        found = self._keep(self.index.by_definition(description))
        if found:
            return found
        # hPSCreg writes "<definition>; <comment>": try each split point at "; ".
        text = description
        candidates: set[str] = set()
        start = 0
        while (cut := text.find("; ", start)) != -1:
            candidates.update(self._keep(self.index.by_definition(text[:cut])))
            start = cut + 2
        return sorted(candidates)

    def describes(self, term: Term, description: str | None) -> bool:
        """Whether the record's description is this term's definition (optionally + comment)."""
        if not description or not term.definition:
            return False
        want = normalise_text(description)
        definition = normalise_text(term.definition)
        return (
            want == definition
            or want.startswith(definition + "; ")
            or want.startswith(definition + ";")
        )


def _prefer_live(index: TermIndex, candidates: list[str]) -> list[str]:
    """Drop obsolete candidates when a live term (or an obsolete one's replacement) also matched.

    Releases keep an obsolete term's label ("obsolete mixed-type liposarcoma"), and a live term
    may carry the same words; the live one is meant.
    """
    live = {_follow_obsolete(index, c)[0] for c in candidates}
    chosen: dict[str, str] = {}
    for curie in candidates:
        target = _follow_obsolete(index, curie)[0]
        if index[target].obsolete and any(not index[t].obsolete for t in live):
            continue
        chosen.setdefault(target, curie)  # one candidate per live term, keeping its route
    return sorted(chosen.values())


def _follow_obsolete(index: TermIndex, curie: str) -> tuple[str, str | None]:
    """The live term for ``curie`` and a remark when an obsolete term was replaced."""
    term = index[curie]
    if term.curie != curie:
        return term.curie, f"{curie} is an alternative id of {term.curie}"
    if term.obsolete and term.replaced_by:
        live = index.get(term.replaced_by[0])
        if live is not None:
            return live.curie, f"obsolete {curie} replaced by {live.curie}"
    return curie, None


def ground_mention(
    kind: MentionKind,
    label: str,
    index: TermIndex,
    *,
    description: str | None = None,
    ontology_ref: str | None = None,
    matcher: _Matcher | None = None,
) -> Grounding:
    """Link one mention to a term of the ontology its kind calls for (DOID or CL).

    :param label: the mention as the record writes it.
    :param description: the record's description of it, used as evidence.
    :param ontology_ref: an IRI or CURIE the record gives for it.
    :returns: a grounding; ``object_id`` is None when nothing matched or the match is ambiguous.
    """
    matcher = matcher or _Matcher(index, _ONTOLOGY[kind])

    def made(
        curie: str, method: str, matched: str | None, confidence: float, comment: str | None = None
    ) -> Grounding:
        live, remark = _follow_obsolete(index, curie)
        term = index[live]
        if remark and "obsolete" in remark:
            confidence *= _OBSOLETE_PENALTY
        release = index.release_of(live)
        notes = "; ".join(n for n in (comment, remark) if n) or None
        return Grounding(
            kind=kind,
            subject_label=label,
            object_id=live,
            object_label=term.label,
            method=method,
            mapping_justification=_JUSTIFICATION[method],
            matched_text=matched,
            confidence=round(min(confidence, 1.0), 4),
            object_source=release.iri if release else None,
            object_source_version=release.version if release else None,
            comment=notes,
        )

    if ontology_ref:
        term = index.get(ontology_ref)
        if term is not None:
            return made(
                term.curie, "explicit_reference", ontology_ref, CONFIDENCE["explicit_reference"]
            )
        curie = to_curie(ontology_ref) if "://" in ontology_ref else ontology_ref
        translated = matcher._keep(index.by_xref(curie)) if curie else []
        if len(translated) == 1:
            return made(
                translated[0],
                "xref",
                ontology_ref,
                CONFIDENCE["xref"],
                f"the record's {curie} is a cross-reference of the term",
            )
        logger.debug("%r: stated reference %s is not in the loaded ontologies", label, ontology_ref)
    if _CURIE_MENTION.match(label.strip()):
        # A mention that is itself an identifier of another vocabulary ("MESH:D016649").
        found = matcher._keep(index.by_xref(label.strip()))
        if len(found) == 1:
            return made(found[0], "xref", label.strip(), CONFIDENCE["xref"])

    for method, candidates_of, hint in matcher.strategies(label, description):
        candidates = _prefer_live(index, candidates_of())
        if not candidates:
            continue
        confidence = CONFIDENCE[method]
        if len(candidates) > 1:
            confirmed = [c for c in candidates if matcher.describes(index[c], description)]
            if len(confirmed) != 1:
                logger.debug("%r: %s matches %s; ambiguous", label, method, candidates)
                return _unmatched(
                    kind, label, "ambiguous", f"{method} matches {', '.join(candidates)} equally"
                )
            candidates = confirmed
        curie = candidates[0]
        term = index[curie]
        matched = hint
        if method == "exact_label":
            matched = term.label
        elif method == "definition":
            matched = term.definition
        elif hint is not None:
            matched = next(
                (s.text for s in term.synonyms if normalise_text(s.text) == normalise_text(hint)),
                hint,
            )
        comment = None
        if method != "definition" and matcher.describes(term, description):
            confidence += _CORROBORATED
            comment = "the record's description is this term's definition"
        result = made(curie, method, matched, confidence, comment)
        logger.debug("%r -> %s by %s (%.2f)", label, result.object_id, method, result.confidence)
        return result
    if kind is MentionKind.CELL_TYPE:
        contained = _contained_term(matcher, label)
        if contained is not None:
            curie, words = contained
            return made(
                curie,
                "contained_label",
                words,
                CONFIDENCE["contained_label"],
                f"the mention contains '{words}'",
            )
    return _unmatched(kind, label, "none", None)


def _contained_term(matcher: _Matcher, label: str) -> tuple[str, str] | None:
    """The term whose label or EXACT synonym appears in the mention, with the words matched.

    English puts the head noun last ("iPSC-derived retinal pigment epithelial cells"), so the
    match that ends furthest right wins, then the longest; several terms for those same words
    is ambiguous (None).
    """
    text = _loose(label)
    # "cardiomyocytes derived from iPSCs": what comes after "from" is the source, not the product.
    head = _FROM.split(text)[0].strip()
    text = head or text
    for pattern, expansion in _CELL_ABBREVIATIONS:
        text = pattern.sub(expansion, text)
    words = text.split()
    table = matcher.loose_labels()
    for end in range(len(words), 0, -1):
        for start in range(end):
            phrase = " ".join(words[start:end])
            if phrase in _TOO_GENERAL:
                continue
            found = _prefer_live(matcher.index, matcher._keep(table.get(phrase, ())))
            if found:
                return (found[0], phrase) if len(found) == 1 else None
    return None


def _unmatched(kind: MentionKind, label: str, method: str, comment: str | None) -> Grounding:
    return Grounding(
        kind=kind,
        subject_label=label,
        object_id=None,
        object_label=None,
        method=method,
        mapping_justification="semapv:UnspecifiedMatching",
        matched_text=None,
        confidence=0.0,
        predicate_id="skos:exactMatch",
        comment=comment,
    )


class Grounder:
    """Grounds trial after trial against one index, caching per distinct mention."""

    def __init__(
        self,
        index: TermIndex,
        *,
        overrides: Mapping[str, Override] | None = None,
        warn_ungrounded: bool = True,
    ) -> None:
        """:param overrides: curator decisions by normalised mention text; they win."""
        self.index = index
        self.overrides = dict(overrides or {})
        self.warn_ungrounded = warn_ungrounded
        self._matchers = {kind: _Matcher(index, prefix) for kind, prefix in _ONTOLOGY.items()}
        self._cache: dict[tuple[MentionKind, str, str | None, str | None], Grounding] = {}
        # The MeSH check's lookups, bounded by the ontology's size: terms per MeSH descriptor,
        # and a term with its ancestors and descendants.
        self._mesh_reached: dict[Code, frozenset[str]] = {}
        self._related: dict[str, frozenset[str]] = {}

    def mention(self, kind: MentionKind, item: Condition | CellProduct) -> Grounding:
        key = (kind, item.label, item.description, item.ontology_ref)
        cached = self._cache.get(key)
        override = self.overrides.get(normalise_text(item.label))
        if cached is None and override is not None:
            cached = self._curated(kind, item.label, override)
            self._cache[key] = cached
        if cached is None:
            cached = ground_mention(
                kind,
                item.label,
                self.index,
                description=item.description,
                ontology_ref=item.ontology_ref,
                matcher=self._matchers[kind],
            )
            self._cache[key] = cached
            if not cached.grounded and self.warn_ungrounded:
                logger.warning(
                    "ungrounded %s mention %r (%s)",
                    kind.value,
                    item.label,
                    cached.comment or "no term matched",
                )
        if cached.subject_label == item.label:
            return cached
        return replace(cached, subject_label=item.label)

    def _curated(self, kind: MentionKind, label: str, override: Override) -> Grounding:
        """The grounding a curator decided, recorded as manual curation."""
        note = f"curated in {override.source}" + (
            f": {override.comment}" if override.comment else ""
        )
        if override.object_id is None:
            return replace(
                _unmatched(kind, label, "manual_curation", note),
                mapping_justification=_JUSTIFICATION["manual_curation"],
            )
        term = self.index.get(override.object_id)
        release = self.index.release_of(term.curie) if term else None
        return Grounding(
            kind=kind,
            subject_label=label,
            object_id=term.curie if term else override.object_id,
            object_label=term.label if term else None,
            method="manual_curation",
            mapping_justification=_JUSTIFICATION["manual_curation"],
            matched_text=None,
            confidence=override.confidence,
            predicate_id=override.predicate_id,
            object_source=release.iri if release else None,
            object_source_version=release.version if release else None,
            comment=note,
        )

    def __call__(self, trial: Trial) -> GroundedTrial:
        conditions = tuple(self.mention(MentionKind.CONDITION, c) for c in trial.conditions)
        if trial.condition_mesh:
            conditions = tuple(
                self._check_mesh(g, trial.condition_mesh, alone=len(conditions) == 1)
                for g in conditions
            )
        return GroundedTrial(
            trial=trial,
            conditions=conditions,
            cell_products=tuple(
                self.mention(MentionKind.CELL_TYPE, p) for p in trial.cell_products
            ),
        )

    def _mesh_terms(self, code: Code) -> frozenset[str]:
        """DOID terms a MeSH descriptor stands for: by its id as a cross-reference, else (the
        legacy XML gives names only) by its name as an exact label or synonym. Cached."""
        found = self._mesh_reached.get(code)
        if found is None:
            matcher = self._matchers[MentionKind.CONDITION]
            found = frozenset(matcher._keep(self.index.by_xref(code.curie))) if code.curie else None
            if not found:
                by_name = self.index.by_label(code.label) or self.index.by_synonym(code.label)
                found = frozenset(matcher._keep(by_name))
            self._mesh_reached[code] = found
        return found

    def _related_terms(self, curie: str) -> frozenset[str]:
        """The term, its ancestors and its descendants. Cached."""
        related = self._related.get(curie)
        if related is None:
            index = self.index
            related = frozenset({curie} | index.ancestors(curie) | index.descendants(curie))
            self._related[curie] = related
        return related

    def _check_mesh(
        self, grounding: Grounding, mesh: tuple[Code, ...], *, alone: bool
    ) -> Grounding:
        """Ground an unmatched condition through the study's MeSH coding, or flag a text match
        the coding disagrees with. ``alone``: the study has only this condition."""
        reached = {code: self._mesh_terms(code) for code in mesh}
        if grounding.object_id is None:
            if grounding.method == "manual_curation":
                return grounding
            words = set(_loose(grounding.subject_label).split())
            usable = [code for code in mesh if alone or words & set(_loose(code.label).split())]
            terms = {t for code in usable for t in reached[code]}
            if len(terms) != 1:
                return grounding
            (curie,) = terms
            code = next(c for c in usable if curie in reached[c])
            term = self.index[curie]
            release = self.index.release_of(curie)
            return replace(
                grounding,
                object_id=curie,
                object_label=term.label,
                method="mesh_xref",
                mapping_justification=_JUSTIFICATION["mesh_xref"],
                matched_text=code.curie or code.label,
                confidence=CONFIDENCE["mesh_xref"],
                object_source=release.iri if release else None,
                object_source_version=release.version if release else None,
                comment=f"through ClinicalTrials.gov's MeSH coding {_describe(code)}",
            )
        curie = grounding.object_id
        related = self._related_terms(curie)
        if any(not related.isdisjoint(reached[code]) for code in mesh):
            return grounding
        given = ", ".join(_describe(code) for code in mesh)
        return replace(
            grounding,
            disagreement=f"ClinicalTrials.gov's MeSH coding ({given}) does not reach {curie}",
        )


def _describe(code: Code) -> str:
    return f"{code.label} [{code.curie}]" if code.curie else repr(code.label)


def ground(trial: Trial, index: TermIndex) -> GroundedTrial:
    """Ground every condition and cell product of one trial.

    For many trials, make one :class:`Grounder` and call it per trial: it caches per mention.
    """
    return Grounder(index)(trial)
