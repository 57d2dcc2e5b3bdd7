"""Readers: one module per record format, each turning a file into :class:`~kg.model.Trial` s.

``READERS`` maps a format name to its reader and feeds the command line's choices. A reader
takes a path and yields the trials in it, raising :class:`~kg.errors.RecordError` for a record
it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import kg.readers.hpscreg as hpscreg
from kg.errors import RecordError
from kg.model import Trial

__all__ = ["READERS", "detect_format", "read_trials"]

Reader = Callable[[Path], Iterator[Trial]]


def _hpscreg(path: Path) -> Iterator[Trial]:
    yield hpscreg.read_record(path)


#: Format name -> reader.
READERS: dict[str, Reader] = {
    "hpscreg": _hpscreg,
}

#: File suffixes each format is recognised by, when a directory is walked.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "hpscreg": (".txt",),
}


def detect_format(path: Path) -> str:
    """The format of a record file, from its suffix.

    :raises RecordError: when no reader knows the suffix, listing the known ones.
    """
    for name, suffixes in SUFFIXES.items():
        if path.suffix.lower() in suffixes:
            return name
    known = ", ".join(f"{s} ({n})" for n, ss in SUFFIXES.items() for s in ss)
    raise RecordError(
        path, None, None, f"no reader for files ending {path.suffix!r}; known: {known}"
    )


def read_trials(path: Path, *, fmt: str | None = None) -> Iterator[Trial]:
    """Yield every trial in a record file, with the reader its format calls for."""
    name = fmt or detect_format(path)
    try:
        reader = READERS[name]
    except KeyError:
        raise RecordError(
            path, None, None, f"unknown format {name!r}; known: {', '.join(READERS)}"
        ) from None
    yield from reader(path)
