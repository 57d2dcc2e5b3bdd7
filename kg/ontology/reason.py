"""Classify an ontology with a reasoner and keep the inferred hierarchy in its own named graph.

Editors' files assert only part of the hierarchy: in the CL editors' file of 2026-08-19,
CL:0000048 "multi fate stem cell" has no asserted parent; its place under CL:0000034
"stem cell" follows from its logical definition. Released files (``cl.owl``, ``doid.owl``,
``cl-simple.owl``) are already classified and need no reasoner.

Each release of the ontology in the store is classified on its own: its graph is handed to
owlready2 without its ``owl:imports`` (they are never fetched), owlready2's bundled HermiT
reasoner classifies it (Java must be installed), and every named superclass the reasoner finds
that the file did not assert becomes an ``rdfs:subClassOf`` triple in the release's inferred
graph, ``<base>graph/inferred/<name>/<release key>`` (:func:`kg.ontology.load.inferred_graph`).
The hierarchy queries walk ``rdfs:subClassOf*`` over all graphs, so they use these triples at
once.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox

from kg.errors import OntologyError
from kg.ids import DEFAULT_BASE_IRI
from kg.ontology.load import OntologyRelease, inferred_graph, read_releases
from kg.rdf.vocab import DCTERMS, OWL, PROV, RDF, RDFS
from kg.store import QuadStore

__all__ = ["classify", "java_available"]

logger = logging.getLogger(__name__)

_OBO = "http://purl.obolibrary.org/obo/"


def java_available() -> str | None:
    """The path of the ``java`` command, or None when Java is not installed."""
    return shutil.which("java")


def classify(store: QuadStore, name: str, *, base: str = DEFAULT_BASE_IRI) -> int:
    """Classify every loaded release of the ontology ``name`` with HermiT; store the inferred
    superclasses of each in its inferred graph, replacing an earlier one.

    :returns: the number of inferred ``rdfs:subClassOf`` links that the files did not assert.
    :raises OntologyError: when Java is missing, the ontology is not loaded, or the reasoner fails
        (for instance because the ontology is inconsistent).
    """
    if java_available() is None:
        raise OntologyError(
            name,
            "classifying needs Java (owlready2 runs the HermiT reasoner on it); install a "
            "Java runtime (e.g. 'apt-get install default-jre-headless') or load a released, "
            "pre-classified file instead of the editors' file",
        )
    releases = [r for r in read_releases(store, base=base) if r.name == name]
    if not releases:
        raise OntologyError(name, f"no ontology {name!r} in the store; load it first")
    return sum(_classify_release(store, release, base=base) for release in releases)


def _classify_release(store: QuadStore, release: OntologyRelease, *, base: str) -> int:
    """Classify one release; the number of inferred links it did not assert."""
    import owlready2

    name, graph = release.name, ox.NamedNode(release.graph)

    asserted: set[tuple[str, str]] = set()
    triples: list[ox.Triple] = []
    for quad in store.quads(graph=graph):
        if quad.predicate == OWL.imports or quad.subject == graph:
            continue  # imports are never followed; the release record is ours, not the ontology's
        subject, obj = quad.subject, quad.object
        if (
            quad.predicate == RDFS.subClassOf
            and isinstance(subject, ox.NamedNode)
            and isinstance(obj, ox.NamedNode)
        ):
            asserted.add((subject.value, obj.value))
        triples.append(quad.triple)
    fd, tmp = tempfile.mkstemp(suffix=".nt", prefix=f"trialkg-{name}-")
    os.close(fd)
    try:
        ox.serialize(triples, tmp, ox.RdfFormat.N_TRIPLES)
        world = owlready2.World()
        ontology = world.get_ontology(Path(tmp).as_uri()).load(format="ntriples")
        logger.info("classifying %s (%d triples) with HermiT", release.version, len(triples))
        try:
            with ontology:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            raise OntologyError(
                release.path, "the reasoner found the ontology inconsistent"
            ) from exc
        except (OSError, owlready2.base.OwlReadyError) as exc:
            raise OntologyError(release.path, f"the reasoner failed: {exc}") from exc
        inferred = _inferred_links(world, asserted)
    finally:
        Path(tmp).unlink(missing_ok=True)
    target = inferred_graph(release, base=base)
    quads = [
        ox.Quad(ox.NamedNode(child), RDFS.subClassOf, ox.NamedNode(parent), target)
        for child, parent in sorted(inferred)
    ]
    quads += [
        ox.Quad(target, RDF.type, PROV.Entity, target),
        ox.Quad(target, PROV.wasDerivedFrom, graph, target),
        ox.Quad(
            target,
            DCTERMS.description,
            ox.Literal(
                f"rdfs:subClassOf links of {name} ({release.version}) inferred by the HermiT "
                "reasoner (owlready2) and not asserted in the loaded file"
            ),
            target,
        ),
        ox.Quad(target, DCTERMS.source, ox.Literal("HermiT via owlready2"), target),
    ]
    store.replace_graph_large(target, quads)
    logger.info("classified %s: %d inferred subclass links", release.version, len(inferred))
    return len(inferred)


def _inferred_links(world: object, asserted: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Named (child, parent) superclass links after reasoning that the file did not assert."""
    links: set[tuple[str, str]] = set()
    for cls in world.classes():  # type: ignore[attr-defined]
        child = cls.iri
        if not child.startswith(_OBO):
            continue
        for parent in cls.is_a:
            iri = getattr(parent, "iri", None)
            if iri and iri != child and iri.startswith(_OBO) and (child, iri) not in asserted:
                links.add((child, iri))
    return links
