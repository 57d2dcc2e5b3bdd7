"""Condition and cell-type phrasings as registries write them, against the real releases.

Each row: what a record says, which term it must ground to (or None), and by which strategy.
"""

from __future__ import annotations

import pytest

from kg.grounding.grounder import ground_mention
from kg.grounding.methods import Method
from kg.model import MentionKind
from kg.ontology.terms import TermIndex

C, X = MentionKind.CONDITION, MentionKind.CELL_TYPE

# (kind, mention, reference the record gives, expected term, expected method)
TABLE = [
    # labels, case and spacing
    (C, "primary ovarian insufficiency", None, "DOID:5426", "exact_label"),
    (C, "Primary Ovarian Insufficiency", None, "DOID:5426", "exact_label"),
    (C, "ovarian disease", None, "DOID:1100", "exact_label"),
    (C, "Parkinson's disease", None, "DOID:14330", "exact_label"),
    (C, "retinitis pigmentosa", None, "DOID:10584", "exact_label"),
    (C, "Crohn's disease", None, "DOID:8778", "exact_label"),
    (C, "myocardial infarction", None, "DOID:5844", "exact_label"),
    # exact synonyms
    (C, "Premature ovarian failure", None, "DOID:5426", "exact_synonym"),
    (C, "premature ovarian insufficiency", None, "DOID:5426", "exact_synonym"),
    (C, "Parkinson disease", None, "DOID:14330", "exact_synonym"),
    (C, "age-related macular degeneration", None, "DOID:10871", "exact_synonym"),
    (C, "ALS", None, "DOID:332", "exact_synonym"),
    # plurals, Greek letters
    (C, "ovarian diseases", None, "DOID:1100", "normalised_label"),
    (C, "β-thalassemia", None, "DOID:12241", "normalised_label"),
    # identifiers: OBO CURIE and IRI, alt id, MeSH id, EFO IRI not in DOID
    (C, "POI", "DOID:5426", "DOID:5426", "explicit_reference"),
    (C, "POI", "http://purl.obolibrary.org/obo/DOID_5426", "DOID:5426", "explicit_reference"),
    (C, "angiosarcoma", "DOID:267", "DOID:0001816", "explicit_reference"),
    (C, "POI", "MESH:D016649", "DOID:5426", "xref"),
    (C, "MESH:D016649", None, "DOID:5426", "xref"),
    (C, "a rare disease", "http://www.ebi.ac.uk/efo/EFO_0004266", None, "none"),
    # EFO links translate to DOID through DOID's own cross-references
    (C, "IPF", "http://www.ebi.ac.uk/efo/EFO_0000768", "DOID:0050156", "xref"),
    (C, "RLS", "EFO:0004270", "DOID:0050425", "xref"),
    # obsolete term followed to its replacement
    (C, "mixed-type liposarcoma", None, "DOID:5363", "exact_label"),
    # near misses and unknowns stay ungrounded
    # one letter off a word the ontology uses, and only one such word: put right
    (C, "primary ovarian insuficiency", None, "DOID:5426", "spelling_corrected"),
    # a head noun that only says something is wrong with a body part: that part's disease
    (C, "ovarian insufficiency", None, "DOID:1100", "words_dropped"),
    (C, "ovarian lesion of unknown kind", None, None, "none"),
    (C, "quantum entanglement syndrome", None, None, "none"),
    # an abbreviation two diseases share: ambiguous, never settled by chance
    (C, "ALD", None, None, "ambiguous"),
    # cell types
    (X, "mesenchymal stem cell", None, "CL:0000134", "exact_label"),
    (X, "retinal pigment epithelial cell", None, "CL:0002586", "exact_label"),
    (X, "dopaminergic neuron", None, "CL:0000700", "exact_label"),
    (X, "natural killer cell", None, "CL:0000623", "exact_label"),
    (X, "T cell", None, "CL:0000084", "exact_label"),
    (X, "hematopoietic stem cell", None, "CL:0000037", "exact_label"),
    (X, "embryonic stem cell", None, "CL:0002322", "exact_label"),
    (X, "hepatocyte", None, "CL:0000182", "exact_label"),
    (X, "cardiomyocyte", None, "CL:0000746", "exact_synonym"),
    (X, "NK cell", None, "CL:0000623", "exact_synonym"),
    (X, "pancreatic beta cell", None, "CL:0000169", "exact_synonym"),
    (X, "red blood cell", None, "CL:0000232", "exact_synonym"),
    (X, "limbal stem cell", None, "CL:4033093", "exact_synonym"),
    (X, "Mesenchymal stem cells", None, "CL:0000134", "normalised_label"),
    (X, "dopaminergic neurons", None, "CL:0000700", "normalised_label"),
    (X, "MSC", None, "CL:0000134", "related_synonym"),
    (X, "mesenchymal stromal cell", None, "CL:0000134", "related_synonym"),
    # a related synonym of a term and of its subtypes: the term is meant
    (X, "erythroid stem cell", None, "CL:0000038", "related_synonym"),
    # intervention names: the cell type inside, abbreviations spelt out, the head noun last
    (X, "RPE cells", None, "CL:0002586", "contained_label"),
    (X, "iPSC-derived retinal pigment epithelial cells", None, "CL:0002586", "contained_label"),
    (X, "Human umbilical cord MSCs", None, "CL:0000134", "contained_label"),
    (X, "autologous CAR T cells", None, "CL:0000084", "contained_label"),
    (X, "allogeneic HSCT", None, "CL:0000037", "contained_label"),
    (X, "hESC-derived dopaminergic neurons", None, "CL:0000700", "contained_label"),
    (X, "cardiomyocytes derived from iPSC", None, "CL:0000746", "contained_label"),
    (X, "autologous bone marrow stem cells", None, None, "none"),  # "stem cell": too general
    (X, "Estradiol valerate", None, None, "none"),
    # a condition is never grounded to a cell type, nor the other way round
    (C, "mesenchymal stem cell", None, None, "none"),
    (X, "primary ovarian insufficiency", None, None, "none"),
]


@pytest.mark.parametrize(
    ("kind", "mention", "ref", "term", "method"),
    TABLE,
    ids=[f"{row[1]}|{row[2] or ''}" for row in TABLE],
)
def test_phrasing_grounds_as_expected(
    index: TermIndex,
    kind: MentionKind,
    mention: str,
    ref: str | None,
    term: str | None,
    method: str,
) -> None:
    grounding = ground_mention(kind, mention, index, ontology_ref=ref)
    assert (grounding.object_id, grounding.method) == (term, method)
    assert grounding.mapping_justification == Method(method).justification
    if term is None:
        assert grounding.confidence == 0.0
    else:
        assert 0.5 <= grounding.confidence <= 1.0


def test_the_table_covers_at_least_forty_phrasings() -> None:
    assert len(TABLE) >= 40


def test_confidence_falls_with_each_weaker_strategy() -> None:
    order = [
        "explicit_reference",
        "exact_label",
        "exact_synonym",
        "xref",
        "normalised_label",
        "related_synonym",
    ]
    values = [Method(m).confidence for m in order]
    assert values == sorted(values, reverse=True)


def test_ambiguous_mention_names_its_candidates(index: TermIndex) -> None:
    grounding = ground_mention(C, "ALD", index)
    assert grounding.comment is not None
    assert "DOID:0070658" in grounding.comment and "DOID:10588" in grounding.comment


def test_replaced_obsolete_term_says_so_at_lower_confidence(index: TermIndex) -> None:
    grounding = ground_mention(C, "mixed-type liposarcoma", index)
    assert grounding.comment == "obsolete DOID:5709 replaced by DOID:5363"
    assert grounding.confidence < Method.EXACT_LABEL.confidence
