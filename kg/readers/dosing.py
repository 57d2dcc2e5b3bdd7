"""Dose groups in free text: "low (0.2×107), medium (0.5×107) and high dosage (1.0×107) of cells
injection for each ovary" -> three :class:`~kg.model.DoseArm` s with numeric cell counts.

Registry pages lose superscripts, so "0.2×107" is 0.2×10^7 cells. Only quantities written as a
power of ten or in millions count as cell doses; plain numbers ("3 groups") never do.

>>> [(a.label, a.cell_count, a.scope) for a in find_dose_arms(
...     "Patients get low (0.2×107) or high dosage (1.0×107) cells for each ovary.")]
[('low', 2000000.0, 'per ovary'), ('high', 10000000.0, 'per ovary')]
"""

from __future__ import annotations

import re

from kg.model import DoseArm

__all__ = ["find_dose_arms"]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z(])")
_QUANTITY = re.compile(
    r"(?P<mantissa>\d+(?:[.,]\d+)?)\s*"
    r"(?:"
    r"(?:[×xX*]|\bx)\s*10\s*(?:\^|e|E|\*\*)?\s*\(?\s*(?P<exponent>[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})\s*\)?"
    r"|(?P<word>million|billion)\b"
    r")"
)
_GROUP_WORDS = (
    "low|lower|medium|middle|mid|intermediate|moderate|high|higher|single|standard|"
    "first|second|third|fourth"
)
_LABEL_BEFORE = re.compile(
    rf"\b(?P<label>(?:{_GROUP_WORDS})|(?:arm|group|cohort|dose|level)\s+\w+)"
    r"[\s-]*(?:dos(?:e|age|ing)s?)?[\s-]*(?:group|arm|cohort)?\s*(?:of\s*)?[(:]?\s*$",
    re.IGNORECASE,
)
_SCOPE_EACH = re.compile(r"\b(?:for|per|into|in|to)\s+(?:each|every|the)\s+(\w+)", re.IGNORECASE)
_SCOPE_PER = re.compile(r"\bper\s+(ovary|eye|eyeball|joint|knee|lesion|side)\b", re.IGNORECASE)
_PER_KG = re.compile(r"(?:/\s*kg\b|\bper\s+kg\b|\bper\s+kilogram\b)", re.IGNORECASE)
_SCOPED_ORGANS = {"ovary", "ovaries", "eye", "eyes", "eyeball", "joint", "knee", "lesion", "side"}


def _count(match: re.Match[str]) -> float | None:
    try:
        mantissa = float(match.group("mantissa").replace(",", "."))
    except ValueError:
        return None
    if match.group("exponent"):
        exponent = int(match.group("exponent").translate(_SUPERSCRIPTS))
        return mantissa * 10.0**exponent
    if match.group("word"):
        return mantissa * (1e6 if match.group("word").lower() == "million" else 1e9)
    return None


def _scope(sentence: str) -> str | None:
    if _PER_KG.search(sentence):
        return "per kg body weight"
    for pattern in (_SCOPE_PER, _SCOPE_EACH):
        for match in pattern.finditer(sentence):
            word = match.group(1).lower()
            if word in _SCOPED_ORGANS:
                singular = {"ovaries": "ovary", "eyes": "eye"}.get(word, word)
                return f"per {singular}"
    return None


def find_dose_arms(text: str) -> tuple[DoseArm, ...]:
    """Read the dose groups a text describes; ``()`` when it describes none. Never raises.

    :param text: free text such as a trial's description.
    :returns: one arm per dose found, in text order, each with the sentence it came from.
    """
    arms: list[DoseArm] = []
    for sentence in _SENTENCE.split(text or ""):
        sentence = sentence.strip()
        found = [(m, _count(m)) for m in _QUANTITY.finditer(sentence)]
        found = [(m, n) for m, n in found if n is not None and n >= 1]
        if not found:
            continue
        scope = _scope(sentence)
        for i, (match, count) in enumerate(found, 1):
            before = _LABEL_BEFORE.search(sentence[: match.start()])
            label = " ".join(before.group("label").lower().split()) if before else f"dose {i}"
            if count is not None:
                arms.append(
                    DoseArm(label=label, cell_count=count, scope=scope, source_text=sentence)
                )
    return tuple(arms)
