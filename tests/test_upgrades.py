"""Re-grounding the seed against a newer DOID release reports what changed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.grounding.grounder import ground_mention
from kg.grounding.upgrades import compare, upgrade_report
from kg.model import MentionKind
from kg.ontology.terms import TermIndex
from kg.readers.hpscreg import read_record

from conftest import DOID_2016, DOID_NCIT_2026, PRIMARY_OVARIAN_INSUFFICIENCY, SEED


@pytest.fixture(scope="module")
def old() -> TermIndex:
    return TermIndex.from_files(DOID_2016)


@pytest.fixture(scope="module")
def new() -> TermIndex:
    return TermIndex.from_files(DOID_NCIT_2026)


def test_doid_2016_to_2026_keeps_the_seed_linked_and_says_how(
    old: TermIndex, new: TermIndex
) -> None:
    (condition, _cell) = list(upgrade_report([read_record(SEED)], old, new))
    assert condition.kind == "condition"
    assert condition.old.object_id == condition.new.object_id == PRIMARY_OVARIAN_INSUFFICIENCY
    assert condition.old.method == "exact_synonym" and condition.new.method == "exact_label"
    assert condition.changes == ("label changed", "better match")
    assert condition.still_linked


def test_obsolete_term_shows_as_replaced(old: TermIndex, new: TermIndex) -> None:
    before = ground_mention(MentionKind.CONDITION, "mixed-type liposarcoma", old)
    after = ground_mention(MentionKind.CONDITION, "mixed-type liposarcoma", new)
    change = compare("t", before, after, new)
    assert (before.object_id, after.object_id) == ("DOID:5709", "DOID:5363")
    assert change.changes == ("replaced",)


def test_lost_link_is_reported(old: TermIndex, new: TermIndex) -> None:
    before = ground_mention(MentionKind.CONDITION, "splenic artery aneurysm", old)
    after = ground_mention(MentionKind.CONDITION, "splenic artery aneurysm", new)  # not in 2026
    assert before.object_id is not None
    assert compare("t", before, after, new).changes == ("link lost",)


def test_a_change_among_a_mentions_other_links_is_reported(new: TermIndex) -> None:
    both = ground_mention(MentionKind.CONDITION, "Breast and Ovarian Cancer", new)
    assert [link.object_id for link in both.links] == ["DOID:1612", "DOID:2394"]
    first_only = replace(both, also=())
    assert compare("t", first_only, both, new).changes == ("other links changed",)
    assert compare("t", both, both, new).changes == ("unchanged",)


def test_upgrade_command_prints_one_line_per_mention() -> None:
    result = CliRunner().invoke(
        main,
        ["mappings", "upgrade", "--old", str(DOID_2016), "--new", str(DOID_NCIT_2026), str(SEED)],
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split("\t")[:4] == ["trial", "kind", "mention", "changes"]
    assert "label changed, better match" in lines[1]
    assert "'premature ovarian failure' by exact_synonym" in lines[1]
