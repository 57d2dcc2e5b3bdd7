"""The errors trialkg raises, one tree rooted at :class:`TrialkgError`.

::

    TrialkgError
     +-- RecordError        a record file that cannot be read as a trial (file, record, field)
     +-- OntologyError      an ontology file that cannot be loaded (file, line, problem)
     +-- UnknownTermError   a CURIE or IRI that the loaded ontologies do not define
     +-- QueryError         an unknown named query, a bad parameter, a SPARQL syntax error
     +-- StoreError         the store cannot be opened, read or written
     |    +-- StoreLockedError   another process writes to it (that process)
     |    +-- LoadStoppedError   a write failed part way through a load (what was loaded)
     +-- FetchError         a download from ClinicalTrials.gov failed (URL, page, answer)

Every error builds its message from the data it carries, so the message always names
where the problem is: file, record and field for records; file and line for ontologies.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "FetchError",
    "LoadStoppedError",
    "OntologyError",
    "QueryError",
    "RecordError",
    "StoreError",
    "StoreLockedError",
    "TrialkgError",
    "UnknownTermError",
]


class TrialkgError(Exception):
    """Base class of every error trialkg raises on purpose."""


class RecordError(TrialkgError):
    """A record file, or one record in it, cannot be read as a trial.

    >>> error = RecordError("seeds/hpscreg-48.txt", "48", "Start date",
    ...                     "expected YYYY-MM-DD; found '2019-13'")
    >>> str(error)
    "seeds/hpscreg-48.txt, record 48, field 'Start date': expected YYYY-MM-DD; found '2019-13'"
    """

    def __init__(
        self,
        path: str | Path,
        record: str | None,
        field: str | None,
        problem: str,
        *,
        line: int | None = None,
    ) -> None:
        #: The file the record came from ("-" for standard input).
        self.path = str(path)
        #: The record's identifier within the file, when one is known.
        self.record = record
        #: The field (as the source names it) that is at fault, or None for the whole record.
        self.field = field
        #: What was expected and what was found.
        self.problem = problem
        #: 1-based line number in the file, when known.
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        parts = [where]
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts) + f": {self.problem}"

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_record_error,
            (self.path, self.record, self.field, self.problem, self.line),
        )


def _rebuild_record_error(
    path: str, record: str | None, field: str | None, problem: str, line: int | None
) -> RecordError:
    return RecordError(path, record, field, problem, line=line)


class OntologyError(TrialkgError):
    """An ontology file cannot be read or loaded.

    >>> str(OntologyError("doid.obo", "expected 'tag: value'", line=12))
    "doid.obo:12: expected 'tag: value'"
    """

    def __init__(self, path: str | Path, problem: str, *, line: int | None = None) -> None:
        #: The ontology file.
        self.path = str(path)
        #: What went wrong.
        self.problem = problem
        #: 1-based line number, when known.
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.problem}"


class UnknownTermError(TrialkgError, KeyError):
    """A CURIE or IRI that none of the loaded ontologies defines."""

    def __init__(self, term: str, *, known: Iterable[str] = ()) -> None:
        #: The CURIE or IRI asked for.
        self.term = term
        self.known = tuple(known)
        super().__init__(term)

    def __str__(self) -> str:
        hint = f" (loaded ontologies: {', '.join(self.known)})" if self.known else ""
        return f"unknown term {self.term!r}{hint}"


class QueryError(TrialkgError):
    """A named query or SPARQL text that cannot be run as asked."""


class StoreError(TrialkgError):
    """The store cannot be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process writes to the store; its writer lock (:mod:`kg.store.lock`) names it.

    >>> str(StoreLockedError("trialkg.db", "pid 7 on h ('trialkg build', since 2026-01-01)",
    ...                      "trialkg.db.lock"))  # doctest: +NORMALIZE_WHITESPACE
    "store trialkg.db is being written by pid 7 on h ('trialkg build', since 2026-01-01):
    one writer at a time; try again when it has finished"
    """

    def __init__(self, store: str | Path, holder: str | None, lock: str | Path) -> None:
        #: The store folder.
        self.store = str(store)
        #: Who holds the lock, as its lock file says (None when it says nothing readable).
        self.holder = holder
        #: The lock file.
        self.lock = str(lock)
        super().__init__(str(self))

    def __str__(self) -> str:
        holder = self.holder or f"another process (its lock: {self.lock})"
        return (
            f"store {self.store} is being written by {holder}: "
            "one writer at a time; try again when it has finished"
        )


class LoadStoppedError(StoreError):
    """A load that a failed store write (a full disk) stopped part way.

    The trials loaded before it stay loaded; :attr:`report` counts them (a
    :class:`kg.load.LoadReport`), so that the command line can summarise them before the error.
    """

    def __init__(self, problem: str, report: Any) -> None:
        #: What failed, naming the store.
        self.problem = problem
        #: The report of the load up to the failure.
        self.report = report
        super().__init__(problem)


class FetchError(TrialkgError):
    """A download from the ClinicalTrials.gov API that was refused or kept failing.

    >>> str(FetchError("https://clinicaltrials.gov/api/v2/studies", "page 3: HTTP 400 Bad Request"))
    'https://clinicaltrials.gov/api/v2/studies: page 3: HTTP 400 Bad Request'
    """

    def __init__(self, url: str, problem: str) -> None:
        #: The URL asked.
        self.url = url
        #: Which page, and what the API answered.
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.url}: {self.problem}"
