"""The one record loop: read each record of a file or slice, ground it, write it, tally it.

Both ways of loading run it: :func:`kg.load.transactional.load_records` writes each trial into
its store in one transaction, and :mod:`kg.load.bulk`'s worker processes write N-Quads bytes
for the bulk loader. What a load rejects, how it counts records, studies and mentions, and
what a reader's crash costs (its file or slice only) are decided here, once.

A piece's errors name lines and studies within the piece; :func:`add_piece` rebases them onto
the whole file (:class:`kg.load.inputs.SliceOffsets`) as it adds the piece to a load's report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from kg.errors import RecordError, StoreError
from kg.grounding.grounder import Grounder
from kg.load.inputs import RecordFile, SliceOffsets
from kg.load.report import LoadReport
from kg.model import GroundedTrial, Trial
from kg.readers import read_trials

__all__ = ["PieceResult", "WriteTrial", "add_piece", "load_piece", "reject"]

logger = logging.getLogger(__name__)

#: Writes one grounded trial wherever the load goes; returns the number of quads written.
WriteTrial = Callable[[Trial, GroundedTrial], int]


@dataclass
class PieceResult:
    """What one file or slice gave: its counts, with errors named within the piece."""

    #: The piece read, its bytes dropped (a result may travel back from a worker process).
    piece: RecordFile
    report: LoadReport = field(default_factory=LoadReport)
    #: Lines in the piece and studies read from them, to rebase the next piece's errors.
    lines: int = 0
    studies: int = 0
    #: The store write that failed (a full disk), ending the piece there; the load stops.
    stopped: StoreError | None = None


def load_piece(piece: RecordFile, grounder: Grounder, write: WriteTrial) -> PieceResult:
    """Read, ground and write every record of one file or slice of lines.

    A record a reader rejects is listed and skipped; a reader that fails outright (its own
    error, or a ``ValueError``/``UnicodeError``/``RecursionError`` from a bug) costs the rest
    of this piece only. A write that fails ends the piece, counted up to there, with the
    error in :attr:`PieceResult.stopped`: the caller stops the load.
    """
    result = PieceResult(RecordFile(piece.name, b"", piece.sliced, piece.first))
    report = result.report
    try:
        for trial in read_trials(piece.data, piece.name):
            report.records_read += 1
            result.studies += SliceOffsets.is_study(trial)
            if isinstance(trial, RecordError):
                report.rejected.append(trial)
                continue
            grounded = grounder(trial)
            quads = write(trial, grounded)
            report.quads += quads
            report.trials_loaded += 1
            for grounding in (*grounded.conditions, *grounded.cell_products):
                report.count(trial.key, grounding)
            logger.info("loaded trial %s from %s: %d quads", trial.key, piece.name, quads)
    except RecordError as exc:
        report.records_read += 1
        report.rejected.append(exc.with_traceback(None))  # frames would pin the store
    except StoreError as exc:
        result.stopped = exc.with_traceback(None)
    except (ValueError, UnicodeError, RecursionError) as exc:  # a reader bug must not stop the load
        report.records_read += 1
        problem = f"unreadable record ({type(exc).__name__}: {exc})"
        report.rejected.append(RecordError(piece.name, None, None, problem))
        logger.debug("reader failed on %s", piece.name, exc_info=True)
    result.lines = SliceOffsets.lines_of(piece)
    return result


def reject(totals: LoadReport, error: RecordError) -> None:
    """List a record (or an input) that could not be loaded, and say so in the log."""
    totals.rejected.append(error)
    logger.warning("rejected %s", error)


def add_piece(totals: LoadReport, result: PieceResult, offsets: SliceOffsets) -> None:
    """Add one piece's result to a load's report, pieces in input order.

    Its errors are rebased onto the whole file and logged; ``offsets`` then moves past it.
    """
    piece = result.piece
    if piece.first:
        totals.files += 1
    offsets.start(piece)
    for error in result.report.rejected:
        reject(totals, offsets.rebase(piece, error))
    offsets.advance(result.lines, result.studies)
    totals.add_counts(result.report)
