"""What a load did: the report every way of loading records returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.errors import RecordError
from kg.model import Grounding, MentionKind

__all__ = ["LoadReport"]


@dataclass
class LoadReport:
    """What a load did: counts, and every rejected record with its reason."""

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
    #: (trial key, grounding) for each mention left ungrounded.
    ungrounded: list[tuple[str, Grounding]] = field(default_factory=list)
    #: IRIs of the named graphs written.
    graphs: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def count(self, key: str, grounding: Grounding) -> None:
        tally = self.grounded[grounding.kind]
        if grounding.grounded:
            tally[0] += 1
        else:
            tally[1] += 1
            self.ungrounded.append((key, grounding))

    def add_counts(self, other: LoadReport) -> None:
        """Add another report's records, trials, quads, mentions and graphs to this one.

        Its files and rejected records are not added: :func:`kg.load.loop.add_piece` counts
        the files and names each reject as the whole file would.
        """
        self.records_read += other.records_read
        self.trials_loaded += other.trials_loaded
        self.quads += other.quads
        for kind, (grounded, ungrounded) in other.grounded.items():
            self.grounded[kind][0] += grounded
            self.grounded[kind][1] += ungrounded
        self.ungrounded.extend(other.ungrounded)
        self.graphs |= other.graphs
