"""Dose arms read from free text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kg.readers.dosing import find_dose_arms

SEED_SENTENCE = (
    "Patients are subjected into 3 groups, with low (0.2×107), medium (0.5×107) and "
    "high dosage (1.0×107) of cells injection for each ovary."
)


def arms(text: str) -> list[tuple[str, float, str | None]]:
    return [(a.label, a.cell_count, a.scope) for a in find_dose_arms(text)]


def test_seed_sentence_gives_three_arms_per_ovary() -> None:
    assert arms("MSC-like cells were injected. " + SEED_SENTENCE + " Follow-up every 2 weeks.") == [
        ("low", 2e6, "per ovary"),
        ("medium", 5e6, "per ovary"),
        ("high", 1e7, "per ovary"),
    ]


def test_source_text_is_the_sentence() -> None:
    assert {a.source_text for a in find_dose_arms("Intro. " + SEED_SENTENCE)} == {SEED_SENTENCE}


def test_per_kilogram_doses() -> None:
    assert arms("Patients received 5 × 10^5 cells/kg.") == [("dose 1", 5e5, "per kg body weight")]


def test_e_notation_and_parenthesised_exponents() -> None:
    assert arms("Single dose of 1.0 x 10e6 cells.")[0][:2] == ("single", 1e6)
    assert arms("Group 2: 2×10(6) cells.")[0][:2] == ("group 2", 2e6)


def test_superscript_exponents() -> None:
    assert arms("A low dose of 1×10⁷ cells into each eye.") == [("low", 1e7, "per eye")]


def test_millions() -> None:
    assert arms("A single dose of 1 million cells per eye.") == [("single", 1e6, "per eye")]


def test_plain_numbers_are_not_doses() -> None:
    assert arms("There are 3 groups of 10 patients followed for 12 months.") == []


@given(st.text())
def test_any_text_gives_arms_or_none(text: str) -> None:
    for arm in find_dose_arms(text):
        assert arm.cell_count >= 1
