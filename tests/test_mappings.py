"""SSSOM export, curator review and curator overrides."""

from __future__ import annotations

import io
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import RecordError
from kg.grounding.grounder import Grounder
from kg.grounding.methods import Method
from kg.grounding.overrides import read_overrides
from kg.grounding.review import review
from kg.grounding.sssom import iter_mappings, write_sssom
from kg.load import load_into
from kg.model import Condition, MentionKind
from kg.store import Store

from conftest import (
    CL_EDIT_OWL,
    DOID_NCIT_2026,
    MESENCHYMAL_STEM_CELL,
    PRIMARY_OVARIAN_INSUFFICIENCY,
    SEED,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seed_store_path: Path) -> Path:
    """The seed plus a record whose condition matches nothing."""
    folder = tmp_path_factory.mktemp("mappings")
    return _seed_store_with(folder, seed_store_path, 900, "ovarian insufficiensy", "A disease")


def _seed_store_with(
    folder: Path, seed_store_path: Path, number: int, label: str, description: str
) -> Path:
    """A copy of the seed's store, loaded with record ``hpscreg-<number>``: the seed with
    another NCT number (NCT09999<number>) and its condition's label and description."""
    record = folder / f"hpscreg-{number}.txt"
    record.write_text(
        SEED.read_text(encoding="utf-8")
        .replace("NCT03877471", f"NCT09999{number}")
        .replace("Label primary ovarian insufficiency", f"Label {label}")
        .replace("Description An ovarian disease", f"Description {description}"),
        encoding="utf-8",
    )
    path = folder / "kg.db"
    shutil.copytree(seed_store_path, path)
    load_into(path, [record])
    return path


def test_export_has_one_row_per_grounding_explaining_both_seed_links(store: Path) -> None:
    rows = {r.subject_id: r for r in iter_mappings(Store.open_read_only(store))}
    condition = rows["trialkg.record:hpscreg/48/condition/1"]
    assert condition.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
    assert condition.mapping_justification == "semapv:LexicalMatching"
    assert condition.match_string == "primary ovarian insufficiency"
    assert condition.confidence == pytest.approx(0.99)
    assert "2026-07-31" in condition.object_source_version
    cell = rows["trialkg.record:hpscreg/48/intervention/1/cell-type"]
    assert cell.object_id == MESENCHYMAL_STEM_CELL
    assert cell.object_label == "mesenchymal stem cell"


def test_export_lists_an_ungrounded_mention_as_no_term_found(store: Path) -> None:
    rows = [r for r in iter_mappings(Store.open_read_only(store)) if not r.object_label]
    (row,) = rows
    assert (row.subject_label, row.object_id) == ("ovarian insufficiensy", "sssom:NoTermFound")
    assert row.subject_id == "trialkg.record:hpscreg/900/condition/1"
    assert row.subject_source == "hpscreg:900"


def test_export_is_valid_sssom(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "trialkg.sssom.tsv"
    result = CliRunner().invoke(
        main, ["mappings", "export", "--out", str(out), "--store", str(store)]
    )
    assert result.exit_code == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sssom package's own deprecations
        from sssom.constants import SchemaValidationType
        from sssom.parsers import parse_sssom_table
        from sssom.validators import validate

        table = parse_sssom_table(out)
        reports = validate(
            table, [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness]
        )
    assert len(table.df) == 4  # three links and the misspelt mention, as no term found
    assert all(not report.results for report in reports.values())


def test_export_header_is_sssom_metadata() -> None:
    buffer = io.StringIO()
    write_sssom([], buffer)
    text = buffer.getvalue()
    assert text.startswith("# curie_map:\n")
    assert "# mapping_set_id: https://w3id.org/trialkg/mappings/" in text
    assert "# license: " in text


def test_review_lists_the_unknown_condition_with_candidates(store: Path, index) -> None:
    items = review(Store.open_read_only(store), index)
    (item,) = items
    assert item.trial == "NCT09999900"
    assert item.mention == "ovarian insufficiensy"
    assert item.reason == "ungrounded"
    assert PRIMARY_OVARIAN_INSUFFICIENCY in [c.curie for c in item.candidates]


def test_review_command_prints_candidates(store: Path) -> None:
    result = CliRunner().invoke(main, ["mappings", "review", "--store", str(store)])
    assert result.exit_code == 0
    assert "'ovarian insufficiensy'\tungrounded" in result.stdout
    assert "candidate DOID:5426" in result.stdout


def _overrides(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "overrides.sssom.tsv"
    path.write_text(
        "# curie_map:\n#   DOID: http://purl.obolibrary.org/obo/DOID_\n"
        "subject_label\tpredicate_id\tobject_id\tconfidence\tcomment\n" + rows
    )
    return path


def test_an_override_wins_and_is_recorded_as_manual_curation(tmp_path: Path, index) -> None:
    path = _overrides(tmp_path, "ovarian insufficiensy\tskos:exactMatch\tDOID:5426\t0.97\ttypo\n")
    grounder = Grounder(index, overrides=read_overrides(path))
    grounding = grounder.mention(MentionKind.CONDITION, Condition("Ovarian Insufficiensy"))
    assert grounding.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
    assert grounding.method == "manual_curation"
    assert grounding.mapping_justification == "semapv:ManualMappingCuration"
    assert grounding.confidence == 0.97
    assert grounding.comment == "curated in overrides.sssom.tsv:4: typo"


def test_an_override_can_say_no_term(tmp_path: Path, index) -> None:
    path = _overrides(tmp_path, "primary ovarian insufficiency\t\tsssom:NoTermFound\t\t\n")
    grounder = Grounder(index, overrides=read_overrides(path))
    grounding = grounder.mention(MentionKind.CONDITION, Condition("primary ovarian insufficiency"))
    assert grounding.object_id is None
    assert grounding.method == "manual_curation"
    assert grounding.mapping_justification == "semapv:ManualMappingCuration"
    assert grounding.confidence == 0.0


def test_an_override_without_a_confidence_gets_that_of_manual_curation(tmp_path: Path) -> None:
    path = _overrides(tmp_path, "ovarian insufficiensy\tskos:exactMatch\tDOID:5426\t\t\n")
    (override,) = read_overrides(path).values()
    assert override.confidence == Method.MANUAL_CURATION.confidence == 1.0


def test_build_with_overrides_exports_manual_curation(tmp_path: Path, store: Path) -> None:
    odd = store.parent / "hpscreg-900.txt"
    path = _overrides(tmp_path, "ovarian insufficiensy\tskos:exactMatch\tDOID:5426\t\t\n")
    target = tmp_path / "kg.db"
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(odd),
            "--ontology",
            str(DOID_NCIT_2026),
            "--ontology",
            str(CL_EDIT_OWL),
            "--overrides",
            str(path),
            "--store",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.stderr
    rows = list(iter_mappings(Store.open_read_only(target)))
    curated = [r for r in rows if r.subject_label == "ovarian insufficiensy"]
    assert [(r.object_id, r.mapping_justification) for r in curated] == [
        (PRIMARY_OVARIAN_INSUFFICIENCY, "semapv:ManualMappingCuration")
    ]


def test_overrides_without_the_needed_columns_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("# a comment\nlabel\tterm\nx\tDOID:1\n")
    with pytest.raises(RecordError, match=r"bad\.tsv:2.*subject_label"):
        read_overrides(path)


def test_a_mention_naming_two_diseases_has_a_row_and_a_link_for_each(
    tmp_path: Path, seed_store_path: Path
) -> None:
    path = _seed_store_with(
        tmp_path, seed_store_path, 901, "Breast and Ovarian Cancer", "A disease"
    )
    store = Store.open_read_only(path)
    rows = [
        r for r in iter_mappings(store) if r.subject_id == "trialkg.record:hpscreg/901/condition/1"
    ]
    assert sorted(r.object_label for r in rows) == ["breast cancer", "ovarian cancer"]
    assert {r.subject_label for r in rows} == {"Breast and Ovarian Cancer"}
    # the trial is found under either disease
    mention = "<https://w3id.org/trialkg/record/hpscreg/901/condition/1>"
    linked = store.query(
        "SELECT ?term WHERE { GRAPH ?g { ?t <https://w3id.org/trialkg/vocab#condition> ?term ;"
        f" <https://w3id.org/trialkg/vocab#conditionMention> {mention} }} }} ORDER BY ?term"
    )
    assert [row["term"].value.rsplit("/", 1)[-1] for row in linked] == ["DOID_1612", "DOID_2394"]


def test_review_leaves_out_what_names_no_disease_unless_asked(
    tmp_path: Path, seed_store_path: Path, index
) -> None:
    path = _seed_store_with(tmp_path, seed_store_path, 902, "Healthy Volunteers", "People")
    store = Store.open_read_only(path)
    assert "Healthy Volunteers" not in {item.mention for item in review(store, index)}
    (item,) = [i for i in review(store, index, no_disease=True) if i.trial == "NCT09999902"]
    assert item.mention == "Healthy Volunteers"
    assert item.reason.startswith("ungrounded (not a disease: ")
