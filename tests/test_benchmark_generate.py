"""benchmarks/generate.py: synthetic v2 studies that trialkg reads as it reads real ones."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kg.ontology.terms import TermIndex
from kg.readers import read_trials

from conftest import DOID_RARE_2026


@pytest.fixture(scope="module")
def studies(generate: ModuleType, vocabulary: Any) -> list[dict[str, Any]]:
    return list(generate.generate(4000, seed=3, vocabulary=vocabulary))


def test_the_same_seed_gives_the_same_bytes(generate: ModuleType, vocabulary: Any) -> None:
    def text(seed: int) -> str:
        out = io.StringIO()
        generate.write_jsonl(generate.generate(50, seed=seed, vocabulary=vocabulary), out)
        return out.getvalue()

    assert text(1) == text(1)
    assert text(1) != text(2)


def test_every_study_reads_as_a_trial_with_its_last_update(studies: list[dict[str, Any]]) -> None:
    data = "".join(json.dumps(s) + "\n" for s in studies[:500]).encode()
    trials = list(read_trials(data, "generated.jsonl"))
    assert all(not isinstance(t, Exception) for t in trials), [t for t in trials][:3]
    for study, trial in zip(studies, trials, strict=False):
        status = study["protocolSection"]["statusModule"]
        first = dt.date.fromisoformat(status["studyFirstPostDateStruct"]["date"])
        updated = dt.date.fromisoformat(status["lastUpdatePostDateStruct"]["date"])
        assert first <= updated <= dt.date(2026, 11, 25)
        assert trial.source.updated is not None  # type: ignore[union-attr]
        assert trial.source.updated.value == updated.isoformat()  # type: ignore[union-attr]


def test_about_a_fifth_of_the_studies_are_on_cancer_each_on_one_side(
    generate: ModuleType, index: TermIndex, studies: list[dict[str, Any]]
) -> None:
    """A study's conditions, found again in DOID by label, synonym or MeSH xref, are all
    cancers or all not; cancer studies are about CANCER_SHARE of all (the registry's share),
    not the majority that drawing from the cancer-heavy NCIt subset would give."""
    cancer = index.descendants("DOID:162") | {"DOID:162"}
    sides = []
    for study in studies:
        possible = {True, False}  # a MeSH descriptor may be the xref of terms on both sides
        for condition in study["protocolSection"]["conditionsModule"]["conditions"]:
            curies = next(
                (
                    c
                    for base in _bases(condition)
                    for c in (index.by_label(base), index.by_synonym(base), index.by_xref(base))
                    if c
                ),
                (),
            )
            assert curies, condition
            possible &= {c in cancer for c in curies}
        assert possible, study["protocolSection"]["conditionsModule"]["conditions"]
        sides.append(possible == {True})
    share = sum(sides) / len(sides)
    assert abs(share - generate.CANCER_SHARE) < 0.03, share


def test_an_ontology_without_cancer_gives_every_study_its_other_conditions(
    generate: ModuleType,
) -> None:
    """DOID's rare-disease slim holds no DOID:162: every study draws from the rest."""
    rare = TermIndex.from_files(DOID_RARE_2026)
    assert "DOID:162" not in rare
    vocabulary = generate.vocabulary_of(rare)
    assert not vocabulary.cancer.names and vocabulary.other.names
    studies = list(generate.generate(200, seed=5, vocabulary=vocabulary))
    assert all(s["protocolSection"]["conditionsModule"]["conditions"] for s in studies)


def test_mesh_coding_follows_the_conditions_but_for_a_few_miscoded(
    generate: ModuleType, vocabulary: Any, index: TermIndex, studies: list[dict[str, Any]]
) -> None:
    """Each condition's descriptor is its DOID term's MeSH xref or its nearest ancestor's; in
    about MISCODED of the studies one of them is replaced by an unrelated descriptor."""
    coded = miscoded = 0
    lowered = {name.lower(): code for name, code in vocabulary.mesh_of.items()}
    by_heading = {heading: local for local, heading in vocabulary.mesh}
    for study in studies:
        meshes = study.get("derivedSection", {}).get("conditionBrowseModule", {}).get("meshes")
        if not meshes:
            continue
        coded += 1
        given = {m["id"] for m in meshes}
        possible = {
            lowered[base][0]
            for condition in study["protocolSection"]["conditionsModule"]["conditions"]
            for base in _bases(condition)
            if base in lowered
        }
        unrelated = given - possible
        assert len(unrelated) <= 1, "at most one condition's descriptor is replaced"
        miscoded += bool(unrelated)
        assert all(by_heading.get(m["term"]) for m in meshes)
    assert 0.85 < coded / len(studies) < 0.95
    assert 0.03 < miscoded / coded < 0.07, miscoded / coded
    # the nearest ancestor: a term without its own MeSH xref takes its parent's
    term = next(
        t
        for t in index.iter_terms()
        if t.curie.startswith("DOID:")
        and t.label
        and not t.obsolete
        and not any(x.upper().startswith(("MESH:", "MSH:")) for x in t.xrefs)
        and any(
            any(x.upper().startswith("MESH:") for x in index[p].xrefs)
            for p in t.parents
            if p in index
        )
    )
    parents_codes = {
        x.partition(":")[2]
        for p in term.parents
        if p in index
        for x in index[p].xrefs
        if x.upper().startswith("MESH:")
    }
    assert vocabulary.mesh_of[term.label][0] in parents_codes


def _bases(condition: str) -> list[str]:
    """The DOID names, lowercased, a written condition may come from (StudyMaker._condition)."""
    return [c.lower() for c in (condition, condition[:-1], condition.rsplit(", ", 1)[0])]


def test_cached_files_carry_the_generator_version(
    generate: ModuleType, vocabulary: Any, tmp_path: Path
) -> None:
    path = generate.cached_file(tmp_path, 10, seed=1, vocabulary=lambda: vocabulary)
    assert path.name == f"studies-10-seed1-from0-g{generate.VERSION}.jsonl"
    assert len(path.read_text(encoding="utf-8").splitlines()) == 10
