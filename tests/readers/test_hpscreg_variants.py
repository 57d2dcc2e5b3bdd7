"""Registry-page variants real hPSCreg pages show, written as realistic records of our own."""

from __future__ import annotations

import pytest

from kg.errors import RecordError
from kg.grounding.grounder import ground
from kg.model import Phase
from kg.ontology.terms import TermIndex
from kg.readers.hpscreg import parse_record

from conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")


def parse(text: str, record: str = "100"):
    return parse_record(text, path=f"hpscreg-{record}.txt", record_id=record)


TABLE_RECORD = """\
Human Embryonic Stem Cell-Derived Retinal Pigment Epithelium in Dry AMD (hESC-RPE-AMD)

| General Information        |                                                        |
|----------------------------|--------------------------------------------------------|
| Summary                    | A phase 1/2 trial of hESC-derived RPE patches.         |
| Clinical trials phase      | Phases 1/2                                             |
| Start date                 | 2015-06                                                |
| End date (estimated)       | 2024-12-31                                             |
| Clinical feature           |                                                        |
| Label                      | age related macular degeneration                       |
| Administrative Information |                                                        |
| NCT Number                 | NCT02590692                                            |
| Sponsors                   | Regenerative Patch Technologies                        |
|                            | California Institute for Regenerative Medicine         |
| Which differentiated cell type is used |                                            |
| Label                      | retinal pigment epithelial cell                        |
| Recruitment Status         | Active, not recruiting                                 |
| Actual number of participants | 16                                                  |
"""


def test_table_layout_with_pipes_and_padding() -> None:
    trial = parse(TABLE_RECORD)
    assert trial.acronym == "hESC-RPE-AMD"
    assert trial.phases == (Phase.PHASE1, Phase.PHASE2)
    assert trial.start is not None and trial.start.value == "2015-06"
    assert trial.start.estimated is False
    assert [c.label for c in trial.conditions] == ["age related macular degeneration"]
    assert trial.nct_id == "NCT02590692"
    assert tuple(s.name for s in trial.sponsors) == (
        "Regenerative Patch Technologies",
        "California Institute for Regenerative Medicine",
    )
    assert [p.label for p in trial.cell_products] == ["retinal pigment epithelial cell"]
    assert trial.enrollment is not None and trial.enrollment.count == 16


def test_keys_and_values_on_separate_lines() -> None:
    text = (
        SEED_TEXT.replace("NCT number NCT03877471", "NCT number\nNCT03877471")
        .replace("Clinical trials phase Phase 1", "Clinical trials phase\nPhase 1")
        .replace("Start date (estimated) 2019-04-03", "Start date (estimated)\n2019-04-03")
    )
    trial = parse(text)
    assert trial.nct_id == "NCT03877471"
    assert trial.phases == (Phase.PHASE1,)
    assert trial.start is not None and trial.start.value == "2019-04-03"


def test_missing_section_headings() -> None:
    text = SEED_TEXT.replace("Clinical feature\n", "").replace(
        "Which differentiated cell type is used\n", ""
    )
    trial = parse(text)
    assert [c.label for c in trial.conditions] == ["primary ovarian insufficiency"]
    assert [p.label for p in trial.cell_products] == ["mesenchymal stem cell"]


def test_condition_line_without_its_label_key() -> None:
    trial = parse(
        SEED_TEXT.replace("Label primary ovarian insufficiency", "primary ovarian insufficiency")
    )
    assert [c.label for c in trial.conditions] == ["primary ovarian insufficiency"]
    assert trial.conditions[0].description is not None


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("2016-001234-27", "EudraCT"),
        ("ChiCTR1900022004", "ChiCTR"),
        ("UMIN000026003", "UMIN"),
        ("jRCTa050190117", "jRCT"),
    ],
)
def test_other_registry_id_in_the_nct_field(value: str, scheme: str) -> None:
    trial = parse(SEED_TEXT.replace("NCT number NCT03877471", f"NCT Number {value}"))
    assert trial.nct_id is None
    assert trial.key == "hpscreg-100"
    assert (value, scheme) in [(i.value, i.scheme) for i in trial.identifiers]


def test_a_garbled_nct_number_is_still_an_error() -> None:
    with pytest.raises(RecordError, match="or an EudraCT, ChiCTR, UMIN or jRCT id"):
        parse(SEED_TEXT.replace("NCT number NCT03877471", "NCT number 123-abc"))


def test_eudract_number_key() -> None:
    trial = parse(
        SEED_TEXT.replace(
            "NCT number NCT03877471", "NCT number NCT03877471\nEudraCT number 2016-001234-27"
        )
    )
    assert ("2016-001234-27", "EudraCT") in [(i.value, i.scheme) for i in trial.identifiers]


def test_data_verified_line_before_the_title() -> None:
    trial = parse("Data verified 2023-03-14\n\n" + SEED_TEXT)
    assert trial.acronym == "MSCLCTWPOI"


def test_older_cell_line_section() -> None:
    text = SEED_TEXT.replace("Which differentiated cell type is used", "Cell Line\nName WA09\n")
    (product,) = parse(text).cell_products
    assert product.label == "mesenchymal stem cell"
    assert product.source_cell_line == "WA09"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("http://purl.obolibrary.org/obo/DOID_5426", "DOID:5426"),
        ("http://purl.obolibrary.org/obo/NCIT_C3088", "DOID:0001816"),
        ("http://www.orpha.net/ORDO/Orphanet_619", "DOID:5426"),
        ("http://www.ebi.ac.uk/efo/EFO_0000768", "DOID:0050156"),
        ("http://purl.obolibrary.org/obo/SYMP_0000570", None),
        ("http://purl.obolibrary.org/obo/BTO_0000094", None),
    ],
)
def test_condition_links_to_other_ontologies(
    index: TermIndex, link: str, expected: str | None
) -> None:
    text = SEED_TEXT.replace(
        "Label primary ovarian insufficiency", f"Label some condition\nOntology link {link}"
    ).replace("Description An ovarian disease", "Description A disease")
    trial = parse(text)
    assert trial.conditions[0].ontology_ref == link
    (grounding,) = ground(trial, index).conditions
    assert grounding.object_id == expected


def test_record_cut_off_mid_line_in_a_table() -> None:
    cut = TABLE_RECORD[: TABLE_RECORD.index("California") + 5]
    trial = parse(cut)
    assert tuple(s.name for s in trial.sponsors) == ("Regenerative Patch Technologies", "Calif")
