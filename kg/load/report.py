"""What a load did: the report every way of loading records returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.errors import RecordError
from kg.grounding.methods import Method
from kg.model import Grounding, MentionKind

__all__ = ["KEPT_UNGROUNDED", "LoadReport"]

#: Ungrounded mentions a report keeps as examples; all of them are counted (``grounded``), and
#: ``trialkg query ungrounded-mentions`` lists them from the store. A report stays small
#: however many trials a load reads.
KEPT_UNGROUNDED = 1000


@dataclass
class LoadReport:
    """What a load did: counts, and every rejected record with its reason.

    Its size does not grow with the trials loaded, only with the records rejected.
    """

    files: int = 0
    records_read: int = 0
    trials_loaded: int = 0
    quads: int = 0
    #: Every record that could not be loaded, with the reason.
    rejected: list[RecordError] = field(default_factory=list)
    #: Groundings made, by mention kind: (grounded, ungrounded).
    grounded: dict[MentionKind, list[int]] = field(
        default_factory=lambda: {kind: [0, 0] for kind in MentionKind}
    )
    #: Of the ungrounded, those that name no disease (:data:`Method.OUT_OF_SCOPE`), by kind.
    out_of_scope: dict[MentionKind, int] = field(
        default_factory=lambda: dict.fromkeys(MentionKind, 0)
    )
    #: (trial key, grounding) for the first :data:`KEPT_UNGROUNDED` mentions left ungrounded.
    ungrounded: list[tuple[str, Grounding]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def count(self, key: str, grounding: Grounding) -> None:
        tally = self.grounded[grounding.kind]
        if grounding.grounded:
            tally[0] += 1
        else:
            tally[1] += 1
            if grounding.method == Method.OUT_OF_SCOPE:
                self.out_of_scope[grounding.kind] += 1
            if len(self.ungrounded) < KEPT_UNGROUNDED:
                self.ungrounded.append((key, grounding))

    @property
    def ungrounded_count(self) -> int:
        """Every mention left ungrounded, of every kind (:attr:`ungrounded` keeps the first)."""
        return sum(ungrounded for _, ungrounded in self.grounded.values())

    def add_counts(self, other: LoadReport) -> None:
        """Add another report's records, trials, quads and mentions to this one.

        Its files and rejected records are not added: :func:`kg.load.loop.add_piece` counts
        the files and names each reject as the whole file would.
        """
        self.records_read += other.records_read
        self.trials_loaded += other.trials_loaded
        self.quads += other.quads
        for kind, (grounded, ungrounded) in other.grounded.items():
            self.grounded[kind][0] += grounded
            self.grounded[kind][1] += ungrounded
        for kind, count in other.out_of_scope.items():
            self.out_of_scope[kind] += count
        self.ungrounded.extend(other.ungrounded[: KEPT_UNGROUNDED - len(self.ungrounded)])
