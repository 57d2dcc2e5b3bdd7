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

import re
import unicodedata
from collections.abc import Callable, Iterable

from kg.grounding.methods import Method
from kg.ontology.terms import Term, TermIndex, normalise_text

__all__ = ["Matcher", "Strategy", "loose"]

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


def loose(text: str) -> str:
    """Drop case, punctuation, Greek letters (spelt out), plural 's' and "-like"."""
    text = "".join(_GREEK.get(ch, ch) for ch in unicodedata.normalize("NFKC", text.casefold()))
    words = [w for w in _NON_WORD.sub(" ", text).split() if w != "like"]
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words
    )


class Matcher:
    """The strategies over one term index and one target ontology prefix."""

    def __init__(self, index: TermIndex, prefix: str) -> None:
        self.index = index
        self.prefix = prefix
        self._loose: dict[str, list[str]] | None = None

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
                        if name:
                            table.setdefault(loose(name), []).append(term.curie)
            self._loose = table
        return self._loose

    def strategies(self, label: str, description: str | None) -> list[Strategy]:
        """The text strategies for one mention, in order of trust."""
        return [
            (Method.EXACT_LABEL, lambda: self.keep(self.index.by_label(label)), label),
            (
                Method.EXACT_SYNONYM,
                lambda: self.keep(self.index.by_synonym(label, "EXACT")),
                label,
            ),
            (Method.DEFINITION, lambda: self._definition_matches(description), None),
            (
                Method.NORMALISED_LABEL,
                lambda: self.keep(self.loose_labels().get(loose(label), ())),
                None,
            ),
            (
                Method.RELATED_SYNONYM,
                lambda: self.keep(
                    c
                    for scope in ("NARROW", "BROAD", "RELATED")
                    for c in self.index.by_synonym(label, scope)
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
