"""Readers: one module per record format, each turning bytes into :class:`~kg.model.Trial` s.

``READERS`` maps a format name to its reader and feeds the command line's choices. A reader
takes the bytes of one record file (from disk, an archive member or standard input) and the
name they came from, yields the trials in them, and raises :class:`~kg.errors.RecordError` for
a record it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import kg.readers.ctgov_json as ctgov_json
import kg.readers.ctgov_xml as ctgov_xml
import kg.readers.hpscreg as hpscreg
from kg.errors import RecordError
from kg.model import Trial

__all__ = ["READERS", "SUFFIXES", "detect_format", "read_trials"]

Reader = Callable[[bytes, str], Iterator[Trial | RecordError]]


def _hpscreg(data: bytes, name: str) -> Iterator[Trial | RecordError]:
    try:
        yield hpscreg.read_bytes(data, path=name)
    except RecordError as exc:
        yield exc.with_traceback(None)


#: Format name -> reader.
READERS: dict[str, Reader] = {
    "hpscreg": _hpscreg,
    "ctgov-json": ctgov_json.read_studies,
    "ctgov-xml": ctgov_xml.read_xml,
}

#: File suffixes each format is recognised by (after any ``.gz``).
SUFFIXES: dict[str, tuple[str, ...]] = {
    "hpscreg": (".txt",),
    "ctgov-json": (".json", ".jsonl", ".ndjson"),
    "ctgov-xml": (".xml",),
}


def detect_format(name: str, data: bytes = b"") -> str:
    """The format of a record, from its name's suffix (``.gz`` aside), else from its content.

    :raises RecordError: when nothing recognises it, listing the known suffixes.
    """
    stem = name.removesuffix(".gz")
    for fmt, suffixes in SUFFIXES.items():
        if stem.lower().endswith(suffixes):
            return fmt
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "ctgov-json"
    if head[:1] == b"<":
        return "ctgov-xml"
    if head and b"\x00" not in head:
        return "hpscreg"  # plain text: the registry-page format is the only text format
    known = ", ".join(f"{s} ({n})" for n, ss in SUFFIXES.items() for s in ss)
    raise RecordError(name, None, None, f"no reader recognises this file; known: {known}")


def read_trials(data: bytes, name: str, *, fmt: str | None = None) -> Iterator[Trial | RecordError]:
    """Every trial in the bytes of one record file, or the error of each record that failed.

    A file-level problem (no reader knows the file) is raised; record-level problems are
    yielded, so one bad record never hides the others in a multi-record file.
    """
    chosen = fmt or detect_format(name, data)
    try:
        reader = READERS[chosen]
    except KeyError:
        raise RecordError(
            name, None, None, f"unknown format {chosen!r}; known: {', '.join(READERS)}"
        ) from None
    yield from reader(data, name)
