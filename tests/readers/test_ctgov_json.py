"""The ClinicalTrials.gov API v2 JSON reader, on a hand-written record of the seed trial.

(The real-record corpus tests come with ../shared/corpus/ctgov/.)
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import RecordError
from kg.load import load_into
from kg.model import (
    Arm,
    Code,
    DatedValue,
    Design,
    Enrollment,
    Intervention,
    Location,
    Phase,
    RecruitmentStatus,
    Sponsor,
    Trial,
)
from kg.queries import load_queries, run_named
from kg.readers import read_trials
from kg.readers.ctgov_json import read_studies
from kg.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "ctgov-NCT03877471.json"
STUDY = json.loads(FIXTURE.read_text(encoding="utf-8"))


def trials(data: bytes, name: str = "x.json") -> list[Trial | RecordError]:
    return list(read_studies(data, name))


def test_one_study_maps_to_the_trial_model() -> None:
    (trial,) = trials(FIXTURE.read_bytes())
    assert isinstance(trial, Trial)
    assert trial.nct_id == "NCT03877471"
    assert trial.title.startswith("Mesenchymal Stem Cells (MSCs)")
    assert trial.acronym == "MSCLCTWPOI"
    assert trial.phases == (Phase.PHASE1,)
    assert trial.start == DatedValue("2019-04-01", estimated=False)
    assert trial.end == DatedValue("2021-12-31", estimated=True)
    assert trial.recruitment_status is RecruitmentStatus.UNKNOWN
    assert trial.enrollment == Enrollment(28, estimated=True)
    assert [c.label for c in trial.conditions] == ["Primary Ovarian Insufficiency"]
    assert trial.sponsors == (Sponsor("Chinese Academy of Sciences", "lead", "OTHER_GOV"),)
    assert trial.sites == (
        Location("Institute of Zoology, Chinese Academy of Sciences", "Beijing", None, "China"),
    )
    assert trial.official_title is not None and trial.official_title.startswith("Safety and")
    assert trial.last_known_status is RecruitmentStatus.RECRUITING
    assert trial.primary_completion == DatedValue("2020-12-31", estimated=True)
    assert trial.study_type == "INTERVENTIONAL"
    assert trial.design == Design("RANDOMIZED", "PARALLEL", "NONE")
    assert trial.keywords == ("POI", "stem cell")
    assert trial.condition_mesh == (Code("Primary Ovarian Insufficiency", "MESH:D016649"),)
    assert trial.arms == (
        Arm("low dose", "EXPERIMENTAL", None, ("Biological: mesenchymal stem cells",)),
    )
    (product,) = trial.cell_products
    assert (product.intervention_type, product.arm_labels) == ("BIOLOGICAL", ("low dose",))
    assert trial.interventions == (
        Intervention("Estradiol valerate", "DRUG", "Hormone replacement."),
    )
    assert ("IOZ ChineseAS POI-2", "org study id") in [
        (i.value, i.scheme) for i in trial.identifiers
    ]
    assert trial.source.url == "https://clinicaltrials.gov/study/NCT03877471"


def test_markdown_escapes_are_removed() -> None:
    (trial,) = trials(FIXTURE.read_bytes())
    assert trial.summary is not None and "(POI)" in trial.summary and "MSC-like" in trial.summary


def test_cell_products_are_told_from_drugs() -> None:
    (trial,) = trials(FIXTURE.read_bytes())
    assert [p.label for p in trial.cell_products] == ["mesenchymal stem cells"]


@pytest.mark.parametrize("shape", ["array", "page", "jsonl"])
def test_containers(shape: str) -> None:
    other = json.loads(json.dumps(STUDY))
    other["protocolSection"]["identificationModule"]["nctId"] = "NCT00000001"
    if shape == "array":
        data = json.dumps([STUDY, other]).encode()
    elif shape == "page":
        data = json.dumps({"studies": [STUDY, other], "nextPageToken": "abc"}).encode()
    else:
        data = (json.dumps(STUDY) + "\n" + json.dumps(other) + "\n").encode()
    assert [t.nct_id for t in trials(data) if isinstance(t, Trial)] == [
        "NCT03877471",
        "NCT00000001",
    ]


def test_a_bad_study_is_an_error_in_the_stream_and_the_others_load() -> None:
    broken = json.loads(json.dumps(STUDY))
    broken["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "April 2019"
    items = trials(json.dumps([broken, STUDY, {"nothing": 1}]).encode(), "page.json")
    assert isinstance(items[0], RecordError)
    assert "page.json, record NCT03877471, field 'statusModule.startDateStruct'" in str(items[0])
    assert isinstance(items[1], Trial)
    assert isinstance(items[2], RecordError) and "protocolSection" in str(items[2])


def test_not_json_is_a_record_error() -> None:
    (item,) = trials(b"<clinical_study>", "a.json")
    assert isinstance(item, RecordError) and "a.json" in str(item)


def test_format_is_detected_by_suffix_and_content() -> None:
    (by_suffix,) = read_trials(gzip.decompress(gzip.compress(FIXTURE.read_bytes())), "s.json.gz")
    (by_content,) = read_trials(FIXTURE.read_bytes(), "-")
    assert isinstance(by_suffix, Trial) and isinstance(by_content, Trial)


def test_registry_record_and_study_merge_into_one_trial(seed_store_copy: Path) -> None:
    path = seed_store_copy  # the registry record, with the full DOID and CL releases
    report = load_into(path, [FIXTURE])
    assert report.trials_loaded == 1 and not report.rejected
    store = Store.open_read_only(path)
    queries = load_queries()
    sources = {
        r["source"].value
        for r in run_named(
            store,
            queries["trial"],  # type: ignore[union-attr]
            {"trial": "NCT03877471"},
        )
    }
    assert sources == {"hpscreg:48", "ctgov:NCT03877471"}
    found = run_named(store, queries["trials-by-condition"], {"condition": "DOID:1100"})
    assert [r["id"].value for r in found] == ["NCT03877471"]  # type: ignore[union-attr]
    conflicts = run_named(store, queries["conflicts"], {"trial": "NCT03877471"})
    assert isinstance(conflicts, ox.QuerySolutions)
    rows = {(r["property"].value, r["source"].value, r["value"].value) for r in conflicts}
    assert rows == {
        ("startDate", "hpscreg:48", "2019-04-03"),
        ("startDate", "ctgov:NCT03877471", "2019-04-01"),
    }
