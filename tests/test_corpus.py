"""The real ClinicalTrials.gov records in ../shared/corpus/ctgov/, when that folder is present.

Every file loads or is rejected with a stated reason; the only expected rejects are the retired
classic-format files in classic/. A dozen records across formats and eras are checked field by
field against values read by hand from the raw files; the three studies present in both json/
and xml/ map to the same structure; and the ClinicalTrials.gov issue's done-when checks run
through the built store and the named queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.errors import RecordError
from kg.load import build, load_records
from kg.model import DatedValue, MentionKind, Trial
from kg.ontology.terms import TermIndex
from kg.queries import load_queries, run_named
from kg.rdf.mapping import graphs_of, trial_iri
from kg.rdf.vocab import DCTERMS, TRIALKG, XSD
from kg.readers import read_trials
from kg.store import Store

from conftest import CL_EDIT_OWL, SEED, SHARED

CORPUS = SHARED / "corpus" / "ctgov"
DOID_2024 = SHARED / "ontologies" / "doid" / "doid-2024-01-31.obo.gz"
QUERIES = load_queries()

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"{CORPUS} is not present in this checkout's shared folder"
)


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("corpus") / "kg.db"
    report = build(path, [CORPUS, SEED], [DOID_2024, CL_EDIT_OWL])
    return path, report.load


def test_the_complete_doid_release_grounds_what_the_corpus_names(
    corpus_store: tuple[Path, object],
) -> None:
    """Of the condition mentions that may name a disease (not a population, procedure, symptom,
    ... which DOID leaves out) at least 90% are linked, and 80% of the cell products."""
    _, report = corpus_store
    counts = report.grounded  # type: ignore[attr-defined]
    beyond = report.out_of_scope  # type: ignore[attr-defined]
    grounded, ungrounded = counts[MentionKind.CONDITION]
    assert 0 < beyond[MentionKind.CONDITION] < ungrounded
    assert grounded / (grounded + ungrounded - beyond[MentionKind.CONDITION]) >= 0.90
    grounded, ungrounded = counts[MentionKind.CELL_TYPE]
    assert grounded / (grounded + ungrounded) >= 0.80


def test_every_record_loads_or_is_rejected_with_a_reason(corpus_store: tuple[Path, object]) -> None:
    _, report = corpus_store
    unexpected = [
        str(reject)
        for reject in report.rejected  # type: ignore[attr-defined]
        if "classic" not in Path(reject.path).parts and "classic API format" not in reject.problem
    ]
    assert unexpected == []
    assert report.trials_loaded > 1000  # type: ignore[attr-defined]


def test_the_ovarian_failure_msc_trials_are_found_through_doid(
    corpus_store: tuple[Path, object],
) -> None:
    path, _ = corpus_store
    store = Store.open_read_only(path)
    rows = run_named(store, QUERIES["trials-by-condition"], {"condition": "DOID:1100"})
    assert isinstance(rows, ox.QuerySolutions)
    ids = {row["id"].value for row in rows}
    assert {"NCT03877471", "NCT02603744", "NCT02043743"} <= ids


# --- A dozen records, checked by hand -------------------------------------------------------
#
# Each expectation below was read from the raw file, in the trial model's words: dates as
# "<ISO value> <precision> <actual|estimated|untyped>", enrollment as "<count> <actual|estimated|
# untyped>", codes in ClinicalTrials.gov's API v2 spelling, ages as ISO 8601 durations,
# interventions as "<TYPE>: <name>", sponsors as "<role>: <name> (<class>)", MeSH terms with
# their id where the record gives one (only v2 JSON does). A site is (name, city, country); the
# model names a site by "<city>, <country>" when the record gives no facility name. Fields not
# listed for a record are not checked for it; "summary_has" and "description_has" are excerpts.

RECORDS: list[dict[str, Any]] = [
    {
        "file": "json/containers/trial-match-ai__ctg-studies.json",
        "nct_id": "NCT00410098",
        "shows": "a website download (JSON array); UNKNOWN status with a last known status",
        "title": "Bikram Yoga and Asthma",
        "official_title": (
            "The Influence of Bikram Yoga (39 Degree Celsius Heat and 60% Humidity) on Basic "
            "Lung Function Tests,Bronchial Challenges and Pulmonary-Heart Endurance in Young "
            "Asthmatic Adults."
        ),
        "acronym": None,
        "status": "UNKNOWN",
        "last_known_status": "NOT_YET_RECRUITING",
        "start": "2007-06 month untyped",
        "primary_completion": None,
        "end": None,
        "updated": "2006-12-12 day estimated",
        "phases": ("NA",),
        "study_type": "INTERVENTIONAL",
        "design": ("NON_RANDOMIZED", "SINGLE_GROUP", "NONE", "PREVENTION"),
        "enrollment": "30 estimated",
        "conditions": ("Asthmatics",),
        "keywords": ("asthma", "yoga", "heat", "humidity", "bikram"),
        "mesh": ("Asthma (MESH:D001249)",),
        "interventions": ("BEHAVIORAL: Bikram Yoga",),
        "cell_products": (),
        "arms": (),
        "sponsors": ("lead: Hadassah Medical Organization (OTHER)",),
        "site_count": 0,
        "eligibility": ("ALL", "P18Y", "P30Y", True),
        "pmids": (),
        "summary": (
            "Cold and dry air induce exercise induced asthma. Yoga training may improve lung "
            "function tests. Bikram Yoga (heat 39 degree Celsius and humidity 60%)training may "
            "improve both lung function tests and bronchial hyperreactivity (to exercise and "
            "adenosine 5'monophosphate)."
        ),
    },
    {
        "file": "json/containers/step25__studies.json",
        "nct_id": "NCT05932303",
        "shows": "an API search page ({studies, nextPageToken}); healthy volunteers",
        "title": (
            "A Study to Assess the Effect of Multiple Doses of Itraconazole, Gemfibrozil, or "
            "Carbamazepine on BMS-986278 in Healthy Participants"
        ),
        "official_title": (
            "A Phase 1, 3-arm, Open-label, Sequential Design Study to Investigate the Effect of "
            "Multiple Doses of Itraconazole, Gemfibrozil, or Carbamazepine on Single-dose "
            "Pharmacokinetics of BMS-986278 in Healthy Participants"
        ),
        "acronym": None,
        "status": "COMPLETED",
        "last_known_status": None,
        "start": "2023-07-12 day actual",
        "primary_completion": "2023-10-23 day actual",
        "end": "2023-10-23 day actual",
        "updated": "2023-10-30 day actual",
        "phases": ("PHASE1",),
        "study_type": "INTERVENTIONAL",
        "design": ("NON_RANDOMIZED", "SEQUENTIAL", "NONE", "TREATMENT"),
        "enrollment": "47 actual",
        "conditions": ("Healthy Participants",),
        "keywords": (
            "BMS-986278",
            "Itraconazole",
            "Gemfibrozil",
            "Carbamazepine",
            "Idiopathic pulmonary fibrosis",
            "Drug interaction",
        ),
        "mesh": ("Idiopathic Pulmonary Fibrosis (MESH:D054990)",),
        "interventions": (
            "DRUG: BMS-986278",
            "DRUG: Itraconazole",
            "DRUG: Gemfibrozil",
            "DRUG: Carbamazepine",
        ),
        "arms": (
            "BMS-986278, followed by itraconazole",
            "BMS-986278, followed by gemfibrozil",
            "BMS-986278, followed by carbamazepine",
        ),
        "sponsors": ("lead: Bristol-Myers Squibb (INDUSTRY)",),
        "site_count": 1,
        "first_site": ("Local Institution - 0001", "Québec", "Canada"),
        "eligibility": ("ALL", "P18Y", "P65Y", True),
        "pmids": (),
        "identifiers": ("org study id: IM027-1007",),
    },
    {
        "file": "json/NCT00710099.json",
        "nct_id": "NCT00710099",
        "shows": "single-line v2 JSON without derivedSection.conditionBrowseModule; no max age",
        "title": (
            "Effect of Oral Sildenafil With Digital Therapeutic Iontophoresis of Sodium "
            "Nitroprussiate in Healthy Volunteers"
        ),
        "official_title": (
            "Effect of Oral Sildenafil With Digital Therapeutic Iontophoresis of Sodium "
            "Nitroprussiate on Cutaneous Blood Flow in Healthy Volunteers"
        ),
        "acronym": "INFLUX-VS",
        "status": "COMPLETED",
        "start": "2008-07 month untyped",
        "primary_completion": "2011-06 month actual",
        "end": "2011-06 month actual",
        "updated": "2011-10-06 day estimated",
        "phases": ("NA",),
        "study_type": "INTERVENTIONAL",
        "design": ("NON_RANDOMIZED", "SINGLE_GROUP", "NONE", "TREATMENT"),
        "enrollment": "40 estimated",
        "conditions": ("Healthy",),
        "keywords": (
            "iontophoresis",
            "cutaneous microcirculation",
            "sildenafil",
            "Healthy volunteers",
        ),
        "mesh": (),
        "interventions": ("DRUG: sildenafil", "DRUG: nitroprussiate iontophoresis"),
        "arms": ("1", "2"),
        "sponsors": ("lead: University Hospital, Grenoble (OTHER)",),
        "site_count": 1,
        "first_site": ("Clinical Researsh Centre", "Grenoble", "France"),
        "eligibility": ("ALL", "P18Y", None, True),
        "pmids": ("16876881",),
    },
    {
        "file": "json/NCT03475563.json",
        "nct_id": "NCT03475563",
        "shows": "pretty-printed v2 JSON (LF); an observational patient registry, no phases",
        "title": "BiOSS Study (BiOSS LIM C Stent Registry in Bifurcated Lesions)",
        "official_title": "BiOSS LIM C Stent Registry in Bifurcated Lesions",
        "acronym": "BIOSS",
        "status": "UNKNOWN",
        "last_known_status": "RECRUITING",
        "start": "2018-08-16 day actual",
        "primary_completion": "2019-12-30 day estimated",
        "end": "2019-12-30 day estimated",
        "updated": "2019-11-27 day actual",
        "phases": (),
        "phase_text": None,
        "study_type": "OBSERVATIONAL",
        # Only an observational model and time perspective: none of the design fields the
        # model carries (allocation, intervention model, masking, purpose).
        "design": None,
        "enrollment": "100 estimated",
        "conditions": ("Coronary Artery Disease",),
        "keywords": (
            "Drug-eluting stent",
            "Dedicated bifurcation stent",
            "Cobalt-chromium",
            "Sirolimus-eluting stent",
        ),
        "mesh": ("Coronary Artery Disease (MESH:D000003324)",),
        "interventions": ("PROCEDURE: Coronary angioplasty with stent implantation",),
        "cell_products": (),
        "arms": ("Patients with coronary artery disease",),
        "sponsors": ("lead: Hospital Universitari Vall d'Hebron Research Institute (OTHER)",),
        "site_count": 3,
        "first_site": ("Hospital Universitari Parc Taulí", "Sabadell", "Spain"),
        "eligibility": ("ALL", "P18Y", None, False),
        "pmids": ("25828372", "25689548", "26465375"),
    },
    {
        "file": "json/NCT02299791.json",
        "nct_id": "NCT02299791",
        "shows": "pretty-printed v2 JSON with CRLF and a resultsSection; two interventions "
        "with one name; collaborator classes NIH, OTHER_GOV, UNKNOWN",
        "title": (
            "Dissemination of CVD Risk Factor Treatment Among Diabetic Patients in Safety Net "
            "Clinics"
        ),
        "official_title": None,  # the same as the brief title
        "acronym": "ALL",
        "status": "COMPLETED",
        "start": "2010-09 month untyped",
        "primary_completion": "2014-05 month actual",
        "end": "2014-05 month actual",
        "updated": "2017-10-04 day actual",
        "phases": ("NA",),
        "study_type": "INTERVENTIONAL",
        "design": ("RANDOMIZED", "PARALLEL", "NONE", "HEALTH_SERVICES_RESEARCH"),
        "enrollment": "4856 actual",
        "conditions": ("Diabetes Mellitus", "Cardiovascular Diseases"),
        "keywords": (
            "clinic-level interventions",
            "quality improvement",
            "translational medical research",
            "community health centers",
        ),
        "mesh": ("Cardiovascular Diseases (MESH:D000002318)",),
        "interventions": ("OTHER: ALL", "OTHER: ALL"),
        "arms": ("Early Intervention", "Late implementation"),
        "sponsors": (
            "lead: Kaiser Permanente (OTHER)",
            "collaborator: National Heart, Lung, and Blood Institute (NHLBI) (NIH)",
            "collaborator: OCHIN, Inc. (OTHER)",
            "collaborator: Virginia Garcia Memorial Health Center (UNKNOWN)",
            "collaborator: Multnomah County Health Department (OTHER_GOV)",
            "collaborator: Oregon Health and Science University (OTHER)",
        ),
        "site_count": 0,
        "eligibility": ("ALL", "P18Y", "P75Y", False),
        "pmids": ("22864500", "28381249", "27113199", "26059264"),
        "identifiers": ("org study id: 1R18HL095481-01A1", "NIH: 1R18HL095481-01A1"),
        # The file writes "\~6,500": a Markdown escape, gone in clean text.
        "description_has": "serving ~6,500 adult patients with diabetes mellitus",
    },
    {
        "file": "json/NCT04835519.json",
        "nct_id": "NCT04835519",
        "shows": "a CAR-T cell product; phase 1/2; an age in the singular ('1 Year'); "
        "Markdown escapes in the summary",
        "title": (
            "Phase I/II Study of Enhanced CD33 CAR T Cells in Subjects With Relapsed or "
            "Refractory Acute Myeloid Leukemia"
        ),
        "official_title": (
            "Open-Label, Nonramdominzed, Single-Arm Phase I/II Study to Evaluate the Safety and "
            "Tolerability of Functionally Enhanced CD33 CAR T Cells in Subjects With Relapsed or "
            "Refractory Acute Myeloid Leukemia"
        ),
        "acronym": None,
        "status": "RECRUITING",
        "start": "2021-04-08 day actual",
        "primary_completion": "2024-09-08 day estimated",
        "end": "2024-09-08 day estimated",
        "updated": "2023-02-08 day actual",
        "phases": ("PHASE1", "PHASE2"),
        "phase_text": "PHASE1, PHASE2",
        "study_type": "INTERVENTIONAL",
        "design": ("NA", "SINGLE_GROUP", "NONE", "TREATMENT"),
        "enrollment": "25 estimated",
        "conditions": (
            "Acute Myeloid Leukemia",
            "Relapse Leukemia",
            "Refractory Acute Myeloid Leukemia",
        ),
        "keywords": (),
        "mesh": (
            "Leukemia (MESH:D000007938)",
            "Leukemia, Myeloid (MESH:D000007951)",
            "Leukemia, Myeloid, Acute (MESH:D000015470)",
        ),
        "cell_products": ("BIOLOGICAL: chimeric antigen receptor T cell",),
        "interventions": (),
        "arms": ("chimeric antigen receptor T cell treatment",),
        "sponsors": ("lead: Beijing Boren Hospital (OTHER)",),
        "site_count": 1,
        "first_site": ("Beijing Boren Hospital", "Beijing", "China"),
        "eligibility": ("ALL", "P1Y", "P70Y", False),
        "pmids": (),
        # The file writes "5×10\^5": a Markdown escape, gone in clean text.
        "summary_has": "Dose 1 (DL-1) was 5×10^5 (±20%) CAR T cells/kg",
    },
    {
        "file": "xml/NCT01745770.xml",
        "nct_id": "NCT01745770",
        "shows": "a June 2014 snapshot: <clinical_study rank>, free-text <study_design>, "
        "lastchanged_date, gender 'Both', 'Anticipated' dates",
        "title": (
            "TID 1000 mg Mesalazine Versus TID 2x500 mg Mesalazine in Active Ulcerative Colitis "
            "(UC)"
        ),
        "official_title": (
            "Double-blind, Double-dummy, Randomised, Multi-centre, Comparative Phase III "
            "Clinical Study on the Efficacy and Tolerability of an 8 Week Oral Treatment With "
            "Three Times Daily 1000 mg Mesalazine Versus Three Times Daily 2x500 mg Mesalazine "
            "in Patients With Active Ulcerative Colitis"
        ),
        "acronym": None,
        "status": "RECRUITING",
        "start": "2013-01 month untyped",
        "primary_completion": "2014-03 month estimated",
        "end": "2014-06 month estimated",
        "updated": "2013-11-05 day untyped",
        "phases": ("PHASE3",),
        "phase_text": "Phase 3",
        "study_type": "INTERVENTIONAL",
        "design": ("RANDOMIZED", "PARALLEL", "DOUBLE", "TREATMENT"),
        "enrollment": "400 estimated",
        "conditions": ("Active Ulcerative Colitis",),
        "keywords": (),
        "mesh": ("Colitis", "Colitis, Ulcerative", "Ulcer"),
        "interventions": ("DRUG: Mesalazine - TID 1000 mg", "DRUG: Mesalazine - TID 2x 500 mg"),
        "arms": ("A", "B"),
        "sponsors": ("lead: Dr. Falk Pharma GmbH (INDUSTRY)",),
        "site_count": 1,
        "first_site": ("Med. Klinik 1 - Markus-Krankenhaus", "Frankfurt", "Germany"),
        "eligibility": ("ALL", "P18Y", "P75Y", False),
        "pmids": (),
        "summary": (
            "The purpose of the trial is to proof whether TID 1000 mg mesalazine is "
            "non-inferior to TID 2x 500 mg mesalazine in the treatment of patients with acute "
            "ulcerative colitis"
        ),
    },
    {
        "file": "xml/NCT00018200.xml",
        "nct_id": "NCT00018200",
        "shows": "a June 2014 snapshot with a <results_reference>; sponsor class 'U.S. Fed'; "
        "other names",
        "title": "Effect of Antidepressants on Back Pain",
        "official_title": "Efficacy of Antidepressants in Chronic Back Pain",
        "status": "COMPLETED",
        "start": "1999-04 month untyped",
        "primary_completion": "2003-12 month actual",
        "end": "2004-03 month actual",
        "updated": "2012-06-04 day untyped",
        "phases": ("PHASE2",),
        "phase_text": "Phase 2",
        "study_type": "INTERVENTIONAL",
        "design": ("RANDOMIZED", "PARALLEL", "DOUBLE", "TREATMENT"),
        "enrollment": "130 actual",
        "conditions": ("Back Pain", "Sciatica"),
        "keywords": ("analgesia", "Back pain", "sciatica"),
        "mesh": ("Back Pain", "Sciatica"),
        "interventions": ("DRUG: Desipramine", "DRUG: Fluoxetine", "DRUG: Benztropine"),
        "other_names": ("Anafranil", "Prozac", "Cogentin"),
        "arms": ("Arm 1", "Arm 2", "Arm 3"),
        # FORMAT.md §3: the legacy class "U.S. Fed" is the v2 class FED.
        "sponsors": ("lead: Department of Veterans Affairs (FED)",),
        "site_count": 1,
        "first_site": (
            "VA San Diego Healthcare System, San Diego",
            "San Diego",
            "United States",
        ),
        "eligibility": ("ALL", "P21Y", "P65Y", False),
        "pmids": ("17414235",),
        # Hard-wrapped, with two spaces after the full stop in the file.
        "summary_has": "lasted at least six months on a daily basis. Study participants will be",
    },
    {
        "file": "xml/NCT00499720.xml",
        "nct_id": "NCT00499720",
        "shows": "the January 2023 AllPublicXML dump (&#xD; in text blocks); an expanded-access "
        "record with no dates, phase, enrollment or facility names",
        "title": (
            "Aztreonam Lysine for Inhalation in Patients With Cystic Fibrosis and Pseudomonas "
            "Aeruginosa Airway Infection"
        ),
        "official_title": (
            "Expanded Access Program for Aztreonam Lysine for Inhalation in Patients With "
            "Cystic Fibrosis and Pseudomonas Aeruginosa Airway Infection Who Have Limited "
            "Treatment Options and Are at Risk for Disease Progression"
        ),
        "acronym": None,
        "status": "APPROVED_FOR_MARKETING",
        "start": None,
        "primary_completion": None,
        "end": None,
        # <last_update_posted type="Estimate">: FORMAT.md §3 maps "Estimate" to ESTIMATED.
        "updated": "2011-08-02 day estimated",
        "phases": (),
        "study_type": "EXPANDED_ACCESS",
        "design": None,
        "enrollment": None,
        "conditions": ("Cystic Fibrosis", "Pseudomonas Aeruginosa Airway Infection"),
        "keywords": (
            "Cystic Fibrosis",
            "Pseudomonas aeruginosa",
            "airway infection",
            "Aztreonam Lysine for Inhalation",
        ),
        "mesh": (
            "Infections",
            "Communicable Diseases",
            "Pseudomonas Infections",
            "Cystic Fibrosis",
            "Respiratory Aspiration",
            "Fibrosis",
        ),
        "interventions": ("DRUG: Aztreonam Lysine for Inhalation",),
        "arms": (),
        "sponsors": ("lead: Gilead Sciences (INDUSTRY)",),
        "site_count": 65,
        "first_site": ("Birmingham, United States", "Birmingham", "United States"),
        "eligibility": ("ALL", "P6Y", None, None),
        "pmids": (),
        "summary": (
            "The primary objective of this program is to provide expanded access to aztreonam "
            "lysine for inhalation (AZLI) 75 mg prior to its commercial availability to "
            "patients with cystic fibrosis (CF) and chronic P. aeruginosa airway infection who "
            "have limited treatment options and are at risk for disease progression."
        ),
    },
    {
        "file": "xml/NCT05380882.xml",
        "nct_id": "NCT05380882",
        "shows": "the TREC 2022 sample (May 2023, CRLF and &#xD;); month-only anticipated dates",
        "title": "Clinical Trial of the TQB2930 Injection in Patients With Advanced Cancers",
        "official_title": "A Phase I Study of TQB2930 Injection in Patients With Advanced Cancers",
        "acronym": None,
        "status": "RECRUITING",
        "start": "2022-05 month estimated",
        "primary_completion": "2023-04 month estimated",
        "end": "2023-12 month estimated",
        "updated": "2022-05-19 day actual",
        "phases": ("PHASE1",),
        "study_type": "INTERVENTIONAL",
        "design": ("NA", "SINGLE_GROUP", "NONE", "TREATMENT"),
        "enrollment": "60 estimated",
        "conditions": ("Advanced Cancers",),
        "keywords": (),
        "mesh": ("Neoplasms",),
        "interventions": ("DRUG: TQB2930 injection",),
        "arms": ("TQB2930 injection",),
        "sponsors": (
            "lead: Chia Tai Tianqing Pharmaceutical Group Nanjing Shunxin Pharmaceutical Co., "
            "Ltd. (INDUSTRY)",
        ),
        "site_count": 1,
        "first_site": ("Sun Yat-sen University Cancer Center", "Guangzhou", "China"),
        "eligibility": ("ALL", "P18Y", "P75Y", False),
        "pmids": (),
        "summary": (
            "TQB2930 is an anti-HER2 (Human Epidermal Growth Factor Receptor 2) bispecific "
            "antibody that can simultaneously bind two epitopes of HER2, leading to a dual HER2 "
            "signal blockage. This is a phase I study to evaluate the safety, tolerability and "
            "effectiveness of TQB2930 injection in subjects with advanced malignancies."
        ),
    },
    {
        "file": "xml/NCT01076361.xml",
        "nct_id": "NCT01076361",
        "shows": "an AACT fixture (2018, CRLF) with <clinical_results>; study type "
        "'Observational [Patient Registry]'; no age limits",
        "title": (
            "Model 4968 CAPTURE EPI® STERIOD-ELUTING BIPOLAR EPICARDIAL PACING LEAD "
            "Post-approval Study"
        ),
        "official_title": (
            "Medtronic Model 4968 CapSure Epi® Steroid-Eluting Bipolar Epicardial Pacing Lead "
            "Post-approval Study"
        ),
        "acronym": "4968",
        "status": "COMPLETED",
        "start": "1999-09 month untyped",
        "primary_completion": "2010-09 month actual",
        "end": "2010-09 month actual",
        # <last_update_posted type="Estimate">: FORMAT.md §3 maps "Estimate" to ESTIMATED.
        "updated": "2014-10-27 day estimated",
        "phases": (),
        "study_type": "OBSERVATIONAL",
        "design": None,  # only an observational model and time perspective
        "enrollment": "370 actual",
        "conditions": ("Arrhythmia", "Heart Failure"),
        "keywords": ("Epicardial", "Pacing Lead"),
        "mesh": ("Heart Failure",),
        "interventions": (),
        "cell_products": (),
        "arms": (),
        "sponsors": ("lead: Medtronic (INDUSTRY)",),
        "site_count": 106,
        "first_site": ("Alaska Heart Institute", "Anchorage", "United States"),
        "eligibility": ("ALL", None, None, False),
        "pmids": (),
        "description_has": (
            "100 subjects (adult and pediatric) with a 4968 lead will be followed for a "
            "minimum of five years"
        ),
    },
    {
        "file": "xml/NCT02043743.xml",
        "nct_id": "NCT02043743",
        "shows": "the July 2020 AllPublicXML dump (CRLF); a bone-marrow stem-cell product for "
        "premature ovarian failure; phase 1/2; a two-paragraph summary",
        "title": (
            "Autologous Stem Cells Transplantation in Patients With Idiopathic and Drug Induced "
            "Premature Ovarian Failure"
        ),
        "official_title": None,  # the same as the brief title
        "acronym": None,
        "status": "UNKNOWN",
        "last_known_status": "RECRUITING",
        "start": "2014-01 month untyped",
        "primary_completion": "2014-04 month estimated",
        "end": "2015-01 month estimated",
        # <last_update_posted type="Estimate">: FORMAT.md §3 maps "Estimate" to ESTIMATED.
        "updated": "2014-01-23 day estimated",
        "phases": ("PHASE1", "PHASE2"),
        "phase_text": "Phase 1/Phase 2",
        "study_type": "INTERVENTIONAL",
        "design": ("NA", "SINGLE_GROUP", "NONE", "TREATMENT"),
        "enrollment": "60 estimated",
        "conditions": ("Premature Ovarian Failure",),
        "keywords": (),
        "mesh": ("Premature Birth", "Primary Ovarian Insufficiency", "Menopause, Premature"),
        "cell_products": ("BIOLOGICAL: Biological: Stem Cells",),
        "interventions": (),
        "other_names": ("Stem Cells Transplantation",),
        "arms": ("Laboratory and Clinical",),
        "sponsors": ("lead: El-Rayadh Fertility Centre (OTHER)",),
        "site_count": 1,
        "first_site": ("El-Rayadh Fertility Center", "Giza", "Egypt"),
        "eligibility": ("FEMALE", "P18Y", "P40Y", False),
        "pmids": (),
        "identifiers": ("org study id: NCT0221012014", "RFC0221012014"),
        "summary_has": "consequences/impact in those patients.\n\nThe purpose of this study",
    },
]

#: Studies in each chosen file, counted in the file.
STUDIES_PER_FILE = {
    "json/containers/trial-match-ai__ctg-studies.json": 10,
    "json/containers/step25__studies.json": 5,
}

#: Expectations the reader does not meet, with the reason: (NCT id, field) -> bug.
READER_BUGS: dict[tuple[str, str], str] = {}


def _dated(value: DatedValue | None) -> str | None:
    if value is None:
        return None
    kind = {True: "estimated", False: "actual", None: "untyped"}[value.estimated]
    return f"{value.value} {value.precision} {kind}"


def _enrollment(trial: Trial) -> str | None:
    if trial.enrollment is None:
        return None
    kind = {True: "estimated", False: "actual", None: "untyped"}[trial.enrollment.estimated]
    return f"{trial.enrollment.count} {kind}"


def _code(value: object) -> str | None:
    return None if value is None else str(value)


#: How each expectation's field reads a trial.
FIELDS: dict[str, Callable[[Trial], object]] = {
    "title": lambda t: t.title,
    "official_title": lambda t: t.official_title,
    "acronym": lambda t: t.acronym,
    "status": lambda t: _code(t.recruitment_status),
    "last_known_status": lambda t: _code(t.last_known_status),
    "start": lambda t: _dated(t.start),
    "primary_completion": lambda t: _dated(t.primary_completion),
    "end": lambda t: _dated(t.end),
    "updated": lambda t: _dated(t.source.updated),
    "phases": lambda t: tuple(str(p) for p in t.phases),
    "phase_text": lambda t: t.phase_text,
    "study_type": lambda t: t.study_type,
    "design": lambda t: (
        None
        if t.design is None
        else (
            t.design.allocation,
            t.design.intervention_model,
            t.design.masking,
            t.design.primary_purpose,
        )
    ),
    "enrollment": _enrollment,
    "conditions": lambda t: tuple(c.label for c in t.conditions),
    "keywords": lambda t: t.keywords,
    "mesh": lambda t: tuple(
        f"{m.label} ({m.curie})" if m.curie else m.label for m in t.condition_mesh
    ),
    "cell_products": lambda t: tuple(f"{p.intervention_type}: {p.label}" for p in t.cell_products),
    "interventions": lambda t: tuple(f"{i.type}: {i.name}" for i in t.interventions),
    "other_names": lambda t: (
        tuple(name for product in t.cell_products for name in product.other_names)
        + tuple(name for item in t.interventions for name in item.other_names)
    ),
    "arms": lambda t: tuple(a.label for a in t.arms),
    "sponsors": lambda t: tuple(f"{s.role}: {s.name} ({s.agency_class})" for s in t.sponsors),
    "site_count": lambda t: len(t.sites),
    "first_site": lambda t: (t.sites[0].name, t.sites[0].city, t.sites[0].country),
    "eligibility": lambda t: (
        None
        if t.eligibility is None
        else (
            t.eligibility.sex,
            t.eligibility.minimum_age,
            t.eligibility.maximum_age,
            t.eligibility.healthy_volunteers,
        )
    ),
    "pmids": lambda t: tuple(r.pmid for r in t.references if r.pmid),
    "identifiers": lambda t: tuple(
        f"{i.scheme}: {i.value}" if i.scheme else i.value for i in t.identifiers
    ),
    "summary": lambda t: t.summary,
    "description": lambda t: t.description,
}
_NOT_EXPECTATIONS = {"file", "nct_id", "shows"}


@cache
def _read(file: str) -> tuple[Trial | RecordError, ...]:
    return tuple(read_trials((CORPUS / file).read_bytes(), file))


def _trial(file: str, nct_id: str) -> Trial:
    found = [t for t in _read(file) if isinstance(t, Trial) and t.nct_id == nct_id]
    assert len(found) == 1, f"{file} should hold {nct_id} once"
    return found[0]


def _expectations() -> Iterator[Any]:
    for record in RECORDS:
        for field, expected in record.items():
            if field in _NOT_EXPECTATIONS:
                continue
            bug = READER_BUGS.get((record["nct_id"], field))
            yield pytest.param(
                record["file"],
                record["nct_id"],
                field,
                expected,
                id=f"{record['nct_id']}-{field}",
                marks=[pytest.mark.xfail(strict=True, reason=bug)] if bug else [],
            )


@pytest.mark.parametrize("record", RECORDS, ids=[r["nct_id"] for r in RECORDS])
def test_each_hand_checked_file_reads_without_a_record_error(record: dict[str, Any]) -> None:
    read = _read(record["file"])
    assert [str(item) for item in read if isinstance(item, RecordError)] == []
    assert len(read) == STUDIES_PER_FILE.get(record["file"], 1)


@pytest.mark.parametrize(("file", "nct_id", "field", "expected"), list(_expectations()))
def test_a_hand_checked_field_reads_as_the_file_states_it(
    file: str, nct_id: str, field: str, expected: object
) -> None:
    trial = _trial(file, nct_id)
    if field.endswith("_has"):
        text = FIELDS[field.removesuffix("_has")](trial)
        assert isinstance(text, str) and isinstance(expected, str)
        assert expected in text
    else:
        assert FIELDS[field](trial) == expected


def test_a_month_only_untyped_start_is_stored_as_a_year_month_without_a_flag(
    corpus_store: tuple[Path, object],
) -> None:
    path, _ = corpus_store
    store = Store.open_read_only(path)
    rows = run_named(store, QUERIES["trial"], {"trial": "NCT00710099"})
    assert isinstance(rows, ox.QuerySolutions)
    start = {
        row["property"].value: row["value"]
        for row in rows
        if row["property"].value.startswith("startDate/")
    }
    assert start == {"startDate/date": ox.Literal("2008-07", datatype=XSD.gYearMonth)}


# --- The three studies in both json/ and xml/ -----------------------------------------------
#
# Each pair comes from two snapshot dates (FORMAT.md §6), so values may differ: what must agree
# is the structure both formats give the same study.

PAIRS = ("NCT02513394", "NCT04042844", "NCT03937544")

#: Trial fields both formats carry.
SHARED_FIELDS = (
    "title",
    "official_title",
    "acronym",
    "summary",
    "description",
    "phases",
    "phase_text",
    "start",
    "primary_completion",
    "end",
    "recruitment_status",
    "why_stopped",
    "last_known_status",
    "enrollment",
    "conditions",
    "condition_mesh",
    "keywords",
    "cell_products",
    "interventions",
    "arms",
    "study_type",
    "design",
    "eligibility",
    "references",
    "identifiers",
    "sponsors",
    "sites",
)

#: Fields one snapshot states and the other does not, as read in the two files.
SNAPSHOT_GAPS: dict[str, dict[str, str]] = {
    "NCT02513394": {
        "references": "the 2023 JSON lists four papers NLM linked (DERIVED); the 2020 XML none"
    },
    "NCT04042844": {"sites": "the 2020 XML (not yet recruiting) lists no site; the 2024 JSON 14"},
    "NCT03937544": {},
}


def _pair(nct_id: str) -> tuple[Trial, Trial]:
    return _trial(f"json/{nct_id}.json", nct_id), _trial(f"xml/{nct_id}.xml", nct_id)


def _stated(trial: Trial) -> set[str]:
    stated = {name for name in SHARED_FIELDS if getattr(trial, name) not in (None, ())}
    return stated | ({"updated"} if trial.source.updated else set())


@pytest.mark.parametrize("nct_id", PAIRS)
def test_both_formats_read_as_the_same_trial(nct_id: str) -> None:
    from_json, from_xml = _pair(nct_id)
    assert from_json.nct_id == from_xml.nct_id == nct_id
    assert from_json.key == from_xml.key
    assert graphs_of(from_json) == graphs_of(from_xml)


@pytest.mark.parametrize("nct_id", PAIRS)
def test_both_formats_state_the_same_fields_but_for_snapshot_gaps(nct_id: str) -> None:
    from_json, from_xml = _pair(nct_id)
    assert _stated(from_json) ^ _stated(from_xml) == set(SNAPSHOT_GAPS[nct_id])


@pytest.mark.parametrize("nct_id", PAIRS)
def test_both_formats_count_the_same_arms_interventions_and_conditions(nct_id: str) -> None:
    counts = [
        (len(t.arms), len(t.cell_products), len(t.interventions), len(t.conditions))
        for t in _pair(nct_id)
    ]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("nct_id", PAIRS)
def test_both_formats_name_the_same_conditions(nct_id: str) -> None:
    from_json, from_xml = _pair(nct_id)
    assert [c.label.casefold() for c in from_json.conditions] == [
        c.label.casefold() for c in from_xml.conditions
    ]


@pytest.mark.parametrize("nct_id", PAIRS)
def test_only_the_json_gives_mesh_ids_for_the_same_mesh_terms(nct_id: str) -> None:
    from_json, from_xml = _pair(nct_id)
    assert [m.label for m in from_json.condition_mesh] == [m.label for m in from_xml.condition_mesh]
    assert all(m.curie for m in from_json.condition_mesh)
    assert not any(m.curie for m in from_xml.condition_mesh)


@pytest.fixture(scope="module")
def pair_stores(corpus_store: tuple[Path, object]) -> dict[str, Store]:
    """The three pairs' JSON files in one store and their XML files in another.

    Both files of a pair write the same graph (ctgov/<NCT>), so one store cannot hold both.
    """
    path, _ = corpus_store
    index = TermIndex.from_store(Store.open_read_only(path))
    stores = {}
    for suffix in ("json", "xml"):
        store = Store.in_memory()
        report = load_records(store, [CORPUS / suffix / f"{n}.{suffix}" for n in PAIRS], index)
        assert report.trials_loaded == len(PAIRS)
        stores[suffix] = store
    return stores


#: Where ``_predicates`` looks: the trial node itself, or the nodes of its interventions.
_NODES = {
    "trial": "?trial ?p ?o",
    "interventions": "?trial trialkg:intervention ?node . ?node ?p ?o",
}


def _predicates(store: Store, nct_id: str, nodes: str) -> set[str]:
    graph = graphs_of(_pair(nct_id)[0]).public
    rows = store.query(
        f"SELECT DISTINCT ?p WHERE {{ VALUES ?trial {{ {trial_iri(nct_id)} }} "
        f"GRAPH {graph} {{ {_NODES[nodes]} }} }}",
        prefixes={"trialkg": TRIALKG.uri},
    )
    assert isinstance(rows, ox.QuerySolutions)
    return {row["p"].value for row in rows}


#: Predicates only the JSON gives the trial node: MeSH ids (v2 only), and the snapshot gaps.
JSON_ONLY_PREDICATES = {
    "NCT02513394": {TRIALKG.meshCondition.value, DCTERMS.references.value},
    "NCT04042844": {TRIALKG.meshCondition.value, TRIALKG.studySite.value},
    "NCT03937544": {TRIALKG.meshCondition.value},
}


@pytest.mark.parametrize("nct_id", PAIRS)
def test_both_formats_give_the_trial_node_the_same_predicates(
    nct_id: str, pair_stores: dict[str, Store]
) -> None:
    from_json = _predicates(pair_stores["json"], nct_id, "trial")
    from_xml = _predicates(pair_stores["xml"], nct_id, "trial")
    assert from_json - from_xml == JSON_ONLY_PREDICATES[nct_id]
    assert from_xml - from_json == set()


@pytest.mark.parametrize("nct_id", PAIRS)
def test_both_formats_give_the_interventions_the_same_predicates(
    nct_id: str, pair_stores: dict[str, Store]
) -> None:
    assert _predicates(pair_stores["json"], nct_id, "interventions") == _predicates(
        pair_stores["xml"], nct_id, "interventions"
    )


# --- The ClinicalTrials.gov issue's done-when checks, through the corpus store ---------------


def test_the_seed_trial_shows_both_of_its_sources(corpus_store: tuple[Path, object]) -> None:
    path, _ = corpus_store
    rows = run_named(Store.open_read_only(path), QUERIES["trial"], {"trial": "NCT03877471"})
    assert isinstance(rows, ox.QuerySolutions)
    sources = {row["source"].value for row in rows}
    assert sources == {"hpscreg:48", "ctgov:NCT03877471"}


def test_the_seed_trial_conflicts_only_where_its_sources_disagree(
    corpus_store: tuple[Path, object],
) -> None:
    # Read in the two files: the registry page says start 2019-04-03 and "Unknown Status", the
    # 2020 XML <start_date type="Anticipated">April 1, 2019</start_date> and "Recruiting".
    # Title, acronym, phase, end date, enrollment, condition and cell type do not conflict.
    path, _ = corpus_store
    rows = run_named(Store.open_read_only(path), QUERIES["conflicts"], {"trial": "NCT03877471"})
    assert isinstance(rows, ox.QuerySolutions)
    found = {(row["property"].value, row["source"].value, row["value"].value) for row in rows}
    assert found == {
        ("startDate", "hpscreg:48", "2019-04-03"),
        ("startDate", "ctgov:NCT03877471", "2019-04-01"),
        ("recruitmentStatus", "hpscreg:48", TRIALKG.UnknownStatus.value),
        ("recruitmentStatus", "ctgov:NCT03877471", TRIALKG.Recruiting.value),
    }
