"""Where record bytes come from: files, folders, globs, ``.gz``, ``.zip`` and standard input.

:func:`iter_record_files` yields one record file at a time (an archive member at a time), so a
load's memory stays flat however many files it reads. Inputs that name nothing, and archives
that cannot be opened, come out as :class:`~kg.errors.RecordError` values in the stream, not as
exceptions, so one bad input never stops the others.
"""

from __future__ import annotations

import gzip
import logging
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from kg.errors import RecordError
from kg.model import Trial
from kg.readers import SUFFIXES, read_trials

__all__ = ["RecordFile", "expand_inputs", "iter_record_files", "iter_trials"]

logger = logging.getLogger(__name__)


class RecordFile(NamedTuple):
    """The bytes of one record file and the name they are known by."""

    #: ``path``, ``archive.zip!member`` or ``-`` for standard input.
    name: str
    data: bytes


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
    inputs: Iterable[str | Path], *, stdin: BinaryIO | None = None
) -> Iterator[RecordFile | RecordError]:
    """Every record file the inputs name, one at a time, or the error an input gave."""
    for item in inputs:
        try:
            paths = list(expand_inputs([item]))
        except RecordError as exc:
            yield exc
            continue
        for path in paths:
            yield from _open(path, stdin)


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
