"""Ontology upgrades: re-ground the same records against a newer release and say what changed.

For each mention the report gives the link before and after, and one change:

- ``unchanged``: same term, same way;
- ``label changed``: same term, whose label the new release changed;
- ``better match`` / ``weaker match``: same term, found by another strategy with a higher or
  lower confidence (for instance an exact synonym that became the label);
- ``replaced``: the old term became obsolete and its replacement is linked now;
- ``relinked``: another term entirely;
- ``link lost`` / ``link gained``: grounded before and not now, or the other way round;
- ``other links changed``: a mention naming several conditions links another set of terms
  besides its first ("Breast and Ovarian Cancer").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kg.grounding.grounder import Grounder
from kg.model import Grounding, Trial
from kg.ontology.terms import TermIndex

__all__ = ["Change", "compare", "upgrade_report"]


@dataclass(frozen=True, slots=True)
class Change:
    """What happened to one mention's link between two releases."""

    trial: str
    kind: str
    mention: str
    #: One or more of the changes listed in the module docstring, e.g.
    #: ``("label changed", "better match")``.
    changes: tuple[str, ...]
    old: Grounding
    new: Grounding

    @property
    def still_linked(self) -> bool:
        return self.new.object_id is not None


def compare(trial: str, old: Grounding, new: Grounding, new_index: TermIndex) -> Change:
    """Classify the difference between two groundings of the same mention."""
    changes: list[str] = []
    if old.object_id is None and new.object_id is not None:
        changes.append("link gained")
    elif old.object_id is not None and new.object_id is None:
        changes.append("link lost")
    elif old.object_id != new.object_id:
        retired = new_index.get(old.object_id or "")
        replaced = retired is not None and new.object_id in retired.replaced_by
        changes.append(
            "replaced" if replaced or "replaced by" in (new.comment or "") else "relinked"
        )
    elif old.object_id is not None:
        if old.object_label != new.object_label:
            changes.append("label changed")
        if old.method != new.method or old.confidence != new.confidence:
            changes.append("better match" if new.confidence > old.confidence else "weaker match")
    if {g.object_id for g in old.also} != {g.object_id for g in new.also}:
        changes.append("other links changed")
    return Change(
        trial, old.kind.value, old.subject_label, tuple(changes) or ("unchanged",), old, new
    )


def upgrade_report(
    trials: Iterable[Trial], old_index: TermIndex, new_index: TermIndex
) -> Iterator[Change]:
    """Ground every mention of ``trials`` against both indexes and compare, mention by mention.

    Read the trials with :func:`kg.load.inputs.iter_trials` to compare the records of files.
    """
    before = Grounder(old_index, warn_ungrounded=False)
    after = Grounder(new_index, warn_ungrounded=False)
    for trial in trials:
        old, new = before(trial), after(trial)
        pairs = [
            *zip(old.conditions, new.conditions, strict=True),
            *zip(old.cell_products, new.cell_products, strict=True),
        ]
        for was, now in pairs:
            yield compare(trial.key, was, now, new_index)
