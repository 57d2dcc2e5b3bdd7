"""Where record bytes come from: files, folders, globs, ``.gz``, ``.zip`` and standard input.

:func:`iter_record_files` yields one record file at a time (an archive member at a time), and a
JSON Lines file (``.jsonl``, ``.ndjson``, also gzipped or in a ``.zip``) in slices of lines as it
is read, so a load's memory stays flat however many files it reads and however large they are.
Archives are unpacked as they are read, and no record file, member or line is read past
:func:`max_record_bytes` (256 MiB unless ``TRIALKG_MAX_RECORD_BYTES`` says otherwise): an
archive of a few kilobytes that unpacks to gigabytes costs its member, not the machine. A record
read from a slice is named as the whole file would name it, through :class:`SliceOffsets`.
Inputs that name nothing, and files that cannot be opened, come out as
:class:`~kg.errors.RecordError` values in the stream, not as exceptions, so one bad input never
stops the others.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from kg.errors import RecordError, TrialkgError
from kg.model import Trial
from kg.readers import SUFFIXES, read_trials

__all__ = [
    "LIMIT_VARIABLE",
    "LINES_SUFFIXES",
    "MAX_RECORD_BYTES",
    "RecordFile",
    "SliceOffsets",
    "expand_inputs",
    "iter_record_files",
    "iter_trials",
    "max_record_bytes",
]

logger = logging.getLogger(__name__)

#: Names of JSON Lines files, which are read in slices of lines.
LINES_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
#: The most bytes one record file, archive member or JSON Line may unpack to by default: far
#: above any real record (a page of 1,000 ClinicalTrials.gov studies is tens of MB), far
#: below what an archive made to unpack to gigabytes would take.
MAX_RECORD_BYTES = 256 * 1024 * 1024
#: The environment variable that sets another limit, in bytes.
LIMIT_VARIABLE = "TRIALKG_MAX_RECORD_BYTES"
_CHUNK = 1024 * 1024
# What reading a damaged file or archive member raises: zipfile's own errors, and
# NotImplementedError / RuntimeError for a compression method it lacks or an encrypted member.
_UNREADABLE = (OSError, EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError, RuntimeError)


class _Stream(Protocol):
    """What the readers here need of a file, an archive member or a stream unpacking one."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


_Opener = Callable[[], AbstractContextManager[_Stream]]
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


def max_record_bytes() -> int:
    """The most bytes one record file, archive member or JSON Line may unpack to: the
    ``TRIALKG_MAX_RECORD_BYTES`` environment variable, else :data:`MAX_RECORD_BYTES`.

    :raises TrialkgError: when the variable is not a whole number of bytes.
    """
    text = os.environ.get(LIMIT_VARIABLE, "").strip().replace("_", "")
    if not text:
        return MAX_RECORD_BYTES
    if not text.isdigit() or int(text) < 1:
        raise TrialkgError(f"{LIMIT_VARIABLE}: expected a whole number of bytes; found {text!r}")
    return int(text)


def iter_record_files(
    inputs: Iterable[str | Path],
    *,
    stdin: BinaryIO | None = None,
    slice_lines: int = 1000,
    max_bytes: int | None = None,
) -> Iterator[RecordFile | RecordError]:
    """Every record file the inputs name, one at a time, or the error an input gave.

    A JSON Lines file (also an archive member) whose first line is a JSON object comes in
    slices of ``slice_lines`` lines (at least 2, so that a slice is never taken for a single
    JSON document); if it cannot be read to its end, the slices before come first, then the
    error. Archives are unpacked as they are read, never more than ``max_bytes`` (default
    :func:`max_record_bytes`) of one file, member or line: past it that one is rejected,
    named by the archive and the member, and the others are read.
    """
    limit = max_bytes or max_record_bytes()
    lines = max(2, slice_lines)
    for item in inputs:
        try:
            paths = list(expand_inputs([item]))
        except RecordError as exc:
            yield exc
            continue
        for path in paths:
            name = str(path)
            if name != "-" and _looks_like_lines(name, partial(_open_file, path), limit):
                yield from _slices(name, partial(_open_file, path), lines, limit)
            elif name.lower().endswith(".zip"):
                yield from _members(path, lines, limit)
            else:
                yield from _whole(path, stdin, limit)


class _TooLarge(Exception):
    """More bytes than the limit: the file, member or line is rejected unread."""


def _too_large(name: str, limit: int, size: int | None = None) -> RecordError:
    found = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return RecordError(
        name,
        None,
        None,
        f"unpacks to {found}, past the limit of {limit:,} for one record file "
        f"({LIMIT_VARIABLE}); not read",
    )


def _read_capped(stream: _Stream, limit: int) -> bytes:
    """All of ``stream``, read a chunk at a time; :raises _TooLarge: past ``limit`` bytes."""
    buffer = bytearray()
    while chunk := stream.read(min(_CHUNK, limit + 1 - len(buffer))):
        buffer += chunk
        if len(buffer) > limit:
            raise _TooLarge
    return bytes(buffer)


@contextmanager
def _open_file(path: Path) -> Iterator[_Stream]:
    """A file's bytes, unpacked as they are read when its name ends in ``.gz``."""
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as unpacked:
            yield unpacked
    else:
        with path.open("rb") as stream:
            yield stream


@contextmanager
def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[_Stream]:
    """An archive member's bytes, unpacked as they are read (twice for a ``.gz`` member)."""
    with archive.open(info) as stream:
        if info.filename.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=stream, mode="rb") as unpacked:
                yield unpacked
        else:
            yield stream


def _looks_like_lines(name: str, opener: _Opener, limit: int) -> bool:
    """A JSON Lines file whose first line is a whole JSON object, so it can be cut at lines.

    A first line too long or too deeply nested to parse counts when it opens an object.
    """
    if not name.lower().endswith(LINES_SUFFIXES):
        return False
    try:
        with opener() as stream:
            first = stream.readline(limit + 1)
        if len(first) > limit:
            return first.lstrip().startswith(b"{")
        return bool(first.strip()) and isinstance(json.loads(first), dict)
    except RecursionError:
        return first.lstrip().startswith(b"{")
    except _UNREADABLE:
        return False


def _slices(
    name: str, opener: _Opener, lines: int, limit: int
) -> Iterator[RecordFile | RecordError]:
    """A JSON Lines file in slices of ``lines`` lines; a line longer than ``limit`` is rejected
    unread, its place kept by an empty line so that later lines keep their numbers."""
    first = True
    batch: list[bytes] = []
    filled = 0  # lines in the batch that are not blank: a slice of blank lines is no record
    try:
        with opener() as stream:
            number = 0
            while line := stream.readline(limit + 1):
                number += 1
                if len(line) > limit:
                    _skip_line(stream, line)
                    if filled:
                        yield RecordFile(name, b"".join(batch), True, first)
                        batch, filled, first = [], 0, False
                    yield _line_too_long(name, number, limit)
                    line = b"\n"
                batch.append(line)
                filled += bool(line.strip())
                if filled >= lines:
                    yield RecordFile(name, b"".join(batch), True, first)
                    batch, filled, first = [], 0, False
            if filled:
                yield RecordFile(name, b"".join(batch), True, first)
    except _UNREADABLE as exc:
        yield RecordError(name, None, None, f"cannot read: {exc}")


def _skip_line(stream: _Stream, start: bytes) -> None:
    """Read past the rest of a line whose start was read, a chunk at a time."""
    line = start
    while line and not line.endswith(b"\n"):
        line = stream.readline(_CHUNK)


def _line_too_long(name: str, number: int, limit: int) -> RecordError:
    return RecordError(
        name,
        f"line {number}",
        None,
        f"JSON Lines: a line longer than the limit of {limit:,} bytes for one record "
        f"({LIMIT_VARIABLE}); not read",
        line=number,
    )


def _members(path: Path, lines: int, limit: int) -> Iterator[RecordFile | RecordError]:
    """The record files of a ``.zip``, a member at a time, each unpacked as it is read.

    A member past the limit (as its header says, or as it unpacks) or damaged is rejected,
    named ``archive.zip!member``; the other members are read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if not info.is_dir() and _known(info.filename):
                    yield from _member(archive, info, f"{path}!{info.filename}", lines, limit)
    except _UNREADABLE as exc:
        yield RecordError(str(path), None, None, f"cannot read: {exc}")


def _member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, lines: int, limit: int
) -> Iterator[RecordFile | RecordError]:
    opener = partial(_open_member, archive, info)
    if _looks_like_lines(name, opener, limit):
        yield from _slices(name, opener, lines, limit)
        return
    if info.file_size > limit and not info.filename.lower().endswith(".gz"):
        yield _too_large(name, limit, info.file_size)
        return
    try:
        with opener() as stream:
            data = _read_capped(stream, limit)
    except _TooLarge:
        yield _too_large(name, limit)
    except _UNREADABLE as exc:
        yield RecordError(name, None, None, f"cannot read: {exc}")
    else:
        yield RecordFile(name, data)


def _whole(path: Path, stdin: BinaryIO | None, limit: int) -> Iterator[RecordFile | RecordError]:
    """A file (unpacked when ``.gz``) or standard input, whole, if not past the limit."""
    name = str(path)
    try:
        if name == "-":
            data = _read_capped(stdin or sys.stdin.buffer, limit)
        elif not name.lower().endswith(".gz") and (size := path.stat().st_size) > limit:
            yield _too_large(name, limit, size)
            return
        else:
            with _open_file(path) as stream:
                data = _read_capped(stream, limit)
    except _TooLarge:
        yield _too_large(name, limit)
    except _UNREADABLE as exc:
        yield RecordError(name, None, None, f"cannot read: {exc}")
    else:
        yield RecordFile(name, data)


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
