"""Matching mention text against one ontology's terms: the lookups behind each text strategy.

:func:`loose` is the normalisation of the ``normalised_label`` strategy (and of the search for
a label inside a mention); :class:`Matcher` answers, for one term index and one target
ontology, which terms each strategy finds for a mention. The grounder
(:mod:`kg.grounding.grounder`) decides what to make of the answers.

>>> loose("T-Cells (CD4+)")
't cell cd4'
>>> loose("β-cell-like")
'beta cell'
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from kg.grounding.methods import Method
from kg.ontology.terms import Term, TermIndex, normalise_text
from kg.resources import resource_dir

__all__ = ["Matcher", "Strategy", "drop_qualifiers", "loose", "variants"]

#: One text strategy: its method, the terms it finds (computed only when tried), and the text
#: it matched on, when that is the mention itself.
Strategy = tuple[Method, Callable[[], list[str]], str | None]

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


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # "allergies", "therapies"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def loose(text: str) -> str:
    """Drop case, punctuation, possessive 's, Greek letters (spelt out), plurals and "-like"."""
    text = "".join(_GREEK.get(ch, ch) for ch in unicodedata.normalize("NFKC", text.casefold()))
    text = _POSSESSIVE.sub("", text)
    words = [w for w in _NON_WORD.sub(" ", text).split() if w != "like"]
    return " ".join(_singular(w) for w in words)


# -- other ways of writing the same name --------------------------------------------------------
# Sponsors write conditions as MeSH lists them ("Sarcoma, Kaposi"), in British spelling
# ("Leukaemia"), with possessives ("Stargardt's"), roman numerals ("Type I"), glued words
# ("Type1diabetes") and a trailing abbreviation ("Alcohol Use Disorder (AUD)"). DOID writes
# American spelling, natural word order and arabic numerals, so each variant is one rewrite.

_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_GLUED = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z]{3})", re.I)
_TRAILING_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)\s*$")
# British -> American spellings as DOID writes them; word-internal, so "ae"/"oe" only where
# the American word drops the vowel.
_AMERICAN = [
    (re.compile(r"(?<=[a-z])aem", re.I), "em"),  # leukaemia, anaemia, haematoma, ischaemic
    (re.compile(r"\bhaem", re.I), "hem"),
    (re.compile(r"\baet", re.I), "et"),  # aetiology
    (re.compile(r"(?<=[a-z])oe(?=[a-z])", re.I), "e"),  # oedema, oesophageal, diarrhoea, coeliac
    (re.compile(r"\boe(?=[a-z])", re.I), "e"),
    (re.compile(r"(?<=[a-z])ae(?=[cdlt])", re.I), "e"),  # paediatric, gynaecology, faecal
    (re.compile(r"(?<=[a-z]{2})our\b", re.I), "or"),  # tumour, humour
    (re.compile(r"(?<=[a-z]{2})is(e|ed|ing|ation)\b", re.I), r"iz\1"),
]
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_ROMAN_WORD = re.compile(r"\b(i{1,3}|iv|v)\b", re.I)


def _inverted(text: str) -> str | None:
    """MeSH's inverted order put back: "Sarcoma, Kaposi" -> "Kaposi Sarcoma"; "Leukemia,
    Myeloid, Acute" -> "Acute Myeloid Leukemia"."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) < 2 or not all(parts) or any(len(part.split()) > 4 for part in parts):
        return None
    return " ".join(reversed(parts))


def _american(text: str) -> str:
    for pattern, replacement in _AMERICAN:
        text = pattern.sub(replacement, text)
    return text


def _arabic(text: str) -> str:
    return _ROMAN_WORD.sub(lambda m: _ROMAN[m.group(1).lower()], text)


def _with_mellitus(text: str) -> str:
    """ "type 1 diabetes" is DOID's "type 1 diabetes mellitus"."""
    lowered = text.lower()
    if "diabetes" in lowered and "mellitus" not in lowered and "insipidus" not in lowered:
        return re.sub(r"\bdiabetes\b", "diabetes mellitus", text, flags=re.I)
    return text


_NEOPLASM = re.compile(r"\b(?:malignant\s+)?(neoplasms?|tumou?rs?)\b", re.I)


def _as_cancer(text: str) -> str | None:
    """ "Colorectal Neoplasms", "Malignant Uterine Neoplasm", "Brain Tumor": DOID names the
    malignant disease of a site "<site> cancer"."""
    if not _NEOPLASM.search(text):
        return None
    return _NEOPLASM.sub("cancer", re.sub(r"^\s*malignant\s+", "", text, flags=re.I))


def variants(text: str) -> list[str]:
    """Other spellings of the same name, the mention first, each once.

    >>> variants("Sarcoma, Kaposi")
    ['Sarcoma, Kaposi', 'Kaposi Sarcoma']
    >>> variants("Type1diabetes")[-1]
    'Type 1 diabetes mellitus'
    >>> variants("Acute Lymphoblastic Leukaemia")[1]
    'Acute Lymphoblastic Leukemia'
    """
    found = [text.strip()]

    def add(rewrite: Callable[[str], str | None]) -> None:
        for form in list(found):
            new = rewrite(form)
            if new and new.strip() and new.strip() not in found:
                found.append(new.strip())

    add(lambda t: _TRAILING_PARENTHESIS.sub("", t))
    add(_inverted)
    add(_american)
    add(lambda t: _POSSESSIVE.sub("", t))
    add(lambda t: _GLUED.sub(" ", t))
    add(_arabic)
    add(_with_mellitus)
    add(_as_cancer)
    return found


# -- qualifiers a curator drops to reach the most specific term that contains the mention ------

_QUALIFIERS = re.compile(
    r"\b(?:"
    r"stage\s+(?:[0iv]+|\d)[a-c]?\d?(?:\s*(?:-|to|/)\s*(?:[iv]+|\d)[a-c]?\d?)?"
    r"|(?:ajcc|figo|who)\s*v?\d*"
    r"|grade\s+(?:[1-4]|[iv]+|high|low)"
    r"|relapsed\s*/\s*refractory|refractory\s*/\s*relapsed"
    r"|recurrent|refractory|relapsed|relapsing|resistant"
    r"|adult|adults|childhood|pediatric|paediatric|juvenile|in\s+children|in\s+adults"
    r"|locally\s+advanced|advanced|metastatic|unresectable|inoperable|newly\s+diagnosed"
    r"|previously\s+treated|untreated|de\s+novo|progressive"
    r"|mild|moderate|severe|moderate\s+to\s+severe|mild\s+to\s+moderate"
    r"|(?:with|and)\s+t\(\d+;\d+\)(?:\([^)]*\))?"
    r"|t\(\d+;\d+\)(?:\([^)]*\))?"
    r"|of\s+the\s+\w+"
    r")(?!\w)",
    re.I,
)
_SEPARATORS = re.compile(r"\s*[,;]\s*|\s{2,}")


def drop_qualifiers(text: str) -> tuple[str, list[str]]:
    """The mention without stage, grade, recurrence, age group, extent, severity and
    translocation qualifiers, and the words dropped.

    >>> drop_qualifiers("Stage IV Non-small Cell Lung Cancer AJCC v8")
    ('Non-small Cell Lung Cancer', ['Stage IV', 'AJCC v8'])
    >>> drop_qualifiers("Recurrent Adult Acute Myeloid Leukemia")
    ('Acute Myeloid Leukemia', ['Recurrent', 'Adult'])
    """
    dropped = [m.group(0) for m in _QUALIFIERS.finditer(text)]
    rest = _QUALIFIERS.sub(" ", text)
    rest = _SEPARATORS.sub(" ", rest).strip(" ,;/-")
    return " ".join(rest.split()), dropped


def read_wrong_synonyms(path: Path) -> frozenset[tuple[str, str]]:
    """(CURIE, normalised synonym) pairs a curation file says are wrong: columns ``term_id``,
    ``synonym``, ``reason`` (tab-separated, ``#`` comments)."""
    pairs = set()
    with path.open(encoding="utf-8") as handle:
        rows = (line for line in handle if line.strip() and not line.startswith("#"))
        for record in csv.DictReader(rows, delimiter="\t"):
            pairs.add((record["term_id"].strip(), normalise_text(record["synonym"])))
    return frozenset(pairs)


#: Synonyms of the shipped releases known to be wrong (DOID 2024 lists "diabetes mellitus type
#: 2" as an EXACT synonym of MODY type 1): ontologies/synonym-corrections.tsv.
WRONG_SYNONYMS = read_wrong_synonyms(resource_dir("ontologies") / "synonym-corrections.tsv")


class Matcher:
    """The strategies over one term index and one target ontology prefix."""

    def __init__(
        self,
        index: TermIndex,
        prefix: str,
        *,
        wrong_synonyms: frozenset[tuple[str, str]] = WRONG_SYNONYMS,
    ) -> None:
        self.index = index
        self.prefix = prefix
        self.wrong_synonyms = wrong_synonyms
        self._loose: dict[str, list[str]] | None = None

    def synonyms(self, text: str, scope: str = "EXACT") -> list[str]:
        """Terms of the target ontology with this synonym, but for synonyms known to be wrong."""
        said = normalise_text(text)
        return [
            c
            for c in self.keep(self.index.by_synonym(text, scope))
            if (c, said) not in self.wrong_synonyms
        ]

    def named(self, text: str) -> list[str]:
        """Terms whose label or EXACT synonym is ``text`` (case and spacing aside), else whose
        :func:`loose` form is."""
        found = self.keep(self.index.by_label(text)) or self.synonyms(text)
        return found or self.keep(self.loose_labels().get(loose(text), ()))

    def variant_matches(self, label: str) -> list[str]:
        """Terms named by the first other spelling of the mention that names any."""
        for form in variants(label)[1:]:
            found = self.named(form)
            if found:
                return found
        return []

    def keep(self, curies: Iterable[str]) -> list[str]:
        """The CURIEs of the target ontology among ``curies``, sorted, once each."""
        return sorted({c for c in curies if c.startswith(self.prefix + ":")})

    def loose_labels(self) -> dict[str, list[str]]:
        """Terms of the target ontology by the :func:`loose` form of their label and EXACT
        synonyms; built on first use, since only mentions no exact strategy matched need it."""
        if self._loose is None:
            table: dict[str, list[str]] = {}
            for term in self.index.iter_terms():
                if term.curie.startswith(self.prefix + ":"):
                    for name in (
                        term.label,
                        *(s.text for s in term.synonyms if s.scope == "EXACT"),
                    ):
                        if name and (term.curie, normalise_text(name)) not in self.wrong_synonyms:
                            table.setdefault(loose(name), []).append(term.curie)
            self._loose = table
        return self._loose

    def strategies(self, label: str, description: str | None) -> list[Strategy]:
        """The text strategies for one mention, in order of trust."""
        return [
            (Method.EXACT_LABEL, lambda: self.keep(self.index.by_label(label)), label),
            (Method.EXACT_SYNONYM, lambda: self.synonyms(label), label),
            (Method.DEFINITION, lambda: self._definition_matches(description), None),
            (
                Method.NORMALISED_LABEL,
                lambda: self.keep(self.loose_labels().get(loose(label), ())),
                None,
            ),
            (Method.NORMALISED_LABEL, lambda: self.variant_matches(label), None),
            (
                Method.RELATED_SYNONYM,
                lambda: sorted(
                    {
                        c
                        for scope in ("NARROW", "BROAD", "RELATED")
                        for c in self.synonyms(label, scope)
                    }
                ),
                label,
            ),
        ]

    def _definition_matches(self, description: str | None) -> list[str]:
        """Terms whose definition is the description, or the part of it before a "; "."""
        if not description:
            return []
        found = self.keep(self.index.by_definition(description))
        if found:
            return found
        # hPSCreg writes "<definition>; <comment>": try each split point at "; ".
        text = description
        candidates: set[str] = set()
        start = 0
        while (cut := text.find("; ", start)) != -1:
            candidates.update(self.keep(self.index.by_definition(text[:cut])))
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
