"""The ClinicalTrials.gov legacy XML reader, on hand-written records in the 2017+ and pre-2017
layouts, the classic-format rejection, MeSH grounding, and robustness to mutated input."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import RecordError
from kg.grounding.grounder import Grounder
from kg.load import load_into
from kg.model import (
    Arm,
    Code,
    DatedValue,
    Design,
    Eligibility,
    Enrollment,
    Identifier,
    Intervention,
    Location,
    Phase,
    RecruitmentStatus,
    Reference,
    Sponsor,
    Trial,
)
from kg.ontology.terms import TermIndex
from kg.queries import load_queries, run_named
from kg.readers import read_trials
from kg.readers.ctgov_json import read_studies
from kg.readers.ctgov_xml import read_xml
from kg.store import Store

from conftest import DOID_NCIT_2026, PRIMARY_OVARIAN_INSUFFICIENCY

FIXTURES = Path(__file__).parent / "fixtures"
XML = FIXTURES / "ctgov-NCT03877471.xml"
PRE_2017 = FIXTURES / "ctgov-pre2017.xml"
JSON = FIXTURES / "ctgov-NCT03877471.json"


@pytest.fixture(scope="module")
def doid_2026() -> TermIndex:
    return TermIndex.from_files(DOID_NCIT_2026)


def one(path: Path) -> Trial:
    (item,) = read_xml(path.read_bytes(), path.name)
    assert isinstance(item, Trial), item
    return item


def test_the_2017_layout_maps_every_field() -> None:
    trial = one(XML)
    assert trial.nct_id == "NCT03877471"
    assert trial.title.startswith("Mesenchymal Stem Cells (MSCs) - Like Cell")
    assert trial.official_title is not None and trial.official_title.startswith("Safety and")
    assert trial.acronym == "MSCLCTWPOI"
    assert trial.phases == (Phase.PHASE1,)
    assert trial.phase_text == "Phase 1"
    assert trial.start == DatedValue("2019-04-01", estimated=False)
    assert trial.primary_completion == DatedValue("2020-12-31", estimated=True)
    assert trial.end == DatedValue("2021-12-31", estimated=True)
    assert trial.recruitment_status is RecruitmentStatus.UNKNOWN
    assert trial.last_known_status is RecruitmentStatus.RECRUITING
    assert trial.enrollment == Enrollment(28, estimated=True)
    assert trial.study_type == "INTERVENTIONAL"
    assert trial.design == Design("RANDOMIZED", "PARALLEL", "NONE", "TREATMENT")
    assert trial.eligibility == Eligibility("FEMALE", "P20Y", "P39Y", False)
    assert [c.label for c in trial.conditions] == ["Primary Ovarian Insufficiency"]
    assert trial.condition_mesh == (Code("Primary Ovarian Insufficiency"),)
    assert trial.keywords == ("POI", "stem cell")
    assert trial.sponsors == (Sponsor("Chinese Academy of Sciences", "lead", "OTHER"),)
    assert trial.sites == (
        Location("Institute of Zoology, Chinese Academy of Sciences", "Beijing", None, "China"),
    )
    assert trial.identifiers == (Identifier("IOZ ChineseAS POI-2", "org study id"),)
    assert trial.arms == (
        Arm("low dose", "EXPERIMENTAL", "0.2x10^7 cells per ovary", ("mesenchymal stem cells",)),
    )
    (product,) = trial.cell_products
    assert product.label == "mesenchymal stem cells"
    assert product.other_names == ("hESC-MSC-like cells",)
    assert product.arm_labels == ("low dose",)
    assert trial.interventions == ()


def test_hard_wrapped_text_and_carriage_returns_become_clean_paragraphs() -> None:
    trial = one(XML)
    assert trial.summary == (
        "There is a high incidence of women suffering from Primary Ovarian Insufficiency (POI)."
        " In this study, the investigator will evaluate the safety of MSC-like cell therapy in"
        " women suffering from POI."
    )
    assert trial.description is not None
    assert "\r" not in trial.description
    assert trial.description.endswith("for each ovary.\n\n- Safety indexes\n\n- Sex hormone levels")


def test_the_pre_2017_layout() -> None:
    trial = one(PRE_2017)
    assert trial.start == DatedValue("2013-01", estimated=None)  # month precision, untyped
    assert trial.primary_completion == DatedValue("2014-06", estimated=False)
    assert trial.phases == (Phase.PHASE1, Phase.PHASE2)
    assert trial.recruitment_status is RecruitmentStatus.TERMINATED
    assert trial.why_stopped == "Slow recruitment"
    assert trial.design == Design("NON_RANDOMIZED", "SINGLE_GROUP", "NONE", "TREATMENT")
    assert trial.eligibility == Eligibility("ALL", "P18Y", None, False)
    assert trial.official_title == (
        "Autologous Bone Marrow Derived Mesenchymal Stem Cell Transplantation in Women With"
        " Premature Ovarian Failure: a Pilot Study"
    )
    assert trial.sponsors == (
        Sponsor("Example University Hospital", "lead", "OTHER"),
        Sponsor("Example Cell Therapy Ltd", "collaborator", "INDUSTRY"),
    )
    assert trial.identifiers == (
        Identifier("POF-BMSC-2012", "org study id"),
        Identifier("2012-001234-56"),
    )
    assert trial.references == (
        Reference(
            "22000000",
            "BACKGROUND",
            "Example A, Example B. Stem cells and the ovary. Fertil Steril. 2012;98:1-9.",
        ),
        Reference(
            "25000000", "RESULT", "Example C. Bone marrow cells in premature ovarian failure. 2015."
        ),
    )
    assert [p.label for p in trial.cell_products] == [
        "Intraovarian injection of autologous bone marrow stem cells"
    ]
    assert trial.interventions == (
        Intervention(
            "Granulocyte colony-stimulating factor", "DRUG", None, ("G-CSF", "filgrastim")
        ),
    )


def test_json_and_xml_of_one_study_map_to_the_same_structure() -> None:
    (from_json,) = read_studies(JSON.read_bytes(), JSON.name)
    from_xml = one(XML)
    assert isinstance(from_json, Trial)
    same = [
        "nct_id",
        "title",
        "official_title",
        "acronym",
        "phases",
        "start",
        "primary_completion",
        "end",
        "enrollment",
        "study_type",
        "keywords",
        "identifiers",
        "sites",
        "recruitment_status",
        "last_known_status",
    ]
    for name in same:
        assert getattr(from_json, name) == getattr(from_xml, name), name
    assert [c.label for c in from_json.conditions] == [c.label for c in from_xml.conditions]
    assert [p.label for p in from_json.cell_products] == [p.label for p in from_xml.cell_products]
    assert [c.label for c in from_json.condition_mesh] == [c.label for c in from_xml.condition_mesh]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'<?xml version="1.0"?><FullStudiesResponse><APIVrs>1.01.05</APIVrs>', "classic.xml"),
        (b"<FullStudiesResponse><FullStudies/></FullStudiesResponse>", "classic.xml"),
        (json.dumps({"FullStudiesResponse": {"FullStudies": []}}).encode(), "classic.json"),
        (json.dumps({"Study": {"ProtocolSection": {}}}).encode(), "classic.json"),
    ],
)
def test_the_classic_format_is_rejected_with_a_clear_message(data: bytes, name: str) -> None:
    items = list(read_trials(data, name))
    assert len(items) == 1 and isinstance(items[0], RecordError)
    message = str(items[0])
    if b"APIVrs" in data:  # cut short: not even well-formed
        assert "not well-formed XML" in message
    else:
        assert "retired ClinicalTrials.gov classic API format" in message and name in message


def test_errors_name_the_file_the_study_and_the_field() -> None:
    text = XML.read_text(encoding="utf-8").replace("April 1, 2019", "sometime in spring")
    (item,) = read_xml(text.encode(), "bad.xml")
    assert isinstance(item, RecordError)
    assert "bad.xml, record NCT03877471, field 'start_date'" in str(item)
    text = XML.read_text(encoding="utf-8").replace("20 Years", "twenty")
    (item,) = read_xml(text.encode(), "bad.xml")
    assert "field 'eligibility/minimum_age'" in str(item)


def test_entity_expansion_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>'
    (item,) = read_xml(bomb, "bomb.xml")
    assert isinstance(item, RecordError) and "unsafe XML" in str(item)


def test_several_studies_under_a_wrapper_each_load_or_fail_alone() -> None:
    good = XML.read_bytes().split(b"?>", 1)[1]
    bad = good.replace(b"NCT03877471", b"NCT123")
    items = list(read_xml(b"<search_results>" + bad + good + b"</search_results>", "many.xml"))
    assert isinstance(items[0], RecordError) and "id_info/nct_id" in str(items[0])
    assert isinstance(items[1], Trial)


# -- MeSH grounding ---------------------------------------------------------------------------


def test_a_wrong_mesh_coding_never_overrides_the_text_match(doid_2026: TermIndex) -> None:
    grounded = Grounder(doid_2026)(one(PRE_2017))
    (condition,) = grounded.conditions
    assert condition.object_id == PRIMARY_OVARIAN_INSUFFICIENCY  # "premature ovarian failure"
    assert condition.method == "exact_synonym"
    assert condition.disagreement is not None
    assert "'Premature Birth'" in condition.disagreement


def test_an_agreeing_mesh_coding_is_silent(doid_2026: TermIndex) -> None:
    (condition,) = Grounder(doid_2026)(one(XML)).conditions
    assert condition.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
    assert condition.disagreement is None


def test_mesh_grounds_a_condition_whose_words_match_nothing(doid_2026: TermIndex) -> None:
    study = json.loads(JSON.read_text(encoding="utf-8"))
    study["protocolSection"]["conditionsModule"]["conditions"] = ["POI (Ovarian Insufficiency)"]
    (trial,) = read_studies(json.dumps(study).encode(), "s.json")
    assert isinstance(trial, Trial)
    (condition,) = Grounder(doid_2026, warn_ungrounded=False)(trial).conditions
    assert (condition.object_id, condition.method) == (PRIMARY_OVARIAN_INSUFFICIENCY, "mesh_xref")
    assert condition.matched_text == "MESH:D016649"
    assert condition.confidence == 0.75


# -- robustness ------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from([b"<", b">", b"&", b'"', b"{", b"]", b"\x00", b"\xff"])
            )
        elif data:
            del data[at : at + draw(st.integers(1, 200))]
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.sampled_from([XML, PRE_2017, JSON]).flatmap(lambda p: mutated(p.read_bytes())))
def test_readers_never_crash_on_mutated_input(data: bytes) -> None:
    for fmt in ("ctgov-xml", "ctgov-json"):
        for item in read_trials(data, "mutated", fmt=fmt):
            assert isinstance(item, Trial | RecordError)


@settings(max_examples=100, deadline=None)
@given(
    study=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "protocolSection",
                        "identificationModule",
                        "nctId",
                        "briefTitle",
                        "statusModule",
                        "startDateStruct",
                        "date",
                        "designModule",
                        "enrollmentInfo",
                        "count",
                        "eligibilityModule",
                        "minimumAge",
                        "armsInterventionsModule",
                        "interventions",
                        "name",
                        "type",
                    ]
                ),
                children,
                max_size=4,
            )
        ),
        max_leaves=30,
    )
)
def test_json_reader_never_crashes_on_odd_structures(study: object) -> None:
    for item in read_studies(json.dumps(study).encode(), "odd.json"):
        assert isinstance(item, Trial | RecordError)


# -- merge -----------------------------------------------------------------------------------


def test_the_xml_study_merges_with_the_registry_record(seed_store_copy: Path) -> None:
    path = seed_store_copy  # the registry record, with the full DOID and CL releases
    report = load_into(path, [XML])
    assert report.trials_loaded == 1 and not report.rejected
    store = Store.open_read_only(path)
    queries = load_queries()
    rows = run_named(store, queries["trial"], {"trial": "NCT03877471"})
    assert isinstance(rows, ox.QuerySolutions)
    assert {r["source"].value for r in rows} == {"hpscreg:48", "ctgov:NCT03877471"}  # type: ignore[union-attr]
    conflicts = run_named(store, queries["conflicts"], {"trial": "NCT03877471"})
    assert isinstance(conflicts, ox.QuerySolutions)
    found = {(r["property"].value, r["source"].value, r["value"].value) for r in conflicts}  # type: ignore[union-attr]
    assert ("startDate", "hpscreg:48", "2019-04-03") in found
    assert ("startDate", "ctgov:NCT03877471", "2019-04-01") in found
    assert {p for p, _, _ in found} == {"startDate"}, found


def test_mesh_disagreements_are_listed_for_curators(seed_store_copy: Path) -> None:
    path = seed_store_copy  # the registry record states no MeSH terms
    report = load_into(path, [PRE_2017, XML])
    assert report.trials_loaded == 2 and not report.rejected
    store = Store.open_read_only(path)
    rows = run_named(store, load_queries()["mesh-disagreements"], {})
    assert isinstance(rows, ox.QuerySolutions)
    found = [(r["id"].value, r["condition"].value, r["term"].value) for r in rows]  # type: ignore[union-attr]
    assert found == [
        ("NCT00000001", "Premature Ovarian Failure", "http://purl.obolibrary.org/obo/DOID_5426")
    ]
