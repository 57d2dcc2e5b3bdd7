"""Grounding the seed's mentions against the real DOID and CL releases."""

from __future__ import annotations

import pytest

from kg.grounding.grounder import Grounder, ground, ground_mention
from kg.grounding.methods import Method
from kg.model import Condition, MentionKind
from kg.ontology.terms import TermIndex
from kg.readers.hpscreg import read_record

from conftest import (
    DOID_2016,
    MESENCHYMAL_STEM_CELL,
    PRIMARY_OVARIAN_INSUFFICIENCY,
    SEED,
)


@pytest.fixture(scope="module")
def index_2026(index: TermIndex) -> TermIndex:
    return index


@pytest.fixture(scope="module")
def index_2016() -> TermIndex:
    return TermIndex.from_files(DOID_2016)


@pytest.fixture(scope="module")
def seed_trial():
    return read_record(SEED)


def test_seed_condition_grounds_to_primary_ovarian_insufficiency_by_label_in_2026(
    index_2026, seed_trial
) -> None:
    grounded = ground(seed_trial, index_2026)
    (condition,) = grounded.conditions
    assert condition.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
    assert condition.method == "exact_label"
    assert condition.matched_text == "primary ovarian insufficiency"
    assert "2026-07-31" in (condition.object_source_version or "")


def test_seed_definition_corroborates_the_label_match(index_2026, seed_trial) -> None:
    (condition,) = ground(seed_trial, index_2026).conditions
    assert condition.confidence == pytest.approx(Method.EXACT_LABEL.confidence + 0.04)
    assert "definition" in (condition.comment or "")


def test_seed_condition_grounds_by_exact_synonym_in_2016(index_2016, seed_trial) -> None:
    (condition,) = ground(seed_trial, index_2016).conditions
    assert condition.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
    assert condition.method == "exact_synonym"
    assert condition.object_label == "premature ovarian failure"
    assert condition.matched_text == "primary ovarian insufficiency"
    assert "2016-03-04" in (condition.object_source_version or "")


def test_seed_cell_type_grounds_to_mesenchymal_stem_cell(index_2026, seed_trial) -> None:
    (cell,) = ground(seed_trial, index_2026).cell_products
    assert cell.object_id == MESENCHYMAL_STEM_CELL
    assert cell.method == "exact_label"
    assert cell.kind is MentionKind.CELL_TYPE
    assert cell.object_source == "http://purl.obolibrary.org/obo/cl.owl"


def test_definition_alone_grounds_a_renamed_mention(index_2026, seed_trial) -> None:
    condition = seed_trial.conditions[0]
    result = ground_mention(
        MentionKind.CONDITION, "POI (ovarian)", index_2026, description=condition.description
    )
    assert result.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
    assert result.method == "definition"


def test_unknown_mention_stays_ungrounded(index_2026) -> None:
    result = ground_mention(MentionKind.CONDITION, "quantum entanglement syndrome", index_2026)
    assert result.object_id is None
    assert result.method == "none"
    assert result.confidence == 0.0


def test_conditions_never_ground_to_cell_types(index_2026) -> None:
    result = ground_mention(MentionKind.CONDITION, "mesenchymal stem cell", index_2026)
    assert result.object_id is None


def test_explicit_reference_wins(index_2026) -> None:
    result = ground_mention(
        MentionKind.CONDITION,
        "something else",
        index_2026,
        ontology_ref="http://purl.obolibrary.org/obo/DOID_5426",
    )
    assert result.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
    assert result.method == "explicit_reference"
    assert result.confidence == 1.0


def test_normalised_label_matches_plural_and_case(index_2026) -> None:
    result = ground_mention(MentionKind.CELL_TYPE, "Mesenchymal Stem-Cells", index_2026)
    assert result.object_id == MESENCHYMAL_STEM_CELL
    assert result.method == "normalised_label"


def test_related_synonym_gives_lower_confidence(index_2026) -> None:
    result = ground_mention(MentionKind.CELL_TYPE, "mesenchymal stromal cell", index_2026)
    assert result.object_id == MESENCHYMAL_STEM_CELL
    assert result.method == "related_synonym"
    assert result.confidence == Method.RELATED_SYNONYM.confidence


def test_grounder_caches_per_distinct_mention(index_2026, seed_trial) -> None:
    grounder = Grounder(index_2026)
    first = grounder(seed_trial)
    second = grounder(seed_trial)
    assert first == second
    assert len(grounder._cache) == 2


def test_alt_id_reference_resolves_to_the_live_term(index_2026) -> None:
    # DOID:267 is an alternative id of DOID:0001816 (angiosarcoma) in the 2026 release.
    result = ground_mention(MentionKind.CONDITION, "x", index_2026, ontology_ref="DOID:267")
    assert result.object_id == "DOID:0001816"


def test_seed_condition_mention_is_kept_as_written(index_2026) -> None:
    mention = Condition(label="Primary Ovarian Insufficiency")
    grounded = Grounder(index_2026).mention(MentionKind.CONDITION, mention)
    assert grounded.subject_label == "Primary Ovarian Insufficiency"
    assert grounded.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
