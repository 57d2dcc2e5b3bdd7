"""Where record bytes come from: files, folders, globs, ``.gz``, ``.zip`` and standard input.

:func:`iter_record_files` yields one record file at a time (an archive member at a time), and a
JSON Lines file (``.jsonl``, ``.ndjson``, also gzipped) in slices of lines as it is read, so a
load's memory stays flat however many files it reads and however large they are. A record
read from a slice is named as the whole file would name it, through :class:`SliceOffsets`.
Inputs that name nothing, and files that cannot be opened, come out as
:class:`~kg.errors.RecordError` values in the stream, not as exceptions, so one bad input never
stops the others.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from kg.errors import RecordError
from kg.model import Trial
from kg.readers import SUFFIXES, read_trials

__all__ = [
    "LINES_SUFFIXES",
    "RecordFile",
    "SliceOffsets",
    "expand_inputs",
    "iter_record_files",
    "iter_trials",
]

logger = logging.getLogger(__name__)

#: Names of JSON Lines files, which are read in slices of lines.
LINES_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_STUDY_INDEX = re.compile(r"^#(\d+)$")
_LINE_RECORD = re.compile(r"^line (\d+)$")


class RecordFile(NamedTuple):
    """The bytes of a record file, or of a slice of its lines, and the name they are known by."""

    #: ``path``, ``archive.zip!member`` or ``-`` for standard input.
    name: str
    data: bytes
    #: Whether ``data`` is a slice of the lines of a JSON Lines file.
    sliced: bool = False
    #: Whether this is the file's first (or only) piece.
    first: bool = True


class SliceOffsets:
    """Where the slice being read starts in its file, so that its errors name the line and the
    study as reading the whole file would have: call :meth:`start` with each piece, pass its
    errors through :meth:`rebase`, and :meth:`advance` past it."""

    def __init__(self) -> None:
        self.lines = 0
        self.studies = 0

    def start(self, piece: RecordFile) -> None:
        if piece.first:
            self.lines = self.studies = 0

    def rebase(self, piece: RecordFile, error: RecordError) -> RecordError:
        if not piece.sliced or not (self.lines or self.studies):
            return error
        record = error.record
        line = error.line + self.lines if error.line is not None else None
        if record is not None:
            if match := _LINE_RECORD.match(record):
                record = f"line {int(match.group(1)) + self.lines}"
            elif match := _STUDY_INDEX.match(record):
                record = f"#{int(match.group(1)) + self.studies}"
        return RecordError(error.path, record, error.field, error.problem, line=line)

    def advance(self, lines: int, studies: int) -> None:
        self.lines += lines
        self.studies += studies

    @staticmethod
    def lines_of(piece: RecordFile) -> int:
        """Lines in a slice: every slice but a file's last ends with a line break."""
        return piece.data.count(b"\n")

    @staticmethod
    def is_study(item: object) -> bool:
        """Whether a reader's item took a study's place (a line that is not JSON does not)."""
        return not (isinstance(item, RecordError) and item.problem.startswith("JSON Lines:"))


def _known(name: str) -> bool:
    stem = name.lower().removesuffix(".gz")
    return stem.endswith(tuple(s for ss in SUFFIXES.values() for s in ss)) or name.lower().endswith(
        ".zip"
    )


def _relative(path: Path) -> Path:
    """The path relative to the working directory when it lies below it (as provenance shows it)."""
    if not path.is_absolute():
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def expand_inputs(inputs: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given; folders walked for record files (also ``.gz``, ``.zip``); globs expanded.

    ``-`` (standard input) is passed through as ``Path("-")``.

    :raises RecordError: for an input that names nothing.
    """
    for item in inputs:
        if str(item) == "-":
            yield Path("-")
            continue
        path = _relative(Path(item))
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and _known(p.name))
        elif path.is_file():
            yield path
        elif any(ch in str(item) for ch in "*?["):
            anchor = Path(path.anchor) if path.is_absolute() else Path()
            pattern = str(path.relative_to(path.anchor)) if path.is_absolute() else str(item)
            matches = sorted(m for m in anchor.glob(pattern) if m.is_file())
            if not matches:
                raise RecordError(path, None, None, "the pattern matches no file")
            yield from matches
        else:
            raise RecordError(path, None, None, "no such file or directory")


def iter_record_files(
    inputs: Iterable[str | Path], *, stdin: BinaryIO | None = None, slice_lines: int = 1000
) -> Iterator[RecordFile | RecordError]:
    """Every record file the inputs name, one at a time, or the error an input gave.

    A JSON Lines file whose first line is a JSON object comes in slices of ``slice_lines``
    lines (at least 2, so that a slice is never taken for a single JSON document); if it
    cannot be read to its end, the slices before come first, then the error.
    """
    for item in inputs:
        try:
            paths = list(expand_inputs([item]))
        except RecordError as exc:
            yield exc
            continue
        for path in paths:
            if str(path) != "-" and _looks_like_lines(path):
                yield from _slices(path, max(2, slice_lines))
            else:
                yield from _open(path, stdin)


def _looks_like_lines(path: Path) -> bool:
    """A JSON Lines file whose first line is a whole JSON object, so it can be cut at lines."""
    if not path.name.lower().endswith(LINES_SUFFIXES):
        return False
    try:
        with _open_lines(path) as stream:
            first = stream.readline()
        return bool(first.strip()) and isinstance(json.loads(first), dict)
    except (OSError, EOFError, zlib.error, ValueError):
        return False


def _open_lines(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _slices(path: Path, lines: int) -> Iterator[RecordFile | RecordError]:
    name = str(path)
    first = True
    try:
        with _open_lines(path) as stream:
            batch: list[bytes] = []
            for line in stream:
                batch.append(line)
                if len(batch) >= lines:
                    yield RecordFile(name, b"".join(batch), True, first)
                    batch = []
                    first = False
            if batch:
                yield RecordFile(name, b"".join(batch), True, first)
    except (OSError, EOFError, zlib.error) as exc:
        yield RecordError(name, None, None, f"cannot read: {exc}")


def _open(path: Path, stdin: BinaryIO | None) -> Iterator[RecordFile | RecordError]:
    name = str(path)
    try:
        if name == "-":
            yield RecordFile("-", (stdin or sys.stdin.buffer).read())
        elif name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                for member in sorted(archive.namelist()):
                    if not member.endswith("/") and _known(member):
                        data = archive.read(member)
                        if member.lower().endswith(".gz"):
                            data = gzip.decompress(data)
                        yield RecordFile(f"{name}!{member}", data)
        elif name.lower().endswith(".gz"):
            yield RecordFile(name, gzip.decompress(path.read_bytes()))
        else:
            yield RecordFile(name, path.read_bytes())
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        yield RecordError(name, None, None, f"cannot read: {exc}")


def iter_trials(inputs: Iterable[str | Path]) -> Iterator[Trial]:
    """Every trial the inputs hold; unreadable inputs and records are logged and skipped."""
    for item in iter_record_files(inputs):
        if isinstance(item, RecordError):
            logger.warning("skipped %s", item)
            continue
        try:
            for trial in read_trials(item.data, item.name):
                if isinstance(trial, RecordError):
                    logger.warning("skipped %s", trial)
                else:
                    yield trial
        except RecordError as exc:
            logger.warning("skipped %s", exc)
