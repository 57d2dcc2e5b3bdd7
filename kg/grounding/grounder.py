"""Grounding: link each free-text mention of a trial to an ontology term, and say how.

Conditions ground to DOID, cell products to CL. Strategies are tried in order, and the first
that finds exactly one term wins; the grounding records its method and the confidence the
method gives (:class:`~kg.grounding.methods.Method` says what each one matches and what it is
worth). A reference the record gives comes first (``explicit_reference``, or ``xref`` through
another vocabulary's id), then the mention's own words (``exact_label``, ``exact_synonym``,
``definition``, ``normalised_label``, ``related_synonym``), then, for cell types only, a label
inside the mention (``contained_label``), and for conditions that match nothing whole, an
abbreviation spelt out (``acronym``) or the rest once qualifiers are dropped
(``qualifiers_dropped``, a broader link). A curator's decision (``manual_curation``) wins over
all of them.

The mention's own words come before its description: a name match that the description
confirms (the copied definition of the same term) gains ``+0.04``, and a name that matches
several terms is settled by the description when exactly one of them has it — never by chance.
An obsolete term is followed to its ``replaced_by`` term (confidence x 0.95). A mention that
matches nothing, or several terms equally, stays ungrounded, and says why.

ClinicalTrials.gov codes each study's conditions in MeSH by machine, and gets it wrong at
times (a premature ovarian failure study coded "Premature Birth"). That coding is used only for
a condition whose own words match nothing (``mesh_xref``), and never overrides a text match:
when it reaches none of the text match's term, ancestors or descendants, the grounding keeps
the text match and records the disagreement.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from kg.grounding.match import (
    Matcher,
    drop_qualifiers,
    drop_qualifiers_stepwise,
    loose,
    variants,
)
from kg.grounding.methods import Method
from kg.grounding.scope import ORGANISM, names_an_organism, names_no_disease
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
from kg.ontology.terms import TermIndex, normalise_text
from kg.resources import resource_dir

__all__ = ["ACRONYMS", "Grounder", "defined_acronyms", "ground", "ground_mention"]

logger = logging.getLogger(__name__)

_CORROBORATED = 0.04
_OBSOLETE_PENALTY = 0.95
_ONTOLOGY = {MentionKind.CONDITION: "DOID", MentionKind.CELL_TYPE: "CL"}
_KIND_OF = {prefix: kind for kind, prefix in _ONTOLOGY.items()}

# Abbreviations of cell types in intervention names, spelt out (on loose text: lower case,
# no punctuation, no plural "s"), before looking for a cell type inside the name.
_CELL_ABBREVIATIONS = [
    (re.compile(r"\bcar(?: ?t\d*\w*| ?\d+\w*)?(?: t)?(?: cell)?\b"), "t cell"),
    (re.compile(r"\bcar nk( cell)?\b|\bnk( cell)?\b"), "natural killer cell"),
    (re.compile(r"\bmsc( cell)?\b"), "mesenchymal stem cell"),
    (re.compile(r"\brpe( cell)?\b"), "retinal pigment epithelial cell"),
    (re.compile(r"\bhsct?( cell)?\b"), "hematopoietic stem cell"),
    (re.compile(r"\bipsc( cell)?\b"), "induced pluripotent stem cell"),
    (re.compile(r"\bh?esc( cell)?\b"), "embryonic stem cell"),
    (re.compile(r"\btreg( cell)?\b"), "regulatory t cell"),
    (re.compile(r"\bdc( cell)?\b"), "dendritic cell"),
    # What a transplant or vaccine of cells administers.
    (
        re.compile(
            r"\b(?:bone marrow |hematopoietic |peripheral blood )?(?:stem|progenitor) cell "
            r"(?:transplant(?:ation)?|support|rescue)\b"
        ),
        "hematopoietic stem cell",
    ),
    (re.compile(r"\b(?:bone )?marrow transplant(?:ation)?\b"), "bone marrow cell"),
    (
        re.compile(r"\b(?:umbilical )?cord blood(?: cell)?(?: transplant(?:ation)?)?\b"),
        "cord blood hematopoietic stem cell",
    ),
    (re.compile(r"\b(?:tumou?r|cancer|leuka?emic) cell\b"), "malignant cell"),
    (
        re.compile(
            r"\badipose(?: tissue)?(?: derived)? (?:mesenchymal )?(?:stromal|stem) cell\b|\badsc\b"
        ),
        "mesenchymal stem cell of adipose tissue",
    ),
]
_FROM = re.compile(r"\b(?:derived |differentiated |generated )?from\b")
# Too general to stand for a cell product on their own.
_TOO_GENERAL = {"cell", "stem cell", "native cell"}
_CURIE_MENTION = re.compile(r"^[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9][\w.]*$")


def _prefer_live(index: TermIndex, candidates: list[str]) -> list[str]:
    """The live terms the candidates stand for: an obsolete term by its replacement, and not
    at all when it was retired without one.

    Releases keep an obsolete term's label ("obsolete mixed-type liposarcoma"), and a live term
    may carry the same words; the live one is meant.
    """
    chosen: dict[str, str] = {}
    for curie in candidates:
        target = _follow_obsolete(index, curie)[0]
        if index[target].obsolete:
            continue  # retired without a replacement: no link is better than a dead one
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
    matcher: Matcher | None = None,
    acronyms: Mapping[str, str] | None = None,
) -> Grounding:
    """Link one mention to a term of the ontology its kind calls for (DOID or CL).

    :param label: the mention as the record writes it.
    :param description: the record's description of it, used as evidence.
    :param ontology_ref: an IRI or CURIE the record gives for it.
    :param acronyms: abbreviations the record defines (:func:`defined_acronyms`).
    :returns: a grounding; ``object_id`` is None when nothing matched or the match is ambiguous.
    """
    matcher = matcher or Matcher(index, _ONTOLOGY[kind])
    acronyms = acronyms or {}

    def made(
        curie: str,
        method: Method,
        matched: str | None,
        comment: str | None = None,
        *,
        bonus: float = 0.0,
    ) -> Grounding:
        """The link to ``curie`` (or its replacement) at the method's confidence plus ``bonus``."""
        live, remark = _follow_obsolete(index, curie)
        term = index[live]
        confidence = method.confidence + bonus
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
            mapping_justification=method.justification,
            matched_text=matched,
            confidence=round(min(confidence, 1.0), 4),
            predicate_id=method.sssom_predicate,
            object_source=release.iri if release else None,
            object_source_version=release.version if release else None,
            comment=notes,
        )

    if ontology_ref:
        term = index.get(ontology_ref)
        if term is not None:
            return made(term.curie, Method.EXPLICIT_REFERENCE, ontology_ref)
        curie = to_curie(ontology_ref) if "://" in ontology_ref else ontology_ref
        translated = matcher.keep(index.by_xref(curie)) if curie else []
        if len(translated) == 1:
            return made(
                translated[0],
                Method.XREF,
                ontology_ref,
                f"the record's {curie} is a cross-reference of the term",
            )
        logger.debug("%r: stated reference %s is not in the loaded ontologies", label, ontology_ref)
    if _CURIE_MENTION.match(label.strip()):
        # A mention that is itself an identifier of another vocabulary ("MESH:D016649").
        translated = matcher.keep(index.by_xref(label.strip()))
        if len(translated) == 1:
            return made(translated[0], Method.XREF, label.strip())

    if kind is MentionKind.CONDITION and names_an_organism(label):
        return _unmatched(kind, label, Method.OUT_OF_SCOPE, f"not a disease: {ORGANISM}")
    found = _match_words(matcher, label, description)
    if kind is MentionKind.CONDITION:
        # A bare abbreviation means what the record, else the table of those trial records
        # use, spells out, over an ontology synonym for something else ("MDS": myelodysplastic
        # syndrome, not Miller-Dieker syndrome).
        expansion = _spelt_out(label, acronyms)
        meant = _match_words(matcher, expansion, None) if expansion else None
        if isinstance(meant, tuple) and (not isinstance(found, tuple) or found[0] != meant[0]):
            return made(meant[0], Method.ACRONYM, expansion, f"'{label}' spelt out: {expansion}")
    if isinstance(found, Grounding):
        return found  # ambiguous: never settled by chance
    if found is not None:
        curie, method, matched, comment, bonus = found
        return made(curie, method, matched, comment, bonus=bonus)
    if kind is MentionKind.CELL_TYPE:
        contained = _contained_term(matcher, label)
        if contained is not None:
            curie, words = contained
            return made(curie, Method.CONTAINED_LABEL, words, f"the mention contains '{words}'")
        # A generic name ("Cell therapy"): what the intervention's description says it gives.
        said = _first_sentence(description)
        contained = _contained_term(matcher, said) if said else None
        if contained is not None:
            curie, words = contained
            return made(curie, Method.CONTAINED_LABEL, words, f"the description names '{words}'")
        return _unmatched(kind, label, Method.NONE, None)
    return _condition_fallbacks(kind, label, matcher, acronyms, made)


#: A match by the mention's words: the term, the method, the text matched, a remark and the
#: confidence bonus the record's description earns it.
_Found = tuple[str, Method, str | None, str | None, float]


def _match_words(
    matcher: Matcher, label: str, description: str | None
) -> _Found | Grounding | None:
    """The first text strategy that finds terms for ``label``: one term (settled by the
    description when several match), an ambiguous grounding, or None when none finds any."""
    index = matcher.index
    for method, candidates_of, hint in matcher.strategies(label, description):
        candidates = _prefer_live(index, candidates_of())
        if not candidates:
            continue
        if len(candidates) > 1:
            candidates = _common_ancestor(index, candidates)
        if len(candidates) > 1:
            confirmed = [c for c in candidates if matcher.describes(index[c], description)]
            if len(confirmed) != 1:
                logger.debug("%r: %s matches %s; ambiguous", label, method, candidates)
                return replace(
                    _unmatched(
                        _KIND_OF[matcher.prefix],
                        label,
                        Method.AMBIGUOUS,
                        f"{method} matches {', '.join(candidates)} equally",
                    ),
                    candidates=tuple(candidates),
                )
            candidates = confirmed
        curie = candidates[0]
        term = index[curie]
        matched = hint
        if method is Method.EXACT_LABEL:
            matched = term.label
        elif method is Method.DEFINITION:
            matched = term.definition
        elif hint is not None:
            matched = next(
                (s.text for s in term.synonyms if normalise_text(s.text) == normalise_text(hint)),
                hint,
            )
        comment = None
        bonus = 0.0
        if method is not Method.DEFINITION and matcher.describes(term, description):
            bonus = _CORROBORATED
            comment = "the record's description is this term's definition"
        return curie, method, matched, comment, bonus
    return None


def _common_ancestor(index: TermIndex, candidates: list[str]) -> list[str]:
    """The one candidate every other is a subtype of, when there is one: a name that matches
    a term and its subtypes ("small lymphocytic lymphoma", half of the names of CLL/SLL and
    of its pre- and postgerminal center forms) means the term."""
    for curie in candidates:
        if all(curie in index.ancestors(other) for other in candidates if other != curie):
            return [curie]
    return candidates


def _condition_fallbacks(
    kind: MentionKind,
    label: str,
    matcher: Matcher,
    acronyms: Mapping[str, str],
    made: Callable[..., Grounding],
) -> Grounding:
    """For a condition no strategy matched whole: say so when it is no disease, spell out an
    abbreviation, or drop the qualifiers a curator would drop and link what is left, broader."""
    if _NOT_DISEASES.match(label.strip()):
        # Before the fallbacks: "Healthy Volunteers" must not become a disease of volunteers.
        return _unmatched(kind, label, Method.OUT_OF_SCOPE, "not a disease: " + _PLAINLY)
    parts = [part.strip() for part in _PARTS.split(label) if part.strip()]
    if len(parts) > 1:
        # "Smoking Cessation; Nicotine Dependence": each part that is a disease.
        return _several(kind, label, [parts], matcher, every=False)
    expansion = _spelt_out(label, acronyms)
    if expansion:
        found = _match_words(matcher, expansion, None)
        if isinstance(found, tuple):
            return made(found[0], Method.ACRONYM, expansion, f"'{label}' spelt out: {expansion}")
    for rest, dropped in drop_qualifiers_stepwise(label):
        spelt = _spelt_out(rest, acronyms)
        for text in (rest, spelt):
            found = _match_words(matcher, text, None) if text else None
            if isinstance(found, tuple):
                words = ", ".join(dropped)
                return made(found[0], Method.QUALIFIERS_DROPPED, text, f"broader: dropped {words}")
    readings = _coordinated(label)
    if readings:
        # After the qualifiers: "Recurrent Head and Neck Carcinoma" is one disease.
        several = _several(kind, label, readings, matcher, every=True)
        if several.grounded or several.method == Method.OUT_OF_SCOPE:
            return several
    rest, dropped = drop_qualifiers(label)
    clause = _CLAUSE.match(rest or label)
    kind_of = None
    if clause:
        # "A with B", "A secondary to B", "A involving B": a kind of A.
        head, said = clause.group(1), clause.group(2)
        found = _match_words(matcher, head, None)
        dropped = [*dropped, said.strip()]
        if isinstance(found, tuple):
            words = ", ".join(dropped)
            return made(found[0], Method.QUALIFIERS_DROPPED, head, f"broader: dropped {words}")
        kind_of = head  # for the word-dropping fallbacks below, which may find A by its words
    corrected = matcher.corrected(label)
    if corrected is not None:
        text, changes = corrected
        found = _match_words(matcher, text, None)
        if isinstance(found, tuple):
            return made(
                found[0], Method.SPELLING_CORRECTED, text, "spelling: " + ", ".join(changes)
            )
    for text in variants(rest or label):
        missing = matcher.missing_term(text)
        if missing is not None:
            curie, relation, name = missing
            method = Method.CURATED_NAME if relation == "exact" else Method.CURATED_BROADER
            return made(curie, method, name, f"no term for '{name}' (ontologies/missing-terms.tsv)")
    # MeSH's inverted order put back first: the head noun of "Bone Diseases, Metabolic" is
    # the last word of "Metabolic Bone Diseases".
    forms = sorted(variants(kind_of or rest or label), key=lambda form: "," in form)
    # A form that ends in words in parentheses has no head noun at its end ("Issue (E.G.,
    # ..., Substance Abuse)"): the forms without them, when there are.
    forms = [form for form in forms if not form.endswith(")")] or forms
    for text in forms:
        candidates, left = matcher.head_terms(text)
        live = _prefer_live(matcher.index, candidates)
        if len(live) == 1 and not (dropped or left):
            return made(live[0], Method.NORMALISED_LABEL, text, "the name's words in another order")
        if len(live) == 1:
            words = ", ".join([*dropped, *left])
            return made(live[0], Method.WORDS_DROPPED, text, f"broader: dropped {words}")
    for text in forms:
        candidates, site, same = matcher.site_terms(text)
        live = _prefer_live(matcher.index, candidates)
        if len(live) == 1:
            method = Method.NORMALISED_LABEL if same else Method.WORDS_DROPPED
            said = "the body part's disease" if same else "broader: the part's disease"
            return made(live[0], method, site, f"{said}, '{site}'")
    named = names_no_disease(label)
    if named:
        return _unmatched(kind, label, Method.OUT_OF_SCOPE, f"not a disease: {named}")
    return _unmatched(kind, label, Method.NONE, None)


_PARENTHESES = re.compile(r"\s*\([^()]*\)")
#: Where two names share words: "Brain and Central Nervous System Tumors", "Gastric or
#: Gastroesophageal Cancer", "Myelodysplastic/Myeloproliferative Diseases".
_COORDINATOR = re.compile(r"\s+(?:and/or|and|or|&)\s+|(?<=[a-z])/(?=[a-z])", re.I)


def _coordinated(label: str) -> list[list[str]]:
    """The names a mention joining two of them may mean, one reading per way to share words.

    >>> _coordinated("Esophageal and Gastric Varices")[:2]
    [['Esophageal', 'Gastric Varices'], ['Esophageal Varices', 'Gastric Varices']]
    >>> _coordinated("Transitional Cell Cancer of the Renal Pelvis and Ureter")[-1]
    ['Transitional Cell Cancer of the Renal Pelvis', 'Transitional Cell Cancer of the Ureter']
    """
    # Words in parentheses are no part of it: "Lymphoma (Precursor Lymphoma/Leukaemia)".
    pieces = _COORDINATOR.split(_PARENTHESES.sub("", label))
    if len(pieces) != 2:
        return []  # lists of three and more are left to the semicolons sponsors put between
    left, right = (piece.strip(" ,") for piece in pieces)
    if not drop_qualifiers(left)[0] or not drop_qualifiers(right)[0]:
        return []  # "Relapsed/Refractory ...", "Advanced or Metastatic ...": one disease
    readings = [[left, right]]
    said = right.split()
    # The head noun the left one leaves out: "Esophageal [Varices] and Gastric Varices".
    readings += [[f"{left} {' '.join(said[-j:])}", right] for j in range(1, len(said))]
    before, of, _ = left.rpartition(" of the ")
    if of:
        # What the right one leaves out: "Cancer of the Renal Pelvis and [of the] Ureter".
        readings.append([left, f"{before}{of}{right}"])
    return readings


def _several(
    kind: MentionKind, label: str, readings: list[list[str]], matcher: Matcher, *, every: bool
) -> Grounding:
    """A mention naming several conditions, grounded name by name as the reading that links
    them best (the most confidence in all) says; each name's own link is kept, the first as
    the mention's and the others as :attr:`~kg.model.Grounding.also`.

    :param every: a reading counts only when each of its names is linked or names no disease
        (a coordination: "Recurrent Head" of "Recurrent Head and Neck Carcinoma" is none);
        else the names that are linked count (a list: "Smoking Cessation; Nicotine Dependence").
    """
    best: list[Grounding] = []
    beyond: Grounding | None = None
    for names in readings:
        each = [ground_mention(kind, name, matcher.index, matcher=matcher) for name in names]
        if every and not all(g.grounded or g.method == Method.OUT_OF_SCOPE for g in each):
            continue
        linked = list({g.object_id: g for g in each if g.grounded}.values())
        if sum(g.confidence for g in linked) > sum(g.confidence for g in best):
            best = linked
        if all(g.method == Method.OUT_OF_SCOPE for g in each):
            beyond = beyond or each[0]
    if not best:
        if beyond is not None:
            return replace(beyond, subject_label=label)
        return _unmatched(kind, label, Method.NONE, None)
    first, *others = (replace(g, subject_label=label) for g in best)
    if not others:
        return first
    named = ", ".join(f"{g.object_id} {g.object_label}" for g in best)
    note = f"names {len(best)} conditions: {named}"
    return replace(
        first,
        comment="; ".join(filter(None, (first.comment, note))),
        also=tuple(others),
    )


#: A trailing clause that makes a disease a kind of it: "Haemophilia A With Inhibitors",
#: "Macular Edema Secondary to Retinal Vein Occlusion", "Acute Lymphoblastic Leukemia, in
#: Relapse", "Lumbar Spondylolisthesis Involving L4-L5".
_CLAUSE = re.compile(
    r"^(.*?\w)[\s,]+((?:with(?:out)?|secondary\s+to|due\s+to|caused\s+by|involving"
    r"|associated\s+with|as\s+(?:a\s+)?late\s+effects?\s+of|in\s+(?:relapse|remission|old\s+age))"
    r"\b.*)$",
    re.I,
)
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9]{1,7}$")
#: Where a mention lists several things: a semicolon outside parentheses.
_PARTS = re.compile(r";(?![^()]*\))")
# Conditions sponsors list that are no disease: who takes part, what they undergo or do.
_NOT_DISEASES = re.compile(
    r"^(?:healthy(?: (?:volunteers?|subjects?|participants?|adults?|individuals?|donors?))?"
    r"|pregnan(?:cy|t women)|surgery|surgical procedures?|anesthesia|anaesthesia"
    r"|smoking cessation|smoking|ageing|aging|quality of life|vaccination|immunization"
    r"|transplantation|bone marrow transplantation|stem cell transplantation)$",
    re.I,
)

_PLAINLY = "a population, procedure or behaviour"


def _read_acronyms(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        rows = (line for line in handle if line.strip() and not line.startswith("#"))
        return {
            r["acronym"].strip(): r["expansion"].strip()
            for r in csv.DictReader(rows, delimiter="\t")
        }


#: Unambiguous abbreviations of conditions, spelt out: ontologies/acronyms.tsv.
ACRONYMS = _read_acronyms(resource_dir("ontologies") / "acronyms.tsv")


def _spelt_out(label: str, acronyms: Mapping[str, str]) -> str | None:
    """The name a bare abbreviation stands for: the record's own definition, else the table's."""
    text = label.strip()
    if not _ACRONYM.match(text) or text.lower() == text or (text.istitle() and len(text) > 4):
        return None
    return acronyms.get(text) or ACRONYMS.get(text)


_IN_PARENTHESES = re.compile(r"\(([A-Z][A-Za-z0-9]{1,7})\)")
_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def defined_acronyms(*texts: str | None) -> dict[str, str]:
    """Abbreviations a record defines: a name followed by its initials in parentheses.

    >>> defined_acronyms("MSC transplantation in Primary Ovarian Insufficiency (POI) patients")
    {'POI': 'Primary Ovarian Insufficiency'}
    """
    found: dict[str, str] = {}
    for text in filter(None, texts):
        for match in _IN_PARENTHESES.finditer(text):
            acronym = match.group(1)
            letters = [c for c in acronym if c.isupper()]
            # The name is the words right before the parenthesis whose initials spell it.
            before = _WORD.findall(text[max(0, match.start() - 120) : match.start()])
            name = before[-len(letters) :] if len(before) >= len(letters) else []
            if name and [w[0].upper() for w in name] == letters:
                found.setdefault(acronym, " ".join(name))
    return found


def _contained_term(matcher: Matcher, label: str) -> tuple[str, str] | None:
    """The term whose label or EXACT synonym appears in the mention, with the words matched.

    English puts the head noun last ("iPSC-derived retinal pigment epithelial cells"), so the
    match that ends furthest right wins, then the longest; several terms for those same words
    is ambiguous (None).
    """
    text = loose(label)
    # "cardiomyocytes derived from iPSCs": what comes after "from" is the source, not the product.
    head = _FROM.split(text)[0].strip()
    text = head or text
    for pattern, expansion in _CELL_ABBREVIATIONS:
        text = pattern.sub(expansion, text)
    words = text.split()
    table = matcher.loose_labels()
    # "TG-C cells": a product's code, not C (parafollicular) cells; "-T" and "-B" name the
    # cells they are ("STAR-T cells").
    coded = {f"{m.group(1).lower()} cell" for m in _CODED_LETTER.finditer(label)}
    for end in range(len(words), 0, -1):
        for start in range(end):
            phrase = " ".join(words[start:end])
            if phrase in _TOO_GENERAL or len(phrase) < 3 or phrase in coded:
                continue  # "a" of "with a lentiviral vector" names no cell
            # CL says "precursor" where sponsors say "progenitor" ("oligodendrocyte precursor").
            named = table.get(phrase) or table.get(phrase.replace("progenitor", "precursor")) or []
            found = _prefer_live(matcher.index, matcher.keep(named))
            if found:
                return (found[0], phrase) if len(found) == 1 else None
    return None


_CODED_LETTER = re.compile(r"\b[A-Za-z0-9]{2,}-([AC-SU-Zac-su-z])\b")


def _first_sentence(text: str | None) -> str | None:
    """The description up to its first full stop (where the product is usually named)."""
    if not text:
        return None
    return re.split(r"(?<=[a-z)])\.\s", text, maxsplit=1)[0][:300]


def _unmatched(kind: MentionKind, label: str, method: Method, comment: str | None) -> Grounding:
    """A mention left unlinked, and the method that says why: no link, so no confidence."""
    return Grounding(
        kind=kind,
        subject_label=label,
        object_id=None,
        object_label=None,
        method=method,
        mapping_justification=method.justification,
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
        self._matchers = {kind: Matcher(index, prefix) for kind, prefix in _ONTOLOGY.items()}
        self._cache: dict[
            tuple[MentionKind, str, str | None, str | None, str | None], Grounding
        ] = {}
        # The MeSH check's lookups, bounded by the ontology's size: terms per MeSH descriptor,
        # and a term with its ancestors and descendants.
        self._mesh_reached: dict[Code, frozenset[str]] = {}
        self._related: dict[str, frozenset[str]] = {}

    def mention(
        self,
        kind: MentionKind,
        item: Condition | CellProduct,
        acronyms: Mapping[str, str] | None = None,
    ) -> Grounding:
        """Ground one mention, or give the grounding made before for the same words.

        :param acronyms: abbreviations the mention's record defines (:func:`defined_acronyms`).
        """
        spelt = (acronyms or {}).get(item.label.strip())
        key = (kind, item.label, item.description, item.ontology_ref, spelt)
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
                acronyms={item.label.strip(): spelt} if spelt else None,
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
            return _unmatched(kind, label, Method.MANUAL_CURATION, note)
        term = self.index.get(override.object_id)
        release = self.index.release_of(term.curie) if term else None
        return Grounding(
            kind=kind,
            subject_label=label,
            object_id=term.curie if term else override.object_id,
            object_label=term.label if term else None,
            method=Method.MANUAL_CURATION,
            mapping_justification=Method.MANUAL_CURATION.justification,
            matched_text=None,
            confidence=override.confidence,
            predicate_id=override.predicate_id,
            object_source=release.iri if release else None,
            object_source_version=release.version if release else None,
            comment=note,
        )

    def __call__(self, trial: Trial) -> GroundedTrial:
        # Only a condition written as a bare abbreviation needs the record's own definitions.
        bare = any(_ACRONYM.match(c.label.strip()) for c in trial.conditions)
        defined = defined_acronyms(trial.title, trial.official_title, trial.summary) if bare else {}
        conditions = tuple(
            self.mention(MentionKind.CONDITION, c, defined) for c in trial.conditions
        )
        if trial.condition_mesh:
            conditions = tuple(
                self._check_mesh(g, trial.condition_mesh, alone=len(conditions) == 1)
                for g in conditions
            )
        return GroundedTrial(
            trial=trial,
            conditions=conditions,
            cell_products=tuple(
                self._in_title(self.mention(MentionKind.CELL_TYPE, p), trial.title)
                for p in trial.cell_products
            ),
        )

    def _in_title(self, grounding: Grounding, title: str) -> Grounding:
        """A cell product neither its name nor its description types, typed by the one cell
        type the record's title names ("Cell therapy" in "Mesenchymal Stem Cell Transplantation
        in ..."), at the contained-label confidence less a tenth."""
        if grounding.grounded or grounding.method != Method.NONE or not title:
            return grounding
        contained = _contained_term(self._matchers[MentionKind.CELL_TYPE], title)
        if contained is None:
            return grounding
        curie, words = contained
        return self._relinked(
            grounding,
            curie,
            Method.CONTAINED_LABEL,
            words,
            f"the name says no cell type; the record's title names '{words}'",
            confidence=round(Method.CONTAINED_LABEL.confidence - 0.1, 4),
        )

    def _relinked(
        self,
        grounding: Grounding,
        curie: str,
        method: Method,
        matched: str | None,
        comment: str,
        *,
        confidence: float | None = None,
    ) -> Grounding:
        """``grounding`` linked to ``curie`` by ``method`` instead (the record's context found
        what the mention's words did not)."""
        release = self.index.release_of(curie)
        return replace(
            grounding,
            object_id=curie,
            object_label=self.index[curie].label,
            method=method,
            mapping_justification=method.justification,
            matched_text=matched,
            confidence=method.confidence if confidence is None else confidence,
            predicate_id=method.sssom_predicate,
            object_source=release.iri if release else None,
            object_source_version=release.version if release else None,
            comment=comment,
        )

    def _mesh_terms(self, code: Code) -> frozenset[str]:
        """Live DOID terms a MeSH descriptor stands for: by its id as a cross-reference (in
        either of MeSH's id forms, D007239 or D000007239), else (the legacy XML gives names
        only) by its name or another spelling of it. Cached."""
        found = self._mesh_reached.get(code)
        if found is None:
            matcher = self._matchers[MentionKind.CONDITION]
            by_id = [c for curie in _mesh_ids(code.curie) for c in self.index.by_xref(curie)]
            named = by_id or [c for form in variants(code.label) for c in matcher.named(form)]
            found = frozenset(_prefer_live(self.index, matcher.keep(named)))
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

    def _most_specific(self, terms: set[str]) -> set[str]:
        """The terms no other of them is a descendant of."""
        return {t for t in terms if not any(t in self.index.ancestors(o) for o in terms - {t})}

    def _check_mesh(
        self, grounding: Grounding, mesh: tuple[Code, ...], *, alone: bool
    ) -> Grounding:
        """Ground a condition through the study's MeSH coding when its own words match nothing
        whole (or only broader, or several terms), or flag a text match the coding disagrees
        with. ``alone``: the study has only this condition.

        A descriptor named as the mention is (in any spelling) is the mention's own; else the
        descriptors whose words the mention has, ending in its head noun (its last word, not
        a generic one), or every descriptor when the study has only this condition, and of the
        terms they reach the most specific.
        """
        if grounding.method in (Method.MANUAL_CURATION, Method.OUT_OF_SCOPE):
            return grounding  # a curator's word, or no disease to code ("Healthy")
        reached = {code: self._mesh_terms(code) for code in mesh}
        label = grounding.subject_label
        if grounding.object_id is None or grounding.method in _MESH_MAY_NARROW:
            own = _loose_forms(label)
            named = [code for code in mesh if not own.isdisjoint(_loose_forms(code.label))]
            terms = {t for code in named for t in reached[code]}
            if grounding.method == Method.AMBIGUOUS:
                # Several terms match the words: the coding settles it when what it reaches
                # is related to one of them and not to the others.
                terms = self._settled(set(grounding.candidates), reached)
            elif not terms:
                usable = [code for code in mesh if alone or _names_part_of(code.label, label)]
                terms = {t for code in usable for t in reached[code]}
                if grounding.object_id is not None:
                    # A broader link the coding narrows: only to a term below it.
                    below = self.index.descendants(grounding.object_id)
                    terms = {t for t in terms if t in below}
                terms = self._most_specific(terms)
            if len(terms) == 1:
                (curie,) = terms
                code = next((c for c in mesh if curie in reached[c]), None)
                return self._through_mesh(grounding, curie, code)
            if grounding.object_id is None:
                return grounding
        curie = grounding.object_id
        if self._reaches(curie, mesh, reached):
            return grounding
        given = ", ".join(_describe(code) for code in mesh)
        return replace(
            grounding,
            disagreement=f"ClinicalTrials.gov's MeSH coding ({given}) does not reach {curie}",
        )

    def _settled(self, candidates: set[str], reached: dict[Code, frozenset[str]]) -> set[str]:
        """The candidates that the coding's terms tell apart: those related to a reached term
        that is not related to every candidate."""
        kept: set[str] = set()
        for term in {t for terms in reached.values() for t in terms}:
            near = {c for c in candidates if term in self._related_terms(c)}
            if near and near != candidates:
                kept |= near
        return kept

    def _reaches(
        self, curie: str, mesh: tuple[Code, ...], reached: dict[Code, frozenset[str]]
    ) -> bool:
        """Whether a descriptor of the coding reaches the term, an ancestor or a descendant."""
        related = self._related_terms(curie)
        return any(not related.isdisjoint(reached[code]) for code in mesh)

    def _through_mesh(self, grounding: Grounding, curie: str, code: Code | None) -> Grounding:
        how = _describe(code) if code else "of the study"
        matched = (code.curie or code.label) if code else None
        comment = f"through ClinicalTrials.gov's MeSH coding {how}"
        return self._relinked(grounding, curie, Method.MESH_XREF, matched, comment)


#: Links the study's MeSH coding may replace by a descriptor named as the mention is.
_MESH_MAY_NARROW = frozenset({Method.QUALIFIERS_DROPPED, Method.WORDS_DROPPED, Method.AMBIGUOUS})
_GENERIC_WORDS = frozenset({"disease", "disorder", "syndrome", "condition", "complication"})


@lru_cache(maxsize=1 << 16)
def _loose_forms(text: str) -> frozenset[str]:
    """The :func:`loose` forms of every spelling of a name (MeSH names recur study after study)."""
    return frozenset(loose(form) for form in variants(text))


@lru_cache(maxsize=1 << 16)
def _natural_words(name: str) -> tuple[str, ...]:
    """A MeSH heading's words in natural order ("Infections, Bacterial" -> bacterial infection)."""
    forms = variants(name)
    return tuple(loose(forms[1] if "," in name and len(forms) > 1 else name).split())


def _names_part_of(name: str, mention: str) -> bool:
    """Whether ``name`` (a MeSH heading, in natural order) is words of the mention ending in
    its head noun: "Infections" of "Complicated Intra-abdominal Infection"."""
    said = loose(mention).split()
    if not said or said[-1] in _GENERIC_WORDS:
        return False
    words = _natural_words(name)
    return bool(words) and words[-1] == said[-1] and set(words) <= set(said)


def _mesh_ids(curie: str | None) -> list[str]:
    """A MeSH id in both forms NLM writes: D007239 and D000007239."""
    if not curie:
        return []
    match = re.fullmatch(r"(MESH:[A-Z])0*(\d+)", curie)
    if not match:
        return [curie]
    letter, number = match.groups()
    forms = [f"{letter}{int(number):06d}", f"{letter}{int(number):09d}"]
    return list(dict.fromkeys([curie, *forms]))


def _describe(code: Code) -> str:
    return f"{code.label} [{code.curie}]" if code.curie else repr(code.label)


def ground(trial: Trial, index: TermIndex) -> GroundedTrial:
    """Ground every condition and cell product of one trial.

    For many trials, make one :class:`Grounder` and call it per trial: it caches per mention.
    """
    return Grounder(index)(trial)
