"""The trialkg vocabulary and the ontology catalog, checked against the code that uses them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from kg.grounding.methods import Method
from kg.model import Phase, RecruitmentStatus
from kg.rdf.vocab import OBO, OWL, RDF, RDFS, SKOS, TRIALKG, ClosedNamespace

from conftest import PROJECT

VOCAB = PROJECT / "ontologies" / "trialkg.ttl"
CATALOG = PROJECT / "ontologies" / "catalog.ttl"
ONTOLOGY = ox.NamedNode("https://w3id.org/trialkg/vocab")
OWL_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual}
NOTATION = ox.NamedNode("http://www.w3.org/2004/02/skos/core#notation")
DEFINITION = OBO.IAO_0000115

DOID = rdflib.URIRef("http://purl.obolibrary.org/obo/doid.owl")
CL = rdflib.URIRef("http://purl.obolibrary.org/obo/cl.owl")
CC0 = rdflib.URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
CC_BY = rdflib.URIRef("http://creativecommons.org/licenses/by/4.0/")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")

# The methods that link a mention to a term, each described by an individual of the vocabulary.
LINKING = [method for method in Method if method.node is not None]


def _local(term: ox.NamedNode) -> str:
    return term.value.removeprefix(TRIALKG.uri)


@pytest.fixture(scope="module")
def vocab() -> ox.Store:
    store = ox.Store()
    store.load(path=VOCAB, format=ox.RdfFormat.TURTLE)
    return store


def _objects(
    store: ox.Store, subject: ox.NamedNode, predicate: ox.NamedNode
) -> list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]:
    return [q.object for q in store.quads_for_pattern(subject, predicate, None)]


def _text(store: ox.Store, subject: ox.NamedNode, predicate: ox.NamedNode) -> str:
    (value,) = _objects(store, subject, predicate)
    assert isinstance(value, ox.Literal)
    return value.value


@pytest.mark.parametrize("term", list(TRIALKG), ids=_local)
def test_term_is_declared_labelled_and_defined(vocab: ox.Store, term: ox.NamedNode) -> None:
    assert OWL_TYPES & set(_objects(vocab, term, RDF.type))
    (label,) = _objects(vocab, term, RDFS.label)
    assert isinstance(label, ox.Literal)
    assert label.language == "en"
    assert _text(vocab, term, DEFINITION)
    assert _text(vocab, term, SKOS.definition) == _text(vocab, term, DEFINITION)
    assert _objects(vocab, term, RDFS.isDefinedBy) == [ONTOLOGY]


def test_vocabulary_uses_no_trialkg_term_the_code_does_not_know(vocab: ox.Store) -> None:
    used = {
        term
        for quad in vocab
        for term in (quad.subject, quad.predicate, quad.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(TRIALKG.uri)
    }
    assert sorted(map(_local, used - set(TRIALKG))) == []


def test_vocabulary_parses_alike_in_oxigraph_and_rdflib(vocab: ox.Store) -> None:
    triples = list(ox.parse(path=VOCAB, format=ox.RdfFormat.TURTLE))
    assert len(rdflib.Graph().parse(VOCAB, format="turtle")) == len(triples) == len(vocab)


def test_vocabulary_is_a_versioned_ontology(vocab: ox.Store) -> None:
    assert OWL.Ontology in _objects(vocab, ONTOLOGY, RDF.type)
    assert _objects(vocab, ONTOLOGY, OWL.versionIRI) == [
        ox.NamedNode("https://w3id.org/trialkg/vocab/0.1.0")
    ]


def test_misspelt_term_fails_at_once() -> None:
    with pytest.raises(AttributeError, match="conditon"):
        TRIALKG.conditon  # noqa: B018


def test_a_term_may_not_shadow_a_namespace_attribute() -> None:
    with pytest.raises(ValueError, match="uri"):
        ClosedNamespace("ex", "http://example.org/", "Thing uri")


def test_phases_and_statuses_carry_the_clinicaltrials_gov_codes(vocab: ox.Store) -> None:
    def notations(kind: ox.NamedNode) -> set[str]:
        return {
            _text(vocab, q.subject, NOTATION)
            for q in vocab.quads_for_pattern(None, RDF.type, kind)
            if isinstance(q.subject, ox.NamedNode)
        }

    assert notations(TRIALKG.Phase) == {p.value for p in Phase}
    assert notations(TRIALKG.RecruitmentStatus) == {s.value for s in RecruitmentStatus}


@pytest.mark.parametrize("method", LINKING, ids=str)
def test_grounding_method_states_its_confidence(vocab: ox.Store, method: Method) -> None:
    assert method.node is not None
    assert TRIALKG.GroundingMethod in _objects(vocab, method.node, RDF.type)
    assert f"confidence {method.confidence:.2f}" in _text(vocab, method.node, DEFINITION)


def test_vocabulary_describes_exactly_the_methods_that_link(vocab: ox.Store) -> None:
    described = {
        q.subject for q in vocab.quads_for_pattern(None, RDF.type, TRIALKG.GroundingMethod)
    }
    assert described == {method.node for method in LINKING}


def test_only_the_ways_of_staying_ungrounded_have_no_node() -> None:
    unlinked = {Method.NONE, Method.OUT_OF_SCOPE, Method.AMBIGUOUS}
    assert {method for method in Method if method.node is None} == unlinked


@pytest.fixture(scope="module")
def catalog() -> rdflib.Graph:
    return rdflib.Graph().parse(CATALOG, format="turtle")


def test_catalog_names_a_licence_for_doid_and_cl(catalog: rdflib.Graph) -> None:
    assert set(catalog.objects(DOID, rdflib.DCTERMS.license)) == {CC0}
    assert set(catalog.objects(CL, rdflib.DCTERMS.license)) == {CC_BY}
    assert "Attribute the Cell Ontology" in str(catalog.value(CL, rdflib.RDFS.comment))


def test_catalog_checksums_match_the_release_files(catalog: rdflib.Graph, shared: Path) -> None:
    checked = set()
    for distribution, checksum in catalog.subject_objects(SPDX.checksum):
        name = str(catalog.value(distribution, rdflib.DCTERMS.source))
        (path,) = (shared / "ontologies").rglob(name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert str(catalog.value(checksum, SPDX.checksumValue)) == digest
        checked.add(name)
    assert checked == {"doid-NCIthesaurus-subset-2026-07-31.obo", "cl-edit-2026-08-19.owl"}
