"""The whole flow for a set of files: read -> ground -> map -> store, with a report.

A bad record is logged, counted and skipped; every good record before and after it is loaded.
Each trial's graph is written in its own transaction, so a failure never leaves half a trial.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.errors import RecordError, StoreError
from kg.grounding.grounder import Grounder
from kg.ids import DEFAULT_BASE_IRI
from kg.load.bulk import BulkSettings, bulk_load_records
from kg.load.inputs import SliceOffsets, iter_record_files, iter_trials
from kg.load.report import LoadReport
from kg.model import Override
from kg.ontology.load import OntologyRelease, load_ontology, parse_ontology
from kg.ontology.reason import classify as classify_ontology
from kg.ontology.terms import TermIndex
from kg.rdf.mapping import contact_quads, graphs_of, trial_to_quads
from kg.readers import read_trials
from kg.resources import resource_dir
from kg.store import QuadStore, Store, StoreSpec, is_remote, open_store
from kg.store.sparql_text import bind_values

__all__ = [
    "BuildReport",
    "LoadReport",
    "build",
    "bulk_build_records",
    "default_ontologies",
    "default_records",
    "load_into",
    "load_records",
    "load_vocabulary",
    "newest_record_update",
    "terms_used_by",
]

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """A build: the ontology releases loaded and the records load."""

    releases: list[OntologyRelease]
    load: LoadReport
    store_quads: int = 0
    #: Graphs of an earlier build that this one no longer has, dropped (remote stores only).
    dropped: int = 0


def default_records() -> list[Path]:
    """The project's seed records (``seeds/``)."""
    return [resource_dir("seeds")]


def default_ontologies() -> list[Path]:
    """The DOID and CL slims shipped in ``ontologies/`` (``*-slim.ttl``)."""
    return sorted(resource_dir("ontologies").glob("*-slim.ttl"))


def load_vocabulary(store: QuadStore, *, base: str = DEFAULT_BASE_IRI) -> int:
    """Load the trialkg vocabulary (``ontologies/trialkg.ttl``) into ``<base>graph/vocab``."""
    graph = ox.NamedNode(f"{base}graph/vocab")
    path = resource_dir("ontologies") / "trialkg.ttl"
    quads = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in parse_ontology(path))
    return store.replace_graph_large(graph, quads)


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
) -> LoadReport:
    """Read, ground, map and store every record in ``inputs``; one transaction per trial.

    A record that cannot be read is logged as a warning, listed in the report, and skipped.
    JSON Lines files are read ``slice_lines`` lines at a time, so memory does not grow with them.

    :param include_contacts: also store contact persons, in each trial's private graph.
    :param overrides: curator decisions (see :func:`kg.grounding.sssom.read_overrides`); they win.
    :param progress: called with each file name as it is read (for progress bars).
    :param stdin: where ``-`` reads from (default: the process's standard input).
    :param loaded_at: the load time written as ``prov:generatedAtTime`` (default: now).
    """
    report = LoadReport()
    grounder = Grounder(index, overrides=overrides)
    versions = sorted({r.version for r in index.releases})
    loaded_at = loaded_at or datetime.now(UTC)
    offsets = SliceOffsets()
    for item in iter_record_files(inputs, stdin=stdin, slice_lines=slice_lines):
        if isinstance(item, RecordError):
            report.rejected.append(item)
            logger.warning("rejected %s", item)
            continue
        offsets.start(item)
        studies = 0
        if item.first:
            report.files += 1
            if progress:
                progress(item.name)
        try:
            for trial in read_trials(item.data, item.name):
                report.records_read += 1
                studies += SliceOffsets.is_study(trial)
                if isinstance(trial, RecordError):
                    trial = offsets.rebase(item, trial)
                    report.rejected.append(trial)
                    logger.warning("rejected %s", trial)
                    continue
                grounded = grounder(trial)
                quads = list(
                    trial_to_quads(
                        grounded, base=base, loaded_at=loaded_at, ontology_versions=versions
                    )
                )
                graphs = graphs_of(trial, base=base)
                report.quads += store.replace_graph(graphs.public, quads)
                report.graphs.add(graphs.public.value)
                if include_contacts and trial.contacts:
                    store.replace_graph(graphs.private, contact_quads(trial, base=base))
                    report.graphs.add(graphs.private.value)
                report.trials_loaded += 1
                for g in (*grounded.conditions, *grounded.cell_products):
                    report.count(trial.key, g)
                logger.info("loaded trial %s from %s: %d quads", trial.key, item.name, len(quads))
        except RecordError as exc:
            error = offsets.rebase(item, exc.with_traceback(None))  # frames would pin the store
            report.records_read += 1
            report.rejected.append(error)
            logger.warning("rejected %s", error)
        except (ValueError, UnicodeError) as exc:  # a reader bug must not stop the load
            error = RecordError(
                item.name, None, None, f"unreadable record ({type(exc).__name__}: {exc})"
            )
            report.records_read += 1
            report.rejected.append(error)
            logger.warning("rejected %s", error, exc_info=True)
        offsets.advance(SliceOffsets.lines_of(item), studies)
    return report


def bulk_build_records(
    store: Store,
    inputs: Sequence[str | Path],
    index: TermIndex,
    *,
    base: str = DEFAULT_BASE_IRI,
    include_contacts: bool = False,
    overrides: Mapping[str, Override] | None = None,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    loaded_at: datetime | None = None,
    settings: BulkSettings | None = None,
) -> LoadReport:
    """Fill a fresh store with every record in ``inputs``, through the bulk loader.

    The same quads and the same report as :func:`load_records`, made by worker processes (all
    CPU cores, for large inputs) and written in large slices: fast, and **not atomic**. Only for
    a store that nobody reads and that holds no trial graphs yet, such as a build's staging store.

    :param settings: workers, batch and slice sizes (see :class:`kg.load.bulk.BulkSettings`).
    """
    grounder = Grounder(index, overrides=overrides)
    return bulk_load_records(
        store,
        inputs,
        grounder,
        base=base,
        include_contacts=include_contacts,
        loaded_at=loaded_at,
        progress=progress,
        stdin=stdin,
        settings=settings,
    )


_NEWEST_UPDATE = """
PREFIX trialkg: <https://w3id.org/trialkg/vocab#>
SELECT (MAX(STR(?updated)) AS ?newest) WHERE {
  GRAPH ?graph { ?graph trialkg:recordUpdated ?updated ; trialkg:sourceRecord ?record }
  FILTER(STRSTARTS(?record, ?prefix))
}
"""


def newest_record_update(store: QuadStore, source: str) -> str | None:
    """The latest day (ISO 8601) a record of ``source`` in the store was updated at its source.

    Read from each graph's ``trialkg:recordUpdated``; None when no record of ``source`` says.
    """
    result = store.query(bind_values(_NEWEST_UPDATE, {"prefix": ox.Literal(f"{source}:")}))
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        newest = row["newest"]
        if isinstance(newest, ox.Literal) and newest.value:
            return newest.value
    return None


def terms_used_by(records: Sequence[str | Path], ontology: str | Path) -> set[str]:
    """CURIEs of the terms of ``ontology`` that the trials in ``records`` ground to."""
    index = TermIndex.from_files(ontology)
    grounder = Grounder(index, warn_ungrounded=False)  # one ontology grounds one kind only
    used: set[str] = set()
    for trial in iter_trials(records):
        grounded = grounder(trial)
        used |= {
            g.object_id for g in (*grounded.conditions, *grounded.cell_products) if g.object_id
        }
    return used


def build(
    store: StoreSpec,
    records: Sequence[str | Path],
    ontologies: Sequence[str | Path],
    *,
    base: str = DEFAULT_BASE_IRI,
    include_contacts: bool = False,
    classify: Sequence[str] = (),
    overrides: Mapping[str, Override] | None = None,
    catalog: str | Path | None = None,
    progress: Progress | None = None,
    settings: BulkSettings | None = None,
) -> BuildReport:
    """Build the store that ``store`` names afresh from ontology files and record files.

    A folder is built beside the old one and moved into place only when the build finished,
    so a crash or an error never leaves a half-built store there. A SPARQL store over HTTP
    (:func:`kg.store.open_store`) cannot be swapped: each graph is replaced in place, then
    the graphs under ``<base>graph/`` that this build did not write (trials no longer in the
    records, ontologies no longer given) are dropped; readers see the old and new graphs
    mixed while it runs. Graphs outside ``<base>graph/`` are left alone. Records that are
    rejected do not stop the build; they are listed in the report.
    A folder's records go in through the bulk loader (:func:`bulk_build_records`), since
    nobody reads the staging store; its files are then compacted (:meth:`Store.optimize`), so
    that queries on the new store do not search every file the bulk loader wrote.

    :param classify: names of loaded ontologies to classify with the reasoner (editors' files).
    :param catalog: an XML catalog resolving ``owl:imports`` to local files.
    :param settings: how the records are split over worker processes (:class:`BulkSettings`).

    :raises OntologyError: when an ontology file cannot be loaded (nothing is replaced in a
        folder; a remote store keeps the graphs written before it).
    """
    fill = partial(
        _fill,
        records=records,
        ontologies=ontologies,
        base=base,
        include_contacts=include_contacts,
        classify=classify,
        overrides=overrides,
        catalog=catalog,
        progress=progress,
        settings=settings,
    )
    if is_remote(store):
        remote = open_store(store, read_only=False)
        try:
            report = fill(remote)
            report.dropped = _drop_stale(remote, report, classify, base=base)
            report.store_quads = len(remote)
        finally:
            remote.close()
        return report
    assert isinstance(store, str | Path)
    target = Path(store)
    staging = target.with_name(f"{target.name}.building-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        local = Store.open(staging)
        report = fill(local, bulk=True)
        report.store_quads = len(local)
        # Compaction first: a flush would wait for the background compaction of the many files
        # the bulk loader wrote, which the compaction does anyway.
        local.optimize()
        local.flush()
        del local  # close the staging store before moving it
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_in(staging, target)
    return report


def _fill(
    store: QuadStore,
    records: Sequence[str | Path],
    ontologies: Sequence[str | Path],
    *,
    base: str,
    include_contacts: bool,
    classify: Sequence[str],
    overrides: Mapping[str, Override] | None,
    catalog: str | Path | None,
    progress: Progress | None,
    settings: BulkSettings | None,
    bulk: bool = False,
) -> BuildReport:
    """Ontologies, their classification, the vocabulary, then the records, into ``store``.

    ``bulk``: a fresh local store nobody reads yet, filled through the bulk loader."""
    releases = [load_ontology(store, path, base=base, catalog=catalog) for path in ontologies]
    for name in classify:
        classify_ontology(store, name, base=base)
    load_vocabulary(store, base=base)
    index = TermIndex.from_store(store, base=base)
    if bulk:
        assert isinstance(store, Store)
        report = bulk_build_records(
            store,
            records,
            index,
            base=base,
            include_contacts=include_contacts,
            overrides=overrides,
            progress=progress,
            settings=settings,
        )
    else:
        report = load_records(
            store,
            records,
            index,
            base=base,
            include_contacts=include_contacts,
            overrides=overrides,
            progress=progress,
        )
    if not bulk:  # a bulk build is compacted, then flushed, by the caller
        store.flush()
    return BuildReport(releases=releases, load=report)


def _drop_stale(
    store: QuadStore, report: BuildReport, classify: Sequence[str], *, base: str
) -> int:
    """Drop the graphs under ``<base>graph/`` that the build in ``report`` did not write."""
    written = {
        f"{base}graph/vocab",
        *(release.graph for release in report.releases),
        *(f"{base}graph/inferred/{name}" for name in classify),
        *report.load.graphs,
    }
    stale = [
        graph
        for graph in store.named_graphs()
        if graph.value.startswith(f"{base}graph/") and graph.value not in written
    ]
    for graph in stale:
        store.remove_graph(graph)
        logger.info("dropped graph %s: not in this build", graph.value)
    return len(stale)


def _swap_in(staging: Path, target: Path) -> None:
    old = target.with_name(f"{target.name}.old-{os.getpid()}")
    try:
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except OSError as exc:
        raise StoreError(f"cannot move the new store into {target}: {exc}") from exc
    shutil.rmtree(old, ignore_errors=True)


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
    writing, loaded (one transaction per trial) and closed on return.

    :raises StoreError: when the store holds no ontologies (build it first) or cannot be opened.
    """
    store = open_store(store_spec, read_only=False)
    try:
        index = TermIndex.from_store(store, base=base)
        if not index.releases:
            raise StoreError(f"{store_spec} holds no ontologies: run 'trialkg build' first")
        if not store.has_graph(ox.NamedNode(f"{base}graph/vocab")):
            load_vocabulary(store, base=base)
        return load_records(
            store,
            records,
            index,
            base=base,
            include_contacts=include_contacts,
            overrides=overrides,
            progress=progress,
        )
    finally:
        store.close()
