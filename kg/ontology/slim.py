"""Slims: small modules of a full ontology release, so a default build works offline.

A slim keeps the given terms and all their ancestors, each with the facts grounding and the
hierarchy queries need (type, label, definition, comment, synonyms, xrefs, alt ids,
obsolescence, replacement, named superclasses), plus a header that says which release it was
cut from, under which licence, and how to attribute it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg.errors import OntologyError
from kg.ontology.load import load_ontology
from kg.ontology.reason import classify
from kg.ontology.terms import TermIndex
from kg.rdf.vocab import DCTERMS, OBO, OBOINOWL, OWL, PREFIXES, PROV, RDF, RDFS
from kg.store import Store

__all__ = ["KEPT_PREDICATES", "LICENCES", "write_slim"]

logger = logging.getLogger(__name__)

#: The facts a slim keeps about each term.
KEPT_PREDICATES = frozenset(
    {
        RDF.type,
        RDFS.label,
        RDFS.comment,
        RDFS.subClassOf,
        OBO.IAO_0000115,
        OBO.IAO_0100001,
        OWL.deprecated,
        OBOINOWL.hasExactSynonym,
        OBOINOWL.hasNarrowSynonym,
        OBOINOWL.hasBroadSynonym,
        OBOINOWL.hasRelatedSynonym,
        OBOINOWL.hasDbXref,
        OBOINOWL.hasAlternativeId,
        OBOINOWL.id,
    }
)

#: Licence and attribution of the ontologies trialkg links to, for files that do not say.
LICENCES: dict[str, tuple[str, str]] = {
    "doid": (
        "https://creativecommons.org/publicdomain/zero/1.0/",
        "Human Disease Ontology (https://disease-ontology.org), CC0 1.0.",
    ),
    "cl": (
        "http://creativecommons.org/licenses/by/4.0/",
        "Cell Ontology (https://obophenotype.github.io/cell-ontology/), CC BY 4.0: "
        "attribute the Cell Ontology when redistributing data derived from it.",
    ),
}


def write_slim(
    source: str | Path, terms: Iterable[str], out: str | Path, *, classify_first: bool = False
) -> int:
    """Cut a slim of ``source`` holding ``terms`` and all their ancestors; write it as Turtle.

    :param source: a full ontology release (any format :func:`load_ontology` reads).
    :param terms: CURIEs to keep (alternative ids are followed to their terms).
    :param classify_first: classify the release with the reasoner first, so that the slim keeps
        the inferred hierarchy too (for editors' files; needs Java).
    :returns: the number of terms in the slim.
    :raises OntologyError: when a term is not in the release.
    """
    store = Store.in_memory()
    release = load_ontology(store, source)
    if classify_first:
        classify(store, release.name)
    index = TermIndex.from_store(store)
    keep: set[str] = set()
    for curie in terms:
        term = index.get(curie)
        if term is None:
            raise OntologyError(source, f"term {curie} is not in this release")
        keep.add(term.curie)
        keep |= index.ancestors(term.curie)
    keep = {c for c in keep if index.get(c) is not None}
    graph = ox.NamedNode(release.graph)
    slim_iri = ox.NamedNode(f"https://w3id.org/trialkg/ontologies/{release.name}-slim")
    licence, attribution = LICENCES.get(release.name, (release.license or "", ""))
    stamp = release.release_date or f"sha256-{release.sha256[:16]}"

    def lit(text: str) -> ox.Literal:
        return ox.Literal(text)

    triples: list[ox.Triple] = [
        ox.Triple(slim_iri, RDF.type, OWL.Ontology),
        ox.Triple(slim_iri, OWL.versionIRI, ox.NamedNode(f"{slim_iri.value}/{stamp}")),
        ox.Triple(slim_iri, DCTERMS.title, lit(f"trialkg slim of {release.name.upper()}")),
        ox.Triple(
            slim_iri,
            DCTERMS.description,
            lit(
                f"{len(keep)} terms of {release.name.upper()} used by trialkg's records, with all "
                f"their ancestors; cut by 'trialkg ontologies slim' from {Path(source).name}"
                + (", its hierarchy classified by the HermiT reasoner." if classify_first else ".")
            ),
        ),
        ox.Triple(slim_iri, DCTERMS.source, lit(Path(source).name)),
        ox.Triple(slim_iri, OBOINOWL.hasDbXref, lit(f"sha256:{release.sha256}")),
        ox.Triple(slim_iri, OWL.versionInfo, lit(release.version_info or release.version)),
    ]
    if release.version_iri or release.iri:
        derived = release.version_iri or release.iri or ""
        triples.append(ox.Triple(slim_iri, PROV.wasDerivedFrom, ox.NamedNode(derived)))
    if licence:
        triples.append(ox.Triple(slim_iri, DCTERMS.license, ox.NamedNode(licence)))
    if attribution:
        triples.append(ox.Triple(slim_iri, DCTERMS.bibliographicCitation, lit(attribution)))
    for curie in sorted(keep):
        iri = ox.NamedNode(index[curie].iri)
        for quad in store.quads(subject=iri, graph=graph):
            # Superclasses come from the index (asserted + inferred, named only): restrictions
            # would drag in other ontologies' terms.
            if quad.predicate in KEPT_PREDICATES and quad.predicate != RDFS.subClassOf:
                triples.append(quad.triple)
        for parent in index[curie].parents:
            triples.append(ox.Triple(iri, RDFS.subClassOf, OBO.term(parent)))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        ox.serialize(
            triples,
            handle,
            ox.RdfFormat.TURTLE,
            prefixes={k: v for k, v in PREFIXES.items() if k != "trialkg"},
        )
    logger.info("wrote %s: %d terms, %d triples, from %s", out, len(keep), len(triples), source)
    return len(keep)
