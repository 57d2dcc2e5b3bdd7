"""The ingest benchmark runs end to end on a small input and reports consistent figures.

No timing is asserted: figures depend on the machine. What is checked is that every stage ran
and measured what it says: (b) loaded exactly the quads (a) wrote, (c) mapped as many trials
as asked, and the incremental reload replaced graphs without adding any.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT

SCRIPT = PROJECT / "benchmarks" / "ingest.py"


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    workdir = tmp_path_factory.mktemp("ingest")
    out = workdir / "figures.json"
    command = [sys.executable, str(SCRIPT), "--trials", "60", "--rdflib-trials", "25"]
    command += ["--changed", "10", "--workers", "2", "--workdir", str(workdir), "--json", str(out)]
    command += ["--slices", "0.05,1", "--repeat", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    data["stdout"] = done.stdout
    data["workdir"] = str(workdir)
    return data


def test_the_three_pipelines_and_their_ratios_are_printed(figures: dict) -> None:
    printed = figures["stdout"]
    for line in ("a trialkg", "b pyoxigraph bulk_load", "c rdflib", "a/b in quads/s", "a/c"):
        assert line in printed
    assert "machine:" in printed and "cores" in printed
    # b/c is the ceiling of a/c, as the figures say.
    assert figures["b_over_c"] == pytest.approx(figures["a_over_c"] / figures["a_over_b"], rel=0.1)


def test_the_bulk_loader_gets_exactly_the_quads_trialkg_wrote(figures: dict) -> None:
    a, b = figures["a"], figures["b"]
    assert a["trials"] == 60 and a["extra"]["rejected"] == 0
    assert a["quads"] > 60 * 50  # every trial is described by dozens of statements
    assert b["quads"] == a["quads"]
    assert a["peak_rss"] > 0 and b["peak_rss"] > 0


def test_rdflib_maps_the_same_trials_to_the_same_number_of_quads(figures: dict) -> None:
    c = figures["c"]
    assert c["trials"] == 25
    # The same mapping: about 25/60 of (a)'s quads (trials differ in size).
    assert 0.2 * figures["a"]["quads"] < c["quads"] < 0.7 * figures["a"]["quads"]


def test_the_incremental_reload_replaces_graphs_and_adds_none(figures: dict) -> None:
    large = figures["incremental"]["large"]
    assert large["trials"] == 10
    assert large["extra"]["graphs_before"] == large["extra"]["graphs_after"]
    assert large["extra"]["graphs_before"] >= 60


def test_stores_are_removed_unless_kept(figures: dict) -> None:
    assert not list(Path(figures["workdir"]).glob("store-*"))


def test_slices_load_the_same_quads_as_b(figures: dict) -> None:
    slices = figures["b"]["extra"]["slices"]
    assert [point["mb"] for point in slices] == [0.05, 1]
    assert all(point["quads"] == figures["b"]["quads"] for point in slices)
    assert all(point["cpu_seconds"] > 0 for point in slices)
    assert "b in slices of 0.05 MB" in figures["stdout"]


def test_repeated_rounds_show_the_median_run_and_each_rounds_ratio(figures: dict) -> None:
    """Two rounds of (a) then (b): each pipeline shows its lower middle (faster) run, and the
    a/b of both rounds is printed; the slices are loaded in the first round only."""
    for name in ("a", "b"):
        runs = figures[name]["extra"]["runs_seconds"]
        assert len(runs) == 2
        assert figures[name]["seconds"] == pytest.approx(min(runs), abs=0.01)
    rounds = figures["a_over_b_rounds"]
    assert len(rounds) == 2 and all(r > 0 for r in rounds)
    assert "a/b round by round: " in figures["stdout"]
    assert figures["stdout"].count("b in slices of 0.05 MB") == 1
