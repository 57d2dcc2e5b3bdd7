"""When ClinicalTrials.gov last posted an update of a study: read, stored, and asked after.

``trialkg fetch --since-store`` asks the registry for what changed after the newest of these
days, so every layout must give it: v2 JSON's ``lastUpdatePostDateStruct``, the 2017 XML's
``last_update_posted`` and the older XML's ``lastchanged_date``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pyoxigraph as ox

from kg.errors import RecordError
from kg.load import load_records, newest_record_update
from kg.model import DatedValue
from kg.ontology.terms import TermIndex
from kg.rdf.vocab import TRIALKG, XSD
from kg.readers import read_trials
from kg.store import Store

from conftest import SEED

FIXTURES = Path(__file__).parent / "fixtures"
STUDY = json.loads((FIXTURES / "ctgov-NCT03877471.json").read_text(encoding="utf-8"))
XML_2017 = (FIXTURES / "ctgov-NCT03877471.xml").read_text(encoding="utf-8")
XML_OLD = (FIXTURES / "ctgov-pre2017.xml").read_text(encoding="utf-8")


def _json(nct: str, updated: str | None) -> bytes:
    study = copy.deepcopy(STUDY)
    study["protocolSection"]["identificationModule"]["nctId"] = nct
    if updated is not None:
        study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {
            "date": updated,
            "type": "ACTUAL",
        }
    return json.dumps(study).encode()


def _with_element(xml: str, element: str) -> bytes:
    head, _, tail = xml.rpartition("</clinical_study>")
    return f"{head}  {element}\n</clinical_study>{tail}".encode()


def test_json_gives_the_last_update_posted() -> None:
    (trial,) = read_trials(_json("NCT03877471", "2026-11-27"), "s.json")
    assert not isinstance(trial, RecordError)
    assert trial.source.updated == DatedValue("2026-11-27", estimated=False)
    (without,) = read_trials(_json("NCT03877471", None), "s.json")
    assert not isinstance(without, RecordError) and without.source.updated is None


def test_both_xml_layouts_give_the_last_update() -> None:
    (new,) = read_trials(
        _with_element(
            XML_2017, '<last_update_posted type="Actual">March 28, 2019</last_update_posted>'
        ),
        "new.xml",
    )
    (old,) = read_trials(
        _with_element(XML_OLD, "<lastchanged_date>June 3, 2014</lastchanged_date>"), "old.xml"
    )
    assert not isinstance(new, RecordError) and not isinstance(old, RecordError)
    assert new.source.updated == DatedValue("2019-03-28", estimated=False)
    assert old.source.updated is not None and old.source.updated.value == "2014-06-03"


def test_a_bad_last_update_names_the_file_the_study_and_the_field() -> None:
    (item,) = read_trials(_json("NCT03877471", "27/11/2026"), "page.json")
    assert isinstance(item, RecordError)
    assert "page.json, record NCT03877471, field 'statusModule.lastUpdatePostDateStruct'" in str(
        item
    )


def test_the_store_says_the_newest_update_of_a_source(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    for nct, day in [("NCT90000001", "2026-03-02"), ("NCT90000002", "2026-11-27")]:
        (records / f"{nct}.json").write_bytes(_json(nct, day))
    (records / "NCT90000003.json").write_bytes(_json("NCT90000003", "2026-12"))  # a month only
    store = Store.in_memory()
    assert newest_record_update(store, "ctgov") is None
    load_records(store, [SEED], TermIndex([]))
    assert newest_record_update(store, "ctgov") is None, "the registry page says no date"
    report = load_records(store, [records], TermIndex([]))
    assert report.trials_loaded == 3
    assert newest_record_update(store, "ctgov") == "2026-12"
    assert newest_record_update(store, "hpscreg") is None

    graph = ox.NamedNode("https://w3id.org/trialkg/graph/ctgov/NCT90000002")
    (quad,) = store.quads(graph, TRIALKG.recordUpdated, None, graph)
    assert quad.object == ox.Literal("2026-11-27", datatype=XSD.date)


def test_reloading_a_changed_study_moves_the_newest_update(tmp_path: Path) -> None:
    store = Store.in_memory()
    study = tmp_path / "NCT90000001.json"
    for day in ["2026-11-27", "2026-11-30"]:
        study.write_bytes(_json("NCT90000001", day))
        load_records(store, [study], TermIndex([]))
        assert newest_record_update(store, "ctgov") == day
    study.write_bytes(_json("NCT90000001", "2026-01-05"))  # a correction back in time
    load_records(store, [study], TermIndex([]))
    assert newest_record_update(store, "ctgov") == "2026-01-05", "the old graph is replaced"
