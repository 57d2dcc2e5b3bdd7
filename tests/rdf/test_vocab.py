"""The trialkg vocabulary: every term the code uses is declared, labelled and defined."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib

from kg.rdf.vocab import OBO, OWL, RDF, RDFS, TRIALKG

from conftest import PROJECT

VOCAB = PROJECT / "ontologies" / "trialkg.ttl"
CATALOG = PROJECT / "ontologies" / "catalog.ttl"
OWL_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual}


@pytest.fixture(scope="module")
def vocab() -> ox.Store:
    store = ox.Store()
    store.load(path=VOCAB, format=ox.RdfFormat.TURTLE)
    return store


def _objects(store: ox.Store, subject: ox.NamedNode, predicate: ox.NamedNode) -> list[object]:
    return [q.object for q in store.quads_for_pattern(subject, predicate, None)]


@pytest.mark.parametrize("term", list(TRIALKG), ids=lambda t: t.value.rsplit("#", 1)[-1])
def test_term_is_declared_labelled_and_defined(vocab: ox.Store, term: ox.NamedNode) -> None:
    assert OWL_TYPES & set(_objects(vocab, term, RDF.type))
    assert _objects(vocab, term, RDFS.label)
    assert _objects(vocab, term, OBO.IAO_0000115)


def test_vocabulary_uses_no_undeclared_trialkg_terms(vocab: ox.Store) -> None:
    used = {
        term
        for quad in vocab
        for term in (quad.subject, quad.predicate, quad.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(TRIALKG.uri)
    }
    assert used <= set(TRIALKG)


def test_vocabulary_parses_alike_in_oxigraph_and_rdflib(vocab: ox.Store) -> None:
    assert len(rdflib.Graph().parse(VOCAB, format="turtle")) == len(vocab)


def test_misspelt_term_fails_at_once() -> None:
    with pytest.raises(AttributeError, match="conditon"):
        TRIALKG.conditon  # noqa: B018


def test_catalog_names_a_licence_for_doid_and_cl() -> None:
    graph = rdflib.Graph().parse(CATALOG, format="turtle")
    licences = {str(s): str(o) for s, o in graph.subject_objects(rdflib.DCTERMS.license)}
    assert licences["http://purl.obolibrary.org/obo/doid.owl"].endswith("publicdomain/zero/1.0/")
    assert licences["http://purl.obolibrary.org/obo/cl.owl"].endswith("licenses/by/4.0/")
