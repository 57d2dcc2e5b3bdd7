"""The lenient OBO reader on the real DOID and CL releases, and on damaged copies of them."""

from __future__ import annotations

import contextlib
import gzip
import logging
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import OntologyError
from kg.ontology.obo import obo_to_triples, read_obo
from kg.rdf.vocab import OBO, OBOINOWL, OWL, RDF, RDFS

from conftest import CL_OBO_2021, DOID_2016, DOID_NCIT_2026, DOID_RARE_2026

# (file, [Term] stanzas, of which obsolete, data-version) as measured on the real files.
COUNTS = [
    (DOID_2016, 9243, 2369, "releases/2016-03-04"),
    (DOID_NCIT_2026, 4757, 7, "doid/releases/2026-07-31/subsets/NCIthesaurus.obo"),
    (DOID_RARE_2026, 3460, 2, "doid/releases/2026-07-31/subsets/DO_rare_slim.obo"),
    (CL_OBO_2021, 2577, 139, "releases/2021-12-07"),
]
VERSION_IRIS = {
    DOID_2016: "http://purl.obolibrary.org/obo/doid/releases/2016-03-04/doid.owl",
    DOID_NCIT_2026: "http://purl.obolibrary.org/obo/doid/releases/2026-07-31/subsets/NCIthesaurus.owl",
    DOID_RARE_2026: "http://purl.obolibrary.org/obo/doid/releases/2026-07-31/subsets/DO_rare_slim.owl",
    CL_OBO_2021: "http://purl.obolibrary.org/obo/cl/releases/2021-12-07/cl.owl",
}
DOID_5426_LABELS = {
    DOID_2016: "premature ovarian failure",
    DOID_NCIT_2026: "primary ovarian insufficiency",
    DOID_RARE_2026: "primary ovarian insufficiency",
}


def _graph(path: Path) -> ox.Store:
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in obo_to_triples(path))
    return store


@pytest.fixture(scope="module")
def graphs() -> dict[Path, ox.Store]:
    return {path: _graph(path) for path, *_ in COUNTS}


def _objects(store: ox.Store, subject: ox.NamedNode, predicate: ox.NamedNode) -> list[str]:
    return sorted(q.object.value for q in store.quads_for_pattern(subject, predicate, None))


@pytest.mark.parametrize(
    ("path", "terms", "obsolete", "version"), COUNTS, ids=[p.name for p, *_ in COUNTS]
)
def test_term_and_obsolete_counts(path: Path, terms: int, obsolete: int, version: str) -> None:
    header, stanzas = read_obo(path)
    kinds = [(s.kind, ("is_obsolete", "true") in s.tags) for s in stanzas]
    assert sum(1 for kind, _ in kinds if kind == "Term") == terms
    assert sum(1 for kind, dead in kinds if kind == "Term" and dead) == obsolete
    assert header.data_version == version


@pytest.mark.parametrize("path", list(VERSION_IRIS), ids=lambda p: p.name)
def test_version_iri_follows_the_obo_convention(graphs, path: Path) -> None:
    versions = [q.object.value for q in graphs[path].quads_for_pattern(None, OWL.versionIRI, None)]
    assert versions == [VERSION_IRIS[path]]


@pytest.mark.parametrize("path", list(DOID_5426_LABELS), ids=lambda p: p.name)
def test_doid_5426_label_in_each_release(graphs, path: Path) -> None:
    assert _objects(graphs[path], OBO.DOID_5426, RDFS.label) == [DOID_5426_LABELS[path]]


def test_primary_ovarian_insufficiency_is_an_exact_synonym_in_2016(graphs) -> None:
    synonyms = _objects(graphs[DOID_2016], OBO.DOID_5426, OBOINOWL.hasExactSynonym)
    assert "primary ovarian insufficiency" in synonyms


def test_primary_ovarian_insufficiency_is_an_ovarian_disease_in_2026(graphs) -> None:
    parents = _objects(graphs[DOID_NCIT_2026], OBO.DOID_5426, RDFS.subClassOf)
    assert parents == [OBO.DOID_1100.value]


def test_alt_ids_are_kept(graphs) -> None:
    alt = _objects(graphs[DOID_NCIT_2026], OBO.DOID_0001816, OBOINOWL.hasAlternativeId)
    assert alt == ["DOID:267", "DOID:4508"]


def test_obsolete_term_is_deprecated_with_its_replacement(graphs) -> None:
    store = graphs[DOID_NCIT_2026]
    assert _objects(store, OBO.DOID_5709, OWL.deprecated) == ["true"]
    assert _objects(store, OBO.DOID_5709, OBO.IAO_0100001) == [OBO.DOID_5363.value]


def test_definition_with_spaced_xrefs_survives_in_2016(graphs) -> None:
    # DOID 2016-03-04 line 6202: a def xref with spaces, "JA:Epilepsy Genetics Kiel".
    (definition,) = _objects(graphs[DOID_2016], OBO.DOID_0050702, OBO.IAO_0000115)
    assert definition.startswith("An electroclinical syndrome with onset in the neonatal period")


def test_comment_escapes_are_unescaped(graphs) -> None:
    (comment,) = _objects(graphs[DOID_2016], OBO.DOID_5426, RDFS.comment)
    assert comment == "Xref MGI.\nOMIM mapping confirmed by DO. [SN]."


def test_cl_mesenchymal_stem_cell_and_its_parents(graphs) -> None:
    store = graphs[CL_OBO_2021]
    assert _objects(store, OBO.CL_0000134, RDFS.label) == ["mesenchymal stem cell"]
    named = [p for p in _objects(store, OBO.CL_0000134, RDFS.subClassOf) if p.startswith("http")]
    assert OBO.CL_0000048.value in named


def test_cl_relationships_become_restrictions(graphs) -> None:
    store = graphs[CL_OBO_2021]
    restrictions = list(store.quads_for_pattern(None, RDF.type, OWL.Restriction))
    lines = CL_OBO_2021.read_text(encoding="utf-8").splitlines()
    assert len(restrictions) == sum(1 for line in lines if line.startswith("relationship:"))


@pytest.mark.parametrize("path", [p for p, *_ in COUNTS], ids=lambda p: p.name)
def test_triples_round_trip_through_n_triples(path: Path) -> None:
    triples = list(obo_to_triples(path))
    data = ox.serialize(triples, None, ox.RdfFormat.N_TRIPLES)
    assert len(list(ox.parse(data, ox.RdfFormat.N_TRIPLES))) == len(triples)


# -- damaged and odd copies, derived from a real file ------------------------------------------


@pytest.fixture(scope="module")
def head_text() -> str:
    """The header and first 400 lines of the 2026 NCIt subset."""
    lines = DOID_NCIT_2026.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[:400])


def _ids(path: Path) -> list[str]:
    return [s.id for s in read_obo(path)[1]]


def test_crlf_bom_and_gzip_read_alike(tmp_path: Path, head_text: str) -> None:
    plain = tmp_path / "plain.obo"
    plain.write_text(head_text, encoding="utf-8")
    crlf = tmp_path / "crlf.obo"
    crlf.write_bytes(b"\xef\xbb\xbf" + head_text.replace("\n", "\r\n").encode())
    packed = tmp_path / "packed.obo.gz"
    packed.write_bytes(gzip.compress(head_text.encode()))
    assert _ids(plain) == _ids(crlf) == _ids(packed)
    assert len(list(obo_to_triples(crlf))) == len(list(obo_to_triples(plain)))


def test_file_cut_off_mid_stanza_keeps_what_is_there(tmp_path: Path, head_text: str) -> None:
    cut = tmp_path / "cut.obo"
    cut.write_text(head_text[: len(head_text) // 2 - 7], encoding="utf-8")
    ids = _ids(cut)
    assert ids and ids[0] == "DOID:0001816"


def test_malformed_line_is_skipped_with_a_warning(tmp_path: Path, head_text: str, caplog) -> None:
    broken = tmp_path / "broken.obo"
    broken.write_text(
        head_text.replace("name: angiosarcoma\n", "name: angiosarcoma\nthis line has no colon\n")
    )
    with caplog.at_level(logging.WARNING, logger="kg.ontology.obo"):
        triples = list(obo_to_triples(broken))
    assert any(
        "broken.obo" in r.getMessage() and "not 'tag: value'" in r.getMessage()
        for r in caplog.records
    )
    assert any(t.object == ox.Literal("angiosarcoma") for t in triples)


def test_unterminated_definition_is_skipped_not_fatal(tmp_path: Path, caplog) -> None:
    path = tmp_path / "bad.obo"
    path.write_text('format-version: 1.2\nontology: x\n\n[Term]\nid: X:1\nname: a\ndef: "open\n')
    with caplog.at_level(logging.WARNING, logger="kg.ontology.obo"):
        triples = list(obo_to_triples(path))
    assert any(t.object == ox.Literal("a") for t in triples)
    assert any("quoted definition" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "content",
    [b"", b"<?xml version='1.0'?><rdf:RDF/>", b'{"a": 1}'],
    ids=["empty", "rdfxml", "json"],
)
def test_a_file_that_is_not_obo_is_an_ontology_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not.obo"
    path.write_bytes(content)
    with pytest.raises(OntologyError, match=r"not\.obo"):
        list(obo_to_triples(path))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text())
def test_any_text_parses_or_is_an_ontology_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.obo"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    with contextlib.suppress(OntologyError):
        list(obo_to_triples(path))
