"""Loading ontology files into named graphs, and the term index built from them."""

from __future__ import annotations

import gzip
import hashlib
import socket
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import OntologyError, UnknownTermError
from kg.ontology.load import load_ontology, ontology_graph, read_releases, release_key
from kg.ontology.terms import TermIndex
from kg.store import Store

from conftest import (
    CL_EDIT_OFN,
    CL_EDIT_OWL,
    CL_SIMPLE_2021,
    DOID_NCIT_2026,
    MESENCHYMAL_STEM_CELL,
    MULTI_FATE_STEM_CELL,
    OVARIAN_DISEASE,
    PRIMARY_OVARIAN_INSUFFICIENCY,
)

CL_EDIT_SHA256 = hashlib.sha256(CL_EDIT_OWL.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def store() -> Store:
    store = Store.in_memory()
    load_ontology(store, DOID_NCIT_2026)
    load_ontology(store, CL_EDIT_OWL)
    return store


@pytest.fixture(scope="module")
def index(store: Store) -> TermIndex:
    return TermIndex.from_store(store)


def test_each_ontology_gets_its_own_named_graph(store: Store) -> None:
    graphs = {g.value for g in store.named_graphs()}
    assert graphs == {
        "https://w3id.org/trialkg/graph/ontology/doid/2026-07-31-7b39bfde3cd8",
        f"https://w3id.org/trialkg/graph/ontology/cl/{CL_EDIT_SHA256[:12]}",  # no version IRI
    }


def test_releases_record_version_file_and_checksum(store: Store) -> None:
    releases = {r.name: r for r in read_releases(store)}
    assert releases["doid"].version_iri == (
        "http://purl.obolibrary.org/obo/doid/releases/2026-07-31/subsets/NCIthesaurus.owl"
    )
    assert releases["doid"].release_date == "2026-07-31"
    assert releases["cl"].version_iri is None  # the editors' file has none
    assert releases["cl"].path == "cl-edit-2026-08-19.owl"
    assert len(releases["cl"].sha256) == 64
    assert releases["cl"].license == "http://creativecommons.org/licenses/by/4.0/"
    assert releases["cl"].sha256 == CL_EDIT_SHA256


def test_owl_imports_are_reported_and_never_fetched(caplog) -> None:
    attempts: list[object] = []

    def hook(event: str, args: tuple[object, ...]) -> None:
        if watching and event in ("socket.connect", "socket.getaddrinfo"):
            attempts.append(args)

    watching = True
    sys.addaudithook(hook)
    try:
        release = load_ontology(Store.in_memory(), CL_EDIT_OWL)
    finally:
        watching = False
    assert attempts == []
    assert len(release.imports) == 14
    assert any("owl:imports not followed" in r.getMessage() for r in caplog.records)


def test_network_guard_refuses_remote_connections() -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match="network access"):
        sock.connect(("192.0.2.1", 80))


def test_the_graph_of_a_release_is_named_by_its_date_and_version() -> None:
    version = "http://purl.obolibrary.org/obo/doid/releases/2026-07-31/subsets/NCIthesaurus.owl"
    key = release_key(version, None, "0" * 64)
    assert key == "2026-07-31-7b39bfde3cd8"
    assert (
        ontology_graph("doid", key).value == f"https://w3id.org/trialkg/graph/ontology/doid/{key}"
    )
    rare = release_key(version.replace("NCIthesaurus", "DO_rare_slim"), None, "0" * 64)
    assert rare.startswith("2026-07-31-") and rare != key  # two subsets of one release
    assert release_key(None, None, CL_EDIT_SHA256) == CL_EDIT_SHA256[:12]  # known by content


def test_gzipped_rdfxml_loads_like_the_plain_file(tmp_path: Path) -> None:
    packed = tmp_path / "cl-simple.owl.gz"
    packed.write_bytes(gzip.compress(CL_SIMPLE_2021.read_bytes()))
    plain = load_ontology(Store.in_memory(), CL_SIMPLE_2021)
    zipped = load_ontology(Store.in_memory(), packed)
    assert zipped.triples == plain.triples
    assert zipped.version_iri == "http://purl.obolibrary.org/obo/cl/2021-08-06/cl-simple.owl"


def test_turtle_and_n_triples_load(tmp_path: Path) -> None:
    triples = list(ox.parse(path=CL_SIMPLE_2021, format=ox.RdfFormat.RDF_XML))[:2000]
    for suffix, fmt in ((".ttl", ox.RdfFormat.TURTLE), (".nt", ox.RdfFormat.N_TRIPLES)):
        path = tmp_path / f"part{suffix}"
        ox.serialize(triples, path, fmt)
        assert load_ontology(Store.in_memory(), path).triples == len(triples)


def test_rdfxml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.owl"
    broken.write_text('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="x">\n<unclosed>\n')
    with pytest.raises(OntologyError, match=r"broken\.owl"):
        load_ontology(Store.in_memory(), broken)


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    odd = tmp_path / "terms.csv"
    odd.write_text("a,b\n")
    with pytest.raises(OntologyError, match=r"unknown ontology format '\.csv'; known: .*\.obo"):
        load_ontology(Store.in_memory(), odd)


def test_functional_syntax_loads_like_the_rdfxml_conversion() -> None:
    ofn = load_ontology(Store.in_memory(), CL_EDIT_OFN)
    owl = load_ontology(Store.in_memory(), CL_EDIT_OWL)
    assert ofn.triples == owl.triples
    assert ofn.name == "cl" and len(ofn.imports) == 14


def test_broken_functional_syntax_is_an_ontology_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ofn"
    broken.write_text("Ontology(<http://example.org/x> Declaration(Class(")
    with pytest.raises(OntologyError, match=r"broken\.ofn"):
        load_ontology(Store.in_memory(), broken)


def test_imports_resolve_through_an_xml_catalog(tmp_path: Path) -> None:
    component = tmp_path / "mappings.ttl"
    component.write_text(
        "<http://purl.obolibrary.org/obo/cl/components/mappings.owl> a "
        "<http://www.w3.org/2002/07/owl#Ontology> .\n"
        "<http://purl.obolibrary.org/obo/CL_0000134> "
        '<http://www.geneontology.org/formats/oboInOwl#hasDbXref> "MESH:D059630" .\n'
    )
    catalog = tmp_path / "catalog-v001.xml"
    catalog.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog" prefer="public">\n'
        '  <group id="components">\n'
        '    <uri name="http://purl.obolibrary.org/obo/cl/components/mappings.owl" '
        'uri="mappings.ttl"/>\n'
        "  </group>\n</catalog>\n"
    )
    store = Store.in_memory()
    release = load_ontology(store, CL_EDIT_OWL, catalog=catalog)
    assert len(release.imports) == 13
    assert "http://purl.obolibrary.org/obo/cl/components/mappings.owl" not in release.imports
    index = TermIndex.from_store(store)
    assert "MESH:D059630" in index[MESENCHYMAL_STEM_CELL].xrefs
    assert index.by_xref("MSH:D059630") == (MESENCHYMAL_STEM_CELL,)


def test_a_failed_load_keeps_the_old_release(tmp_path: Path) -> None:
    store = Store.in_memory()
    load_ontology(store, DOID_NCIT_2026)
    before = len(store)
    broken = tmp_path / "doid.obo"
    broken.write_text("<html>not an ontology</html>")
    with pytest.raises(OntologyError):
        load_ontology(store, broken, name="doid")
    assert len(store) == before


# -- the term index ---------------------------------------------------------------------------


def test_index_finds_terms_by_curie_and_iri(index: TermIndex) -> None:
    term = index[PRIMARY_OVARIAN_INSUFFICIENCY]
    assert term.label == "primary ovarian insufficiency"
    assert index.get("http://purl.obolibrary.org/obo/DOID_5426") == term
    assert OVARIAN_DISEASE in term.parents


def test_index_follows_alternative_ids(index: TermIndex) -> None:
    assert index["DOID:267"].curie == "DOID:0001816"


def test_unknown_term_is_none_leniently_and_an_error_strictly(index: TermIndex) -> None:
    assert index.get("DOID:999999999") is None
    with pytest.raises(UnknownTermError, match="DOID:999999999"):
        index["DOID:999999999"]


def test_index_lookups_by_label_synonym_definition_and_xref(index: TermIndex) -> None:
    assert index.by_label("Primary Ovarian  Insufficiency") == (PRIMARY_OVARIAN_INSUFFICIENCY,)
    assert PRIMARY_OVARIAN_INSUFFICIENCY in index.by_synonym("premature ovarian failure")
    definition = index[PRIMARY_OVARIAN_INSUFFICIENCY].definition or ""
    assert index.by_definition(definition.upper()) == (PRIMARY_OVARIAN_INSUFFICIENCY,)
    assert PRIMARY_OVARIAN_INSUFFICIENCY in index.by_xref("MESH:D016649")


def test_ancestors_and_descendants_follow_the_asserted_hierarchy(index: TermIndex) -> None:
    assert {OVARIAN_DISEASE, "DOID:4"} <= index.ancestors(PRIMARY_OVARIAN_INSUFFICIENCY)
    assert PRIMARY_OVARIAN_INSUFFICIENCY in index.descendants(OVARIAN_DISEASE)
    assert MULTI_FATE_STEM_CELL in index.ancestors(MESENCHYMAL_STEM_CELL)


def test_obsolete_terms_know_their_replacement(index: TermIndex) -> None:
    term = index["DOID:5709"]
    assert term.obsolete and term.replaced_by == ("DOID:5363",)


def test_obsolete_terms_without_replacement_suggest_what_to_consider(index: TermIndex) -> None:
    term = index["DOID:625"]
    assert term.obsolete and term.replaced_by == ()
    assert set(term.consider) == {"DOID:2583", "DOID:2914", "DOID:624"}


def test_release_of_a_term(index: TermIndex) -> None:
    release = index.release_of(MESENCHYMAL_STEM_CELL)
    assert release is not None and release.name == "cl"
