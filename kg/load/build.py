"""A whole build: ontologies, their classification, the vocabulary, then the records.

How the store is built afresh depends on its kind (:mod:`kg.store.rebuild`): a folder is
built beside the old one and moved into place, its records through the bulk loader
(:mod:`kg.load.bulk`); a SPARQL store is rebuilt in place, one transaction per trial
(:mod:`kg.load.transactional`), and the graphs this build did not write are dropped.

Every ontology file keeps its own release graph (:func:`kg.ontology.load.load_ontology`), so
several releases of one ontology are all kept, and the term index merges them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from kg.grounding.grounder import Grounder
from kg.ids import DEFAULT_BASE_IRI
from kg.load.bulk import BulkSettings, bulk_build_records
from kg.load.inputs import iter_trials
from kg.load.report import LoadReport
from kg.load.transactional import Progress, load_records
from kg.model import Override
from kg.ontology.load import (
    OntologyRelease,
    inferred_graph,
    load_ontology,
    load_vocabulary,
    read_releases,
)
from kg.ontology.reason import classify as classify_ontology
from kg.ontology.terms import TermIndex
from kg.resources import resource_dir
from kg.store import QuadStore, Store, StoreSpec
from kg.store.rebuild import Rebuild, rebuild
from kg.store.sparql_text import bind_values

__all__ = [
    "BuildReport",
    "build",
    "default_ontologies",
    "default_records",
    "newest_record_update",
    "terms_used_by",
]

logger = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """A build: the ontology releases loaded, the records load, and what the store holds."""

    #: The releases this build loaded, one per ontology file given (in that order).
    loaded: list[OntologyRelease]
    load: LoadReport
    #: The releases the store holds after the build, as :func:`read_releases` reads them: one
    #: per release graph, with the graph's triples (two files of one release share a graph).
    releases: tuple[OntologyRelease, ...] = ()
    store_quads: int = 0
    #: Graphs of an earlier build that this one no longer has, dropped (remote stores only).
    dropped: int = 0


def default_records() -> list[Path]:
    """The project's seed records (``seeds/``)."""
    return [resource_dir("seeds")]


def default_ontologies() -> list[Path]:
    """The DOID and CL slims shipped in ``ontologies/`` (``*-slim.ttl``)."""
    return sorted(resource_dir("ontologies").glob("*-slim.ttl"))


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
    A folder's records go in through the bulk loader (:func:`kg.load.bulk.bulk_build_records`),
    since nobody reads the staging store; its files are then compacted (:meth:`Store.optimize`),
    so that queries on the new store do not search every file the bulk loader wrote.

    :param classify: names of loaded ontologies to classify with the reasoner (editors' files).
    :param catalog: an XML catalog resolving ``owl:imports`` to local files.
    :param settings: how the records are split over worker processes (:class:`BulkSettings`).

    :raises OntologyError: when an ontology file cannot be loaded (nothing is replaced in a
        folder; a remote store keeps the graphs written before it).
    """
    with rebuild(store) as target:
        return _fill(
            target,
            records,
            ontologies,
            base=base,
            include_contacts=include_contacts,
            classify=classify,
            overrides=overrides,
            catalog=catalog,
            progress=progress,
            settings=settings,
        )


def _fill(
    target: Rebuild,
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
) -> BuildReport:
    """Ontologies, their classification, the vocabulary, then the records, into the store.

    A fresh store nobody reads is filled through the bulk loader (and compacted and flushed
    by :func:`kg.store.rebuild.rebuild`); a store rebuilt in place loses what this build did
    not write.
    """
    store = target.store
    loaded, dropped = _load_ontologies(
        target, ontologies, base=base, classify=classify, catalog=catalog
    )
    load_vocabulary(store, base=base)
    index = TermIndex.from_store(store, base=base)
    written_graphs: set[str] = set()  # in a store rebuilt in place, the graphs to keep
    if target.fresh:
        assert isinstance(store, Store)
        fill_records = partial(bulk_build_records, store, settings=settings)
    else:
        fill_records = partial(load_records, store, graphs=written_graphs)
    load = fill_records(
        records,
        index,
        base=base,
        include_contacts=include_contacts,
        overrides=overrides,
        progress=progress,
    )
    if not target.fresh:  # a fresh store is compacted, then flushed, by the rebuild
        store.flush()
    report = BuildReport(loaded=loaded, load=load)
    if not target.fresh:
        written = {
            f"{base}graph/vocab",
            *(release.graph for release in loaded),
            *(inferred_graph(r, base=base).value for r in loaded if r.name in classify),
            *written_graphs,
        }
        report.dropped = dropped + _drop_stale(store, written, (f"{base}graph/",))
    report.releases = read_releases(store, base=base)
    report.store_quads = len(store)
    return report


def _load_ontologies(
    target: Rebuild,
    ontologies: Sequence[str | Path],
    *,
    base: str,
    classify: Sequence[str],
    catalog: str | Path | None,
) -> tuple[list[OntologyRelease], int]:
    """Load every ontology file into its release graph and classify the ontologies asked.

    In a store rebuilt in place, the ontology and inferred graphs of an earlier build are
    dropped before classifying, since classifying and the term index read every release the
    store holds: the records are grounded against this build's releases only.

    :returns: the releases loaded, and how many graphs were dropped.
    """
    store = target.store
    loaded = [load_ontology(store, path, base=base, catalog=catalog) for path in ontologies]
    dropped = 0
    if not target.fresh:
        ontology_graphs = (f"{base}graph/ontology/", f"{base}graph/inferred/")
        dropped = _drop_stale(store, {release.graph for release in loaded}, ontology_graphs)
    for name in classify:
        classify_ontology(store, name, base=base)
    return loaded, dropped


def _drop_stale(store: QuadStore, written: set[str], prefixes: tuple[str, ...]) -> int:
    """Drop the graphs whose IRI starts with one of ``prefixes`` that are not in ``written``."""
    stale = [
        graph
        for graph in store.named_graphs()
        if graph.value.startswith(prefixes) and graph.value not in written
    ]
    for graph in stale:
        store.remove_graph(graph)
        logger.info("dropped graph %s: not in this build", graph.value)
    return len(stale)
