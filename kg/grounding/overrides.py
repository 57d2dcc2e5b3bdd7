"""Curator overrides: a curator's decisions, which win over every automatic strategy.

A curator writes them as an SSSOM TSV (after a look at :func:`kg.grounding.review.review`);
:func:`read_overrides` reads them for the grounder, which records them as manual curation.
"""

from __future__ import annotations

import logging
from pathlib import Path

import platformdirs

from kg.errors import RecordError
from kg.grounding.methods import Method
from kg.model import Override
from kg.ontology.terms import normalise_text

__all__ = ["DEFAULT_OVERRIDES", "read_overrides"]

logger = logging.getLogger(__name__)

#: Where a curator's overrides are read from when ``--overrides`` is not given.
DEFAULT_OVERRIDES = Path(platformdirs.user_data_dir("trialkg")) / "overrides.sssom.tsv"


def read_overrides(path: str | Path) -> dict[str, Override]:
    """A curator's SSSOM TSV of decisions, by normalised mention text.

    Columns used: ``subject_label`` and ``object_id`` (required; ``sssom:NoTermFound`` says the
    mention means no term), ``predicate_id``, ``confidence``, ``comment`` (optional). Lines
    starting with ``#`` (the SSSOM metadata block) are skipped.

    :raises RecordError: for a missing column or a row without a mention, naming file and line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RecordError(path, None, None, f"cannot read the overrides: {exc.strerror}") from exc
    body = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    if not body:
        return {}
    header_line, header = body[0][0], body[0][1].split("\t")
    for column in ("subject_label", "object_id"):
        if column not in header:
            raise RecordError(
                path,
                None,
                column,
                "an overrides file is an SSSOM TSV with at "
                f"least subject_label and object_id columns; found {header}",
                line=header_line,
            )
    overrides: dict[str, Override] = {}
    for number, line in body[1:]:
        cells = dict(zip(header, line.split("\t"), strict=False))
        label = cells.get("subject_label", "").strip()
        if not label:
            raise RecordError(path, f"line {number}", "subject_label", "empty mention", line=number)
        object_id = cells.get("object_id", "").strip()
        try:
            confidence = float(cells.get("confidence") or Method.MANUAL_CURATION.confidence)
        except ValueError:
            raise RecordError(
                path,
                f"line {number}",
                "confidence",
                f"expected a number; found {cells.get('confidence')!r}",
                line=number,
            ) from None
        overrides[normalise_text(label)] = Override(
            subject_label=label,
            object_id=None if object_id in ("", "sssom:NoTermFound") else object_id,
            predicate_id=cells.get("predicate_id") or "skos:exactMatch",
            confidence=confidence,
            comment=cells.get("comment") or None,
            source=f"{path.name}:{number}",
        )
    logger.info("read %d curator overrides from %s", len(overrides), path)
    return overrides
