"""Loading records into a store that others may read: one transaction per trial.

Each trial's graph is replaced in a single transaction, so a reader sees the old trial or the
new one and a failure never leaves half a trial. A bad record is logged, counted and skipped;
every good record before and after it is loaded. The record loop itself is
:func:`kg.load.loop.load_piece`, shared with the bulk path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.errors import LoadStoppedError, RecordError, StoreError, TrialkgError
from kg.grounding.grounder import Grounder
from kg.ids import DEFAULT_BASE_IRI
from kg.load.inputs import SliceOffsets, iter_record_files
from kg.load.loop import add_piece, load_piece, reject
from kg.load.report import LoadReport
from kg.model import GroundedTrial, Override, Trial
from kg.ontology.load import load_vocabulary
from kg.ontology.terms import TermIndex
from kg.rdf.mapping import contact_quads, graphs_of, trial_to_quads
from kg.store import QuadStore, StoreSpec, open_store

__all__ = ["Progress", "load_into", "load_records"]

logger = logging.getLogger(__name__)

#: Called with each file name as it is read (for progress bars).
Progress = Callable[[str], None]


def load_records(
    store: QuadStore,
    inputs: Sequence[str | Path],
    index: TermIndex,
    *,
    base: str = DEFAULT_BASE_IRI,
    include_contacts: bool = False,
    overrides: Mapping[str, Override] | None = None,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    loaded_at: datetime | None = None,
    slice_lines: int = 1000,
    graphs: set[str] | None = None,
) -> LoadReport:
    """Read, ground, map and store every record in ``inputs``; one transaction per trial.

    A record that cannot be read is logged as a warning, listed in the report, and skipped.
    JSON Lines files are read ``slice_lines`` lines at a time, and nothing is kept per trial
    loaded, so memory does not grow with the records (see :attr:`Store.flush_every
    <kg.store.Store.flush_every>` for the store's side).

    :param include_contacts: also store contact persons, in each trial's private graph.
    :param overrides: curator decisions (:func:`kg.grounding.overrides.read_overrides`); they win.
    :param progress: called with each file name as it is read (for progress bars).
    :param stdin: where ``-`` reads from (default: the process's standard input).
    :param loaded_at: the load time written as ``prov:generatedAtTime`` (default: now).
    :param graphs: a set the IRIs of the graphs written are added to (a rebuild in place drops
        the graphs not in it); not kept otherwise.
    :raises LoadStoppedError: when a write fails (a full disk): the load stops there, the
        trials written before stay, and the error carries the report up to there.
    """
    report = LoadReport()
    grounder = Grounder(index, overrides=overrides)
    versions = sorted({r.version for r in index.releases})
    loaded_at = loaded_at or datetime.now(UTC)

    def write(trial: Trial, grounded: GroundedTrial) -> int:
        quads = trial_to_quads(grounded, base=base, loaded_at=loaded_at, ontology_versions=versions)
        named = graphs_of(trial, base=base)
        written = store.replace_graph(named.public, quads)
        if graphs is not None:
            graphs.add(named.public.value)
        if include_contacts and trial.contacts:
            store.replace_graph(named.private, contact_quads(trial, base=base))
            if graphs is not None:
                graphs.add(named.private.value)
        return written

    offsets = SliceOffsets()
    for item in iter_record_files(inputs, stdin=stdin, slice_lines=slice_lines):
        if isinstance(item, RecordError):
            reject(report, item)
            continue
        if item.first and progress:
            progress(item.name)
        result = load_piece(item, grounder, write)
        add_piece(report, result, offsets)
        if result.stopped is not None:
            problem = (
                f"the load stopped: {result.stopped}; "
                f"the {report.trials_loaded} trials loaded before it are kept"
            )
            raise LoadStoppedError(problem, report) from result.stopped
    return report


def load_into(
    store_spec: StoreSpec,
    records: Sequence[str | Path],
    *,
    base: str = DEFAULT_BASE_IRI,
    include_contacts: bool = False,
    overrides: Mapping[str, Override] | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Add records to an existing store, grounding them with the ontologies it holds.

    The store (a folder or a SPARQL store, see :func:`kg.store.open_store`) is opened for
    writing, which for a folder takes its writer lock, loaded (one transaction per trial) and
    closed on return. A store that does not exist is never made.

    :raises StoreError: when the store holds no ontologies (build it first) or cannot be opened.
    :raises StoreLockedError: when another process writes to the folder (a build, a load).
    :raises LoadStoppedError: when a write fails part way (a full disk), with the report of
        what was loaded before.
    """
    store = open_store(store_spec, read_only=False)
    try:
        index = TermIndex.from_store(store, base=base)
        if not index.releases:
            raise StoreError(f"{store_spec} holds no ontologies: run 'trialkg build' first")
        if not store.has_graph(ox.NamedNode(f"{base}graph/vocab")):
            load_vocabulary(store, base=base)
        report = load_records(
            store,
            records,
            index,
            base=base,
            include_contacts=include_contacts,
            overrides=overrides,
            progress=progress,
        )
    except BaseException:
        _close_after_failure(store)
        raise
    try:
        store.close()
    except StoreError as exc:
        raise LoadStoppedError(f"{exc}, after every record was read", report) from exc
    return report


def _close_after_failure(store: QuadStore) -> None:
    """Close a store after a failure, which a second failure (the same full disk) must not hide."""
    try:
        store.close()
    except (TrialkgError, OSError) as exc:
        logger.warning("could not close the store after the failure: %s", exc)
