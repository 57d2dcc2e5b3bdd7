"""Grounding conditions and cell products as real sponsors write them, against the complete
DOID 2024 release and the CL editors' file.

The mentions are the kinds the corpus shows (MeSH inverted order, British spelling, glued
words, stages and recurrence, bare abbreviations); the goldens are what a curator links them to.
"""

from __future__ import annotations

import pytest

from kg.grounding.grounder import Grounder, defined_acronyms
from kg.grounding.match import drop_qualifiers, variants
from kg.grounding.methods import Method
from kg.model import CellProduct, Code, Condition, MentionKind, SourceRecord, Trial
from kg.ontology.terms import TermIndex
from kg.readers.ctgov import is_cell_product

from conftest import CL_EDIT_OWL, SHARED

DOID_2024 = SHARED / "ontologies" / "doid" / "doid-2024-01-31.obo.gz"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def grounder() -> Grounder:
    return Grounder(TermIndex.from_files(DOID_2024, CL_EDIT_OWL), warn_ungrounded=False)


@pytest.mark.parametrize(
    ("mention", "curie"),
    [
        ("Sarcoma, Kaposi", "DOID:8632"),  # MeSH inverted
        ("Stress Disorders, Post-Traumatic", "DOID:2055"),
        ("Type1diabetes", "DOID:9744"),  # glued, and "mellitus" left out
        ("Acute Lymphoblastic Leukaemia", "DOID:9952"),  # British spelling
        ("Stargardt's disease", "DOID:0050817"),  # possessive
        ("Diabetes Mellitus, Type 1", "DOID:9744"),
        ("Colorectal Neoplasms", "DOID:9256"),  # DOID names the malignant disease "cancer"
    ],
)
def test_the_same_name_written_another_way_links_exactly(
    grounder: Grounder, mention: str, curie: str
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert grounding.object_id == curie
    assert grounding.predicate_id == "skos:exactMatch"


def test_cushing_syndrome_is_not_linked_to_primary_hyperaldosteronism(grounder: Grounder) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition("Cushing's Syndrome"))
    assert grounding.object_id != "DOID:446"  # DOID 2024's EXACT synonym is wrong


def test_a_wrong_exact_synonym_of_the_release_is_never_used(grounder: Grounder) -> None:
    # DOID 2024 lists "diabetes mellitus type 2" as an EXACT synonym of MODY type 1.
    grounding = grounder.mention(MentionKind.CONDITION, Condition("Diabetes Mellitus, Type 2"))
    assert grounding.object_id == "DOID:9352"  # type 2 diabetes mellitus


def test_an_obsolete_term_without_replacement_is_not_linked(grounder: Grounder) -> None:
    assert grounder.index["DOID:2230"].obsolete  # hemophilia, retired in DOID 2024
    grounding = grounder.mention(MentionKind.CONDITION, Condition("haemophilia"))
    assert grounding.object_id is None


@pytest.mark.parametrize(
    ("mention", "curie", "dropped"),
    [
        ("Stage IV Non-small Cell Lung Cancer", "DOID:3908", "Stage IV"),
        ("Recurrent Adult Acute Myeloid Leukemia", "DOID:9119", "Recurrent, Adult"),
        ("Adult Acute Myeloid Leukemia With t(8;21)", "DOID:9119", "With t(8;21)"),
    ],
)
def test_qualifiers_are_dropped_for_a_broader_link_that_says_so(
    grounder: Grounder, mention: str, curie: str, dropped: str
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert grounding.object_id == curie
    assert grounding.method == Method.QUALIFIERS_DROPPED
    assert grounding.predicate_id == "skos:broadMatch"
    assert grounding.confidence < Method.NORMALISED_LABEL.confidence
    assert grounding.comment and dropped in grounding.comment


def test_an_unambiguous_abbreviation_is_spelt_out(grounder: Grounder) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition("AMD"))
    assert (grounding.object_id, grounding.method) == ("DOID:10871", Method.ACRONYM)


def test_an_abbreviation_the_record_defines_is_read_from_the_record(grounder: Grounder) -> None:
    defined = defined_acronyms("Stem cells for Premature Ovarian Failure (POF) in women")
    assert defined == {"POF": "Premature Ovarian Failure"}
    grounding = grounder.mention(MentionKind.CONDITION, Condition("POF"), defined)
    assert grounding.object_id == "DOID:5426"  # an exact synonym of primary ovarian insufficiency
    assert grounder.mention(MentionKind.CONDITION, Condition("POF")).object_id is None


@pytest.mark.parametrize("mention", ["Healthy", "Pregnancy", "Surgery", "Smoking Cessation"])
def test_what_is_no_disease_stays_ungrounded_and_says_why(grounder: Grounder, mention: str) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert grounding.object_id is None
    assert grounding.comment and "not a disease" in grounding.comment


@pytest.mark.parametrize(
    ("kind", "name", "curie"),
    [
        ("BIOLOGICAL", "oligodendrocyte progenitor cells", "CL:0002453"),
        ("BIOLOGICAL", "adipose-derived stromal cells", "CL:0002570"),
        ("PROCEDURE", "Peripheral blood progenitor cell transplant", "CL:0000037"),
        ("PROCEDURE", "umbilical cord blood transplantation", "CL:2000095"),
        ("BIOLOGICAL", "Anti-CD19-CAR", "CL:0000084"),
        ("DRUG", "Th2 Cells", "CL:0000546"),  # filed under DRUG, plainly cells
        ("DRUG", "Expanded Syngeneic T Lymphocytes", "CL:0000084"),
        # "a" of "with a lentiviral vector" is no cell type (a CL synonym is one letter)
        ("BIOLOGICAL", "CAR-T cells made with a lentiviral vector", "CL:0000084"),
        ("BIOLOGICAL", "LILRB4 STAR-T cells injection", "CL:0000084"),  # "-T" names T cells
        # a product's code, not CL's "C cell" (parafollicular cell)
        ("BIOLOGICAL", "combined TG-C cells", None),
    ],
)
def test_cell_products_link_the_most_specific_cell_type_the_words_support(
    grounder: Grounder, kind: str, name: str, curie: str | None
) -> None:
    assert is_cell_product(kind, name)
    product = CellProduct(name, intervention_type=kind)
    assert grounder.mention(MentionKind.CELL_TYPE, product).object_id == curie


@pytest.mark.parametrize(
    ("kind", "name"),
    [("PROCEDURE", "lymphocyte depletion"), ("OTHER", "Flow cytometry"), ("DRUG", "Carboplatin")],
)
def test_what_removes_selects_or_assays_cells_is_no_cell_product(kind: str, name: str) -> None:
    assert not is_cell_product(kind, name)


def test_variants_and_qualifiers_are_plain_rewrites() -> None:
    assert "Acute Myeloid Leukemia" in variants("Leukemia, Myeloid, Acute")
    assert "Alcohol Use Disorder" in variants("Alcohol Use Disorder (AUD)")
    assert "glycogen storage disease 2" in variants("glycogen storage disease II")
    assert drop_qualifiers("Breast Cancer") == ("Breast Cancer", [])


@pytest.mark.parametrize(
    ("mention", "curie", "method"),
    [
        ("Rheumatoid Arthritus", "DOID:7148", Method.SPELLING_CORRECTED),
        ("Diabetic Patients", "DOID:9351", Method.NORMALISED_LABEL),  # the population's disease
        ("Epileptic Children", "DOID:1826", Method.NORMALISED_LABEL),
        ("Alcohol-use Disorder", "DOID:1574", Method.NORMALISED_LABEL),  # DOID: "...-related"
        ("Refractory Childhood Ependymoma", "DOID:5509", Method.QUALIFIERS_DROPPED),
        ("Smoking Cessation; Nicotine Dependence", "DOID:0050742", Method.EXACT_LABEL),
        ("Heart Failure", "DOID:6000", Method.CURATED_NAME),  # DOID 2024: congestive only
        ("Graft vs Host Disease", "DOID:0081267", Method.NORMALISED_LABEL),
        ("Cardiovascular Diseases", "DOID:1287", Method.NORMALISED_LABEL),  # "... system disease"
        ("Nicotine Addiction", "DOID:0050742", Method.NORMALISED_LABEL),  # DOID: dependence
        ("Tobacco Dependence", "DOID:0050742", Method.NORMALISED_LABEL),
        ("Cannabis Use Disorder", "DOID:9505", Method.NORMALISED_LABEL),  # DOID: "... abuse"
        ("Communicable Diseases", "DOID:0050117", Method.NORMALISED_LABEL),  # "infectious"
        ("Bacterial Infections", "DOID:104", Method.NORMALISED_LABEL),  # "... infectious disease"
        ("Spondyloarthritis", "DOID:1123", Method.NORMALISED_LABEL),  # DOID: spondyloarthropathy
        ("Thyroid Gland Neoplasms", "DOID:1781", Method.NORMALISED_LABEL),  # DOID: thyroid cancer
        ("Adrenal Insufficiency", "DOID:10493", Method.CURATED_NAME),  # cortical hypofunction
    ],
)
def test_more_ways_sponsors_write_a_disease(
    grounder: Grounder, mention: str, curie: str, method: Method
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert (grounding.object_id, grounding.method) == (curie, method)


@pytest.mark.parametrize(
    ("mention", "curie", "method"),
    [
        ("Hip Osteoarthritis", "DOID:8398", Method.WORDS_DROPPED),
        ("Osteoarthritis, Knee", "DOID:8398", Method.WORDS_DROPPED),  # MeSH's inverted order
        # not just "hypertension"
        ("Pulmonary Arterial Hypertension", "DOID:6432", Method.WORDS_DROPPED),
        ("Lumbar Disc Herniation", "DOID:90", Method.CURATED_BROADER),  # no DOID term for it
        ("Herniated Disk, Cervical", "DOID:90", Method.CURATED_BROADER),
        ("Surgical Site Infection", "DOID:0050117", Method.WORDS_DROPPED),
        ("Neoplasm Metastasis", "DOID:162", Method.CURATED_BROADER),
        # a head noun that only says something is wrong with a body part: its disease
        ("Postoperative Pulmonary Complications", "DOID:850", Method.WORDS_DROPPED),
        ("Hepatic Impairment", "DOID:409", Method.WORDS_DROPPED),
        ("Aortic Ectasia", "DOID:520", Method.WORDS_DROPPED),
        ("Cystic Fibrosis Related Diabetes", "DOID:9351", Method.WORDS_DROPPED),  # a diabetes
        # each word as often as the name has it: not "lung non-squamous non-small cell ..."
        ("Lung Non-Small Cell Squamous Carcinoma", "DOID:3908", Method.WORDS_DROPPED),
    ],
)
def test_a_disease_the_ontology_lacks_links_broader_and_says_so(
    grounder: Grounder, mention: str, curie: str, method: Method
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert (grounding.object_id, grounding.method) == (curie, method)
    assert grounding.predicate_id == "skos:broadMatch"
    assert grounding.comment


@pytest.mark.parametrize(
    "mention",
    [
        "Genetic Predisposition to Cancer",
        "Pain After Osteoarthritis Surgery",
        "Cardiac Surgery Complications",  # a procedure's complication, not the heart's disease
        "Degenerative Disorder",  # "degenerative disease" is a synonym, and names no body part
        "Diabetes Related to Cystic Fibrosis",  # about cystic fibrosis, by its last words
        "Wilms Tumor",  # "tumor" alone names DOID's root of all neoplasms: too general
    ],
)
def test_words_that_relate_a_disease_to_something_else_are_not_dropped(
    grounder: Grounder, mention: str
) -> None:
    assert grounder.mention(MentionKind.CONDITION, Condition(mention)).object_id is None


def _trial(conditions: list[str], mesh: list[Code], **fields: object) -> Trial:
    return Trial(
        source=SourceRecord("ctgov", "NCT00000000", "test.json"),
        title=str(fields.pop("title", "A study")),
        conditions=tuple(Condition(c) for c in conditions),
        condition_mesh=tuple(mesh),
        **fields,  # type: ignore[arg-type]
    )


def test_the_study_mesh_coding_grounds_a_condition_its_words_do_not(grounder: Grounder) -> None:
    # The v2 API writes the long form of MeSH ids; DOID cross-references the short one.
    trial = _trial(
        ["Cardiac Decompensation", "Arrhythmia"],
        [Code("Heart Failure", "MESH:D000006333"), Code("Arrhythmias, Cardiac", "MESH:D001145")],
    )
    first = grounder(trial).conditions[0]
    # "Cardiac Decompensation" names no term and shares no head noun with a descriptor.
    assert first.object_id is None
    trial = _trial(["Cardiac Decompensation"], [Code("Heart Failure", "MESH:D000006333")])
    only = grounder(trial).conditions[0]
    assert (only.object_id, only.method) == ("DOID:6000", Method.MESH_XREF)


def test_a_descriptor_named_as_the_condition_wins_over_a_broader_text_link(
    grounder: Grounder,
) -> None:
    trial = _trial(
        ["Knee Osteoarthritis", "Obesity"],
        [Code("Osteoarthritis, Knee", None), Code("Obesity", None)],
    )
    knee = grounder(trial).conditions[0]
    # DOID 2024 has no knee osteoarthritis term, and no cross-reference to D020370: the
    # broader text link stays.
    assert (knee.object_id, knee.method) == ("DOID:8398", Method.WORDS_DROPPED)


def test_a_generic_cell_product_is_typed_by_its_description_or_the_title(
    grounder: Grounder,
) -> None:
    described = CellProduct(
        "Cell therapy",
        description="Intra-articular injection of autologous mesenchymal stem cells. Then rest.",
        intervention_type="BIOLOGICAL",
    )
    grounding = grounder.mention(MentionKind.CELL_TYPE, described)
    assert grounding.object_id == "CL:0000134"
    plain = CellProduct("Investigational product", intervention_type="BIOLOGICAL")
    trial = _trial(
        [], [], title="Natural Killer Cells in Acute Myeloid Leukemia", cell_products=(plain,)
    )
    (typed,) = grounder(trial).cell_products
    assert (typed.object_id, typed.method) == ("CL:0000623", Method.CONTAINED_LABEL)
    assert typed.comment and "title" in typed.comment


def test_every_row_of_the_missing_terms_table_names_a_live_term(grounder: Grounder) -> None:
    from kg.grounding.match import MISSING_TERMS

    assert MISSING_TERMS
    for name, (curie, _relation) in MISSING_TERMS.items():
        assert curie in grounder.index, name
        assert not grounder.index[curie].obsolete, name
        # and the ontology itself has no live term by that name, or the row would be needless
        named = [*grounder.index.by_label(name), *grounder.index.by_synonym(name)]
        assert all(grounder.index[c].obsolete for c in named), name


@pytest.mark.parametrize(
    ("mention", "curies"),
    [
        # a head noun both names share
        ("Brain and Central Nervous System Tumors", ["DOID:1319", "DOID:3620"]),
        ("Gastric or Gastroesophageal Cancer", ["DOID:10534", "DOID:0080374"]),
        # each whole
        ("Multiple Myeloma and Plasma Cell Neoplasm", ["DOID:9538", "DOID:6536"]),
        (
            "Acute Myeloid Leukaemia; Myelodysplastic Syndromes;Chronic Myelomonocytic Leukemia",
            ["DOID:9119", "DOID:0050908", "DOID:0080188"],
        ),
    ],
)
def test_a_mention_naming_several_conditions_links_each(
    grounder: Grounder, mention: str, curies: list[str]
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert [link.object_id for link in grounding.links] == curies
    assert all(link.subject_label == mention for link in grounding.links)
    assert grounding.comment and f"names {len(curies)} conditions" in grounding.comment


@pytest.mark.parametrize(
    ("mention", "curie"),
    [
        # qualifiers joined by "or" and "/" are one disease's, not two diseases
        ("Locally Advanced or Metastatic Breast Cancer", "DOID:1612"),
        ("Untreated Advanced or Recurrent Thymic Carcinomas", "DOID:3284"),
        ("Relapsed/Refractory T-cell Acute Lymphoid Leukaemia", "DOID:5603"),
        # a name with "and" in it, once the qualifiers are dropped
        ("Recurrent Head and Neck Carcinoma", "DOID:1542"),
    ],
)
def test_joined_qualifiers_leave_one_disease(grounder: Grounder, mention: str, curie: str) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert [link.object_id for link in grounding.links] == [curie]
    assert grounding.predicate_id == "skos:broadMatch"


@pytest.mark.parametrize(
    ("mention", "curie", "method"),
    [
        ("Haemophilia A With Inhibitors", "DOID:12134", Method.QUALIFIERS_DROPPED),
        (
            "Macular Edema Secondary to Retinal Vein Occlusion",
            "DOID:4449",
            Method.QUALIFIERS_DROPPED,
        ),
        ("Acute Lymphoblastic Leukemia, in Relapse", "DOID:9952", Method.QUALIFIERS_DROPPED),
        ("Lumbar Spondylolisthesis Involving L4-L5", "DOID:6682", Method.WORDS_DROPPED),
        ("Narcolepsy Type 1", "DOID:8986", Method.QUALIFIERS_DROPPED),  # subtype number
        ("Nephrotic Syndrome，Idiopathic", "DOID:1184", Method.WORDS_DROPPED),  # full-width comma
        ("Primary Sjögren Syndrome", "DOID:12894", Method.WORDS_DROPPED),  # accent
        ("Radiculopathy Lumbar", "DOID:4306", Method.WORDS_DROPPED),  # the site after
        ("Hypercholesterolemia", "DOID:3146", Method.CURATED_BROADER),  # retired in DOID 2024
    ],
)
def test_a_clause_or_subtype_gives_the_disease_it_qualifies(
    grounder: Grounder, mention: str, curie: str, method: Method
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert (grounding.object_id, grounding.method) == (curie, method)
    assert grounding.predicate_id == "skos:broadMatch"


@pytest.mark.parametrize(
    ("mention", "curie"),
    [
        ("Urethral Cancer", "DOID:734"),  # DOID: "urethra cancer"
        ("Cervical Carcinoma", "DOID:2893"),  # DOID: "cervix carcinoma"
        ("Spinal Stenoses", "DOID:6725"),  # "-oses" is the plural of "-osis"
        ("Cerebrovascular Accident", "DOID:6713"),  # DOID: synonyms stroke and CVA only
        ("Metabolic Disorders", "DOID:0014667"),  # DOID: "metabolic disease"
        ("Immunologic Diseases", "DOID:2914"),  # DOID: "immune system disease"
    ],
)
def test_a_site_or_plural_written_otherwise_links_exactly(
    grounder: Grounder, mention: str, curie: str
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert (grounding.object_id, grounding.predicate_id) == (curie, "skos:exactMatch")


@pytest.mark.parametrize(
    ("mention", "said"),
    [
        ("Low Back Pain, Mechanical", "symptom"),
        ("Nausea and Vomiting, Chemotherapy-Induced", "symptom"),
        ("Leg Pain and/or Back Pain", "symptom"),
        ("Human Immunodeficiency Virus Type 1 (HIV-1)", "organism"),
        ("Sars-CoV2", "organism"),
        ("Conjunctival Bacterial Flora", "organism"),
        # the virus, even where DOID lists its name among the infection's synonyms
        ("Respiratory Syncytial Virus (RSV)", "organism"),
        ("Human Papillomavirus", "organism"),
        ("Patients Undergoing a Lumbar Slipped Disc Surgery", "population"),
        ("Healthy Japanese Subjects", "population"),
        ("Infant, Premature", "population"),
        ("Arthroplasty, Replacement, Knee", "procedure"),
        ("Diskectomy", "procedure"),
        ("Continuous Glucose Monitoring", "procedure"),
        ("Cannabis Use", "behaviour"),
        ("HIV Seronegativity", "state"),
        ("Ventricular Function, Left", "measurement"),
        ("Zygomatic Fractures", "injury"),
        ("Accelerated Phase of Disease", "phase"),
        ("Analgesia", "procedure"),  # not DOID 2024's synonym of pain agnosia
    ],
)
def test_a_mention_that_names_no_disease_says_what_it_names(
    grounder: Grounder, mention: str, said: str
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert (grounding.object_id, grounding.method) == (None, Method.OUT_OF_SCOPE)
    assert grounding.comment and grounding.comment.startswith("not a disease: ")
    assert said in grounding.comment


@pytest.mark.parametrize(
    "mention", ["Drug Use Disorders", "Sepsis", "HTLV-I Infection", "Choroidal Neovascularization"]
)
def test_a_disease_no_term_matched_is_not_said_to_be_no_disease(
    grounder: Grounder, mention: str
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert grounding.method != Method.OUT_OF_SCOPE


def test_the_study_mesh_coding_never_grounds_what_names_no_disease(grounder: Grounder) -> None:
    # A vaccine study of healthy volunteers is coded with the disease the vaccine prevents.
    trial = _trial(["Healthy Participants"], [Code("Tetanus", "MESH:D013742")])
    (only,) = grounder(trial).conditions
    assert (only.object_id, only.method) == (None, Method.OUT_OF_SCOPE)


@pytest.mark.parametrize(
    ("mention", "curie"),
    [
        # the parentheses give the name in more words: it, and what follows them
        (
            "Lymphoblastic Lymphoma (Precursor T-Lymphoblastic Lymphoma/Leukaemia) Refractory",
            "DOID:7936",
        ),
        ("Acute Lymphocytic Leukemia", "DOID:9952"),  # DOID's label says lymphoblastic
        # the table's meaning of a bare abbreviation over DOID's synonym for Miller-Dieker
        ("MDS", "DOID:0050908"),
        ("Mental Disorders", "DOID:150"),  # DOID: disease of mental health
    ],
)
def test_a_name_in_parentheses_or_in_other_words_links_it(
    grounder: Grounder, mention: str, curie: str
) -> None:
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert [link.object_id for link in grounding.links] == [curie]


def test_a_list_in_parentheses_is_neither_inverted_nor_read_for_its_head_noun(
    grounder: Grounder,
) -> None:
    mention = "Mental Health Issue (E.G., Depression, Psychosis, Personality Disorder, Abuse)"
    assert not any(form.startswith("Abuse)") for form in variants(mention))
    grounding = grounder.mention(MentionKind.CONDITION, Condition(mention))
    assert grounding.object_id in (None, "DOID:150")  # never a disease of the list alone
