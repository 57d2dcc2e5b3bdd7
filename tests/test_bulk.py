"""The fast path of a build writes exactly the quads the per-trial path writes, and reports the
same rejected records, with worker processes or without."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest

from kg.load import LoadReport, bulk_build_records, load_records
from kg.load.bulk import BulkSettings
from kg.ontology.terms import TermIndex
from kg.store import Store

from conftest import SEED

LOADED_AT = datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)


def _lines(generate: ModuleType, vocabulary: object, n: int, seed: int, start: int = 0) -> str:
    studies = generate.generate(n, seed=seed, start=start, vocabulary=vocabulary)
    return "".join(json.dumps(s) + "\n" for s in studies)


@pytest.fixture
def records(tmp_path: Path, generate: ModuleType, vocabulary: object) -> list[Path]:
    """The seed, 300 generated studies with two bad lines, a study repeated, and a broken JSON."""
    lines = _lines(generate, vocabulary, 300, seed=5).splitlines(keepends=True)
    lines.insert(41, "{not json\n")
    lines.insert(120, '{"protocolSection": {"identificationModule": {"nctId": "NCT123"}}}\n')
    lines.insert(200, "\n")
    many = tmp_path / "many.jsonl"
    many.write_text("".join(lines), encoding="utf-8")
    again = tmp_path / "again.jsonl"  # the first two studies again, changed: the later wins
    again.write_text(_lines(generate, vocabulary, 2, seed=6), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    return [SEED, many, broken, again]


def _canonical(store: Store) -> Counter[tuple[str, str, str, str]]:
    """The quads, each blank node written as what it says (its sorted statements).

    Blank nodes here form trees (a date, a sponsor, a site), so this is an isomorphism test.
    """
    quads = list(store.quads())
    said: dict[ox.BlankNode, list[tuple[str, str]]] = defaultdict(list)
    for quad in quads:
        if isinstance(quad.subject, ox.BlankNode):
            said[quad.subject].append((quad.predicate.value, _term(quad.object, said)))
    return Counter(
        (_term(q.subject, said), str(q.predicate), _term(q.object, said), str(q.graph_name))
        for q in quads
    )


def _term(term: object, said: dict[ox.BlankNode, list[tuple[str, str]]]) -> str:
    if isinstance(term, ox.BlankNode):
        return "[" + "; ".join(f"{p} {o}" for p, o in sorted(said[term])) + "]"
    return str(term)


def _summary(report: LoadReport) -> tuple[object, ...]:
    return (
        report.files,
        report.records_read,
        report.trials_loaded,
        report.quads,
        [str(e) for e in report.rejected],
        {k: tuple(v) for k, v in report.grounded.items()},
        [(key, g) for key, g in report.ungrounded],
    )


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "two-workers"])
def test_bulk_build_writes_the_quads_load_records_writes(
    index: TermIndex, records: list[Path], workers: int
) -> None:
    expected_store = Store.in_memory()
    expected = load_records(expected_store, records, index, loaded_at=LOADED_AT)
    store = Store.in_memory()
    settings = BulkSettings(workers=workers, batch_lines=37, load_bytes=64 * 1024)
    report = bulk_build_records(store, records, index, loaded_at=LOADED_AT, settings=settings)
    assert report.trials_loaded == 1 + 300 + 2  # the seed, the good lines, two loaded anew
    assert _summary(report) == _summary(expected)
    assert len(store) == len(expected_store)
    assert _canonical(store) == _canonical(expected_store)


def test_errors_in_a_sliced_file_name_the_line_of_the_whole_file(
    index: TermIndex, records: list[Path]
) -> None:
    store = Store.in_memory()
    settings = BulkSettings(workers=0, batch_lines=10)
    report = bulk_build_records(store, records[1:2], index, settings=settings)
    problems = [(e.record, e.line) for e in report.rejected]
    assert problems == [("line 42", 42), ("NCT123", None)]


def test_contacts_go_to_the_private_graph_on_the_fast_path_too(index: TermIndex) -> None:
    expected_store = Store.in_memory()
    load_records(expected_store, [SEED], index, include_contacts=True, loaded_at=LOADED_AT)
    store = Store.in_memory()
    bulk_build_records(store, [SEED], index, include_contacts=True, loaded_at=LOADED_AT)
    assert any("/graph/private/" in g.value for g in store.named_graphs())
    assert _canonical(store) == _canonical(expected_store)


@pytest.mark.parametrize("slice_lines", [2, 7, 100_000])
def test_load_reads_json_lines_in_slices_with_the_same_outcome(
    index: TermIndex, records: list[Path], slice_lines: int
) -> None:
    """`trialkg load` reads JSON Lines a slice at a time (flat memory): what it loads and what
    it rejects, with which line and study, is the same whatever the slice size."""
    whole_store = Store.in_memory()
    whole = load_records(whole_store, records, index, loaded_at=LOADED_AT, slice_lines=10**9)
    store = Store.in_memory()
    report = load_records(store, records, index, loaded_at=LOADED_AT, slice_lines=slice_lines)
    assert _summary(report) == _summary(whole)
    assert [(e.record, e.line) for e in report.rejected if "many.jsonl" in e.path] == [
        ("line 42", 42),
        ("NCT123", None),
    ]
    assert _canonical(store) == _canonical(whole_store)
