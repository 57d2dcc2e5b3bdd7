"""The hPSCreg reader on the seed record and on variants derived from it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import RecordError
from kg.model import (
    Contact,
    DatedValue,
    Enrollment,
    Identifier,
    Phase,
    RecruitmentStatus,
    Trial,
)
from kg.readers.hpscreg import parse_record, read_record

from conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.splitlines()


@pytest.fixture(scope="module")
def seed() -> Trial:
    return read_record(SEED)


def write(tmp_path: Path, text: str, name: str = "hpscreg-48.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the seed, field by field ------------------------------------------------------------------


def test_seed_title_loses_its_trailing_acronym(seed: Trial) -> None:
    assert seed.title == (
        "Mesenchymal Stem Cells (MSCs) - Like Cell Transplantation in Women "
        "With Primary Ovarian Insufficiency"
    )
    assert seed.acronym == "MSCLCTWPOI"


def test_seed_summary_and_description(seed: Trial) -> None:
    assert seed.summary is not None and seed.summary.startswith("There is a high incidence")
    assert seed.description is not None
    assert seed.description.endswith(
        "followed by oocyte retrieval and in vitro fertilization (IVF)."
    )


def test_seed_phase_is_phase_1(seed: Trial) -> None:
    assert seed.phases == (Phase.PHASE1,)
    assert seed.phase_text == "Phase 1"


def test_seed_start_date_is_estimated(seed: Trial) -> None:
    assert seed.start == DatedValue("2019-04-03", estimated=True)
    assert seed.end == DatedValue("2021-12-31", estimated=True)


def test_seed_condition(seed: Trial) -> None:
    (condition,) = seed.conditions
    assert condition.label == "primary ovarian insufficiency"
    assert condition.description is not None
    assert condition.description.startswith("An ovarian disease where ovaries do not produce")
    assert condition.description.endswith("; Xref MGI. OMIM mapping confirmed by DO. [SN].")
    assert condition.ontology_ref is None


def test_seed_identifiers_and_sponsor(seed: Trial) -> None:
    assert seed.nct_id == "NCT03877471"
    assert seed.key == "NCT03877471"
    assert seed.identifiers == (Identifier("IOZ ChineseAS POI-2", None),)
    assert tuple(s.name for s in seed.sponsors) == ("Chinese Academy of Sciences",)


def test_seed_cell_product_with_three_dose_arms(seed: Trial) -> None:
    (product,) = seed.cell_products
    assert product.label == "mesenchymal stem cell"
    assert product.description is not None and product.description.startswith(
        "A connective tissue cell that normally gives rise"
    )
    assert [(a.label, a.cell_count, a.scope) for a in product.dose_arms] == [
        ("low", 2e6, "per ovary"),
        ("medium", 5e6, "per ovary"),
        ("high", 1e7, "per ovary"),
    ]


def test_seed_status_and_enrollment(seed: Trial) -> None:
    assert seed.recruitment_status is RecruitmentStatus.UNKNOWN
    assert seed.enrollment == Enrollment(28, estimated=True)


def test_seed_contact_is_read(seed: Trial) -> None:
    assert seed.contacts == (Contact(first_name="Yan", last_name="Long", phone="+8617503296371"),)


def test_seed_empty_fields_are_absent(seed: Trial) -> None:
    assert seed.ictrp_url is None
    assert seed.source_url is None
    assert seed.sites == ()
    assert seed.contact_institutions == ()


def test_seed_source_record(seed: Trial) -> None:
    assert seed.source.source == "hpscreg"
    assert seed.source.record_id == "48"
    assert seed.source.url == "https://hpscreg.eu/browse/trial/48"
    assert seed.source.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()


# -- variants derived from the seed -------------------------------------------------------------


def test_crlf_bom_and_blank_lines_read_like_the_seed(tmp_path: Path, seed: Trial) -> None:
    crlf = tmp_path / "hpscreg-48.txt"
    spaced = "\n\n".join(line + "   " for line in SEED_LINES)
    crlf.write_bytes(b"\xef\xbb\xbf" + spaced.replace("\n", "\r\n").encode("utf-8"))
    variant = read_record(crlf)
    assert variant.source.sha256 != seed.source.sha256
    assert variant.__class__(**{**_fields(variant), "source": seed.source}) == seed


def _fields(trial: Trial) -> dict[str, object]:
    return {name: getattr(trial, name) for name in trial.__slots__}


def test_two_clinical_features(tmp_path: Path) -> None:
    text = SEED_TEXT.replace(
        "Administrative Information",
        "Clinical feature\nLabel infertility\nDescription Inability to conceive.\n\n"
        "Administrative Information",
        1,
    )
    trial = read_record(write(tmp_path, text))
    assert [c.label for c in trial.conditions] == ["primary ovarian insufficiency", "infertility"]
    assert trial.conditions[1].description == "Inability to conceive."


def test_two_cell_types_leave_dose_arms_unassigned(tmp_path: Path) -> None:
    text = SEED_TEXT.replace(
        "Recruitment Status",
        "Which differentiated cell type is used\nLabel retinal pigment epithelial cell\n\n"
        "Recruitment Status",
        1,
    )
    trial = read_record(write(tmp_path, text))
    assert [p.label for p in trial.cell_products] == [
        "mesenchymal stem cell",
        "retinal pigment epithelial cell",
    ]
    assert all(p.dose_arms == () for p in trial.cell_products)


def test_missing_administrative_block_keys_the_trial_by_registry_id(tmp_path: Path) -> None:
    start = SEED_TEXT.index("Administrative Information")
    end = SEED_TEXT.index("Which differentiated cell type is used")
    trial = read_record(write(tmp_path, SEED_TEXT[:start] + SEED_TEXT[end:]))
    assert trial.nct_id is None
    assert trial.key == "hpscreg-48"
    assert tuple(s.name for s in trial.sponsors) == ()
    assert [p.label for p in trial.cell_products] == ["mesenchymal stem cell"]


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.75])
def test_truncated_record_keeps_what_is_there(tmp_path: Path, fraction: float, caplog) -> None:
    kept = SEED_LINES[: int(len(SEED_LINES) * fraction)]
    with caplog.at_level(logging.WARNING, logger="kg.readers.hpscreg"):
        trial = read_record(write(tmp_path, "\n".join(kept)))
    assert trial.title.startswith("Mesenchymal Stem Cells")
    assert trial.recruitment_status is None
    assert any("cut off" in r.getMessage() for r in caplog.records)


def test_record_cut_off_mid_line(tmp_path: Path) -> None:
    text = SEED_TEXT[: SEED_TEXT.index("Sponsors Chinese") + len("Sponsors Chin")]
    trial = read_record(write(tmp_path, text))
    assert trial.nct_id == "NCT03877471"
    assert tuple(s.name for s in trial.sponsors) == ("Chin",)


def test_title_alone_is_no_record(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="expected an hPSCreg trial record"):
        read_record(write(tmp_path, SEED_LINES[0] + "\n"))


def test_bad_start_date_names_file_record_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, SEED_TEXT.replace("2019-04-03", "2019-13"))
    with pytest.raises(RecordError) as caught:
        read_record(path)
    message = str(caught.value)
    assert str(path) in message
    assert "record 48" in message
    assert "'Start date (estimated)'" in message
    assert "'2019-13'" in message
    assert caught.value.line == 8


def test_malformed_nct_number(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="'NCT number': expected NCT followed by 8 digits"):
        read_record(write(tmp_path, SEED_TEXT.replace("NCT03877471", "NCT0387")))


def test_non_numeric_participants(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="expected a whole number; found 'about 30'"):
        read_record(write(tmp_path, SEED_TEXT.replace("participants 28", "participants about 30")))


@pytest.mark.parametrize(
    "line",
    [
        "http://www.ebi.ac.uk/efo/EFO_0004266",
        "Ontology link http://www.ebi.ac.uk/efo/EFO_0004266",
    ],
)
def test_clinical_feature_with_an_ontology_link(tmp_path: Path, line: str) -> None:
    text = SEED_TEXT.replace(
        "Label primary ovarian insufficiency", f"Label primary ovarian insufficiency\n{line}"
    )
    (condition,) = read_record(write(tmp_path, text)).conditions
    assert condition.ontology_ref == "http://www.ebi.ac.uk/efo/EFO_0004266"
    assert condition.label == "primary ovarian insufficiency"


@pytest.mark.parametrize(
    ("stated", "phases"),
    [
        ("Phase 1/2", (Phase.PHASE1, Phase.PHASE2)),
        ("Phases 1/2", (Phase.PHASE1, Phase.PHASE2)),
        ("Phase I/II", (Phase.PHASE1, Phase.PHASE2)),
        ("Phase 3", (Phase.PHASE3,)),
        ("Early Phase 1", (Phase.EARLY_PHASE1,)),
        ("Not applicable", (Phase.NOT_APPLICABLE,)),
    ],
)
def test_phase_variants(tmp_path: Path, stated: str, phases: tuple[Phase, ...]) -> None:
    trial = read_record(write(tmp_path, SEED_TEXT.replace("phase Phase 1", f"phase {stated}")))
    assert trial.phases == phases
    assert trial.phase_text == stated


@pytest.mark.parametrize("stated", ["Other", "Long term follow up"])
def test_unknown_phase_is_kept_as_text(tmp_path: Path, stated: str, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="kg.readers.hpscreg"):
        trial = read_record(write(tmp_path, SEED_TEXT.replace("phase Phase 1", f"phase {stated}")))
    assert trial.phases == ()
    assert trial.phase_text == stated
    assert any("no phase trialkg knows" in r.getMessage() for r in caplog.records)


def test_actual_participants(tmp_path: Path) -> None:
    text = SEED_TEXT.replace(
        "Estimated number of participants 28", "Actual number of participants 18"
    )
    assert read_record(write(tmp_path, text)).enrollment == Enrollment(18, estimated=False)


def test_actual_dates(tmp_path: Path) -> None:
    text = SEED_TEXT.replace("Start date (estimated) 2019-04-03", "Start date 2019-04")
    assert read_record(write(tmp_path, text)).start == DatedValue("2019-04", estimated=False)


def test_other_registry_identifiers_get_their_scheme(tmp_path: Path) -> None:
    text = SEED_TEXT.replace(
        "Name IOZ ChineseAS POI-2",
        "Name 2019-001234-56\nName ChiCTR1900022004\nName jRCTb050190011",
    )
    trial = read_record(write(tmp_path, text))
    assert [(i.value, i.scheme) for i in trial.identifiers] == [
        ("2019-001234-56", "EudraCT"),
        ("ChiCTR1900022004", "ChiCTR"),
        ("jRCTb050190011", "jRCT"),
    ]


def test_record_id_from_file_name_or_argument(tmp_path: Path) -> None:
    assert read_record(write(tmp_path, SEED_TEXT, "hpscreg-77.txt")).source.record_id == "77"
    assert read_record(write(tmp_path, SEED_TEXT, "study.txt")).source.record_id == "study"
    named = read_record(write(tmp_path, SEED_TEXT, "study.txt"), record_id="9")
    assert named.source.url == "https://hpscreg.eu/browse/trial/9"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (json.dumps({"studies": []}).encode(), "expected an hPSCreg trial record"),
        (b"\x00\x01\x02binary", "binary data"),
        ("Café trial\nSummary é".encode("latin-1"), "undecodable byte at offset 3"),
    ],
)
def test_a_file_that_is_no_record_is_a_record_error(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "not-a-record.txt"
    path.write_bytes(content)
    with pytest.raises(RecordError, match=expected) as caught:
        read_record(path)
    assert "not-a-record.txt" in str(caught.value)


def test_missing_file_is_a_record_error(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="cannot read the file"):
        read_record(tmp_path / "absent.txt")


# -- any text -----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_a_trial_or_a_record_error(text: str) -> None:
    with contextlib.suppress(RecordError):
        parse_record(text, path="fuzz.txt")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*SEED_LINES, "", "Label", "Sponsors", "Name x"]), max_size=40))
def test_recombined_seed_lines_are_a_trial_or_a_record_error(lines: list[str]) -> None:
    try:
        trial = parse_record("\n".join(lines), path="fuzz.txt")
    except RecordError:
        return
    assert trial.title
