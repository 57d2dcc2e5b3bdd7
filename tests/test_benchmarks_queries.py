"""The query benchmark (benchmarks/queries.py) runs end to end on a tiny store, so it cannot rot.

No timings are checked: only that every named query is run, on both engines, with its rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from kg.load import default_ontologies
from kg.queries import load_queries

from conftest import load_benchmark


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("queries")


def test_every_named_query_is_timed_on_both_engines(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "figures.json"
    ontologies = [arg for path in default_ontologies() for arg in ("--ontology", str(path))]
    argv = ["--trials", "50", "--repeat", "2", "--rdflib-trials", "50", "--rdflib-repeat", "1"]
    assert bench.main([*argv, *ontologies, "--workdir", str(tmp_path), "--json", str(out)]) == 0

    figures = json.loads(out.read_text(encoding="utf-8"))
    printed = capsys.readouterr().out
    assert printed.startswith("machine: ")
    names = set(load_queries())
    for engine in ("oxigraph", "rdflib"):
        timed = figures[engine]["results"]
        assert {t["query"] for t in timed} == names
        assert all(t["rows"] is not None and t["median"] is not None for t in timed)
    for name in names:  # a line in each table
        assert printed.count(f"\n{name} ") >= 2, name
    phases = [
        t["params"] for t in figures["oxigraph"]["results"] if t["query"] == "trials-by-phase"
    ]
    assert phases == [{"phase": "PHASE1"}, {}]  # the example, then without the optional phase
    # Both engines read the same store: the same rows.
    oxigraph_rows = [t["rows"] for t in figures["rdflib"]["oxigraph_results"]]
    assert [t["rows"] for t in figures["rdflib"]["results"]] == oxigraph_rows
    assert sum(oxigraph_rows) > 0
    # Term pages: the example, busy classes, the root; each read as the server reads it.
    pages = figures["pages"]
    assert pages[0]["params"] == {"term": "DOID:1100", "page": "1"}
    assert {"term": "DOID:4", "page": "1"} in [t["params"] for t in pages]
    assert all(t["query"] == "term page" and t["median"] is not None for t in pages)
    assert all(0 < t["rows"] <= 100 for t in pages if t["params"]["term"].startswith("DOID"))
    assert "\nterm pages of trialkg serve" in printed


def test_parts_choose_what_is_measured(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "figures.json"
    ontologies = [arg for path in default_ontologies() for arg in ("--ontology", str(path))]
    argv = ["--trials", "20", "--repeat", "1", "--parts", "pages", *ontologies]
    assert bench.main([*argv, "--workdir", str(tmp_path), "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert "pages" in figures and "oxigraph" not in figures and "rdflib" not in figures
    with pytest.raises(SystemExit):
        bench.main(["--parts", "pages,speed"])
    assert "unknown part speed" in capsys.readouterr().err


def test_cases_over_the_goal_are_counted_too(
    bench: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench, "GOAL_SECONDS", 0.0)  # every case over the goal
    out = tmp_path / "figures.json"
    ontologies = [arg for path in default_ontologies() for arg in ("--ontology", str(path))]
    argv = ["--trials", "30", "--repeat", "2", "--parts", "queries", *ontologies]
    assert bench.main([*argv, "--workdir", str(tmp_path), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    timed = json.loads(out.read_text(encoding="utf-8"))["oxigraph"]["results"]
    assert timed and all(len(t["counted_seconds"]) == 2 for t in timed)
    assert all(t["counted_median"] is not None for t in timed)
    split = printed.split("\nthe cases over the goal, counted", 1)[1].splitlines()[2:]
    assert len(split) == len(timed)  # a line for each, with its rows as counted
    for line, t in zip(split, timed, strict=True):
        assert line.startswith(t["query"]) and f" {t['rows']:,} " in line, line


def test_a_case_within_the_goal_is_not_counted(bench: ModuleType) -> None:
    fast = bench.Timing("q", {}, "", rows=3, seconds=[0.001])
    assert bench.count_slow(None, {}, [fast], repeat=1, budget=1.0) == []
    assert fast.counted_seconds == [] and fast.as_json()["counted_median"] is None


def test_p95_is_the_nearest_rank(bench: ModuleType) -> None:
    timing = bench.Timing("q", {}, "", rows=1, seconds=[float(s) for s in range(1, 21)])
    assert (timing.median, timing.p95, timing.meets_goal) == (10.5, 19.0, False)
