"""The grounding benchmark scores three systems on the same rows, as the gold set's rules say."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT, SHARED, load_benchmark

SCRIPT = PROJECT / "benchmarks" / "grounding.py"
DOID_2024 = SHARED / "ontologies" / "doid" / "doid-2024-01-31.obo.gz"
CL_SLIM = PROJECT / "ontologies" / "cl-slim.ttl"

CONDITIONS = """mention\trelation\tdoid_ids\tdoid_labels\talso_acceptable\tnote
Sarcoma, Kaposi\texact\tDOID:8632\tKaposi's sarcoma\t\tMeSH inverted
Breast Cancer\texact\tDOID:1612\tbreast cancer\t\t
Healthy\tnone\t\t\t\tnot a disease
Recurrent Acute Myeloid Leukemia\tbroad\tDOID:0060318\tAPL\t\tmade up: AML is broader
"""
CELLS = """type\tname\trelation\tcl_ids\tcl_labels\talso_acceptable\tnote
BIOLOGICAL\tUmbilical cord mesenchymal stem cells\texact\tCL:0000134\tmesenchymal stem cell\t\t
DRUG\tCarboplatin\tnone\t\t\t\tdrug
"""


@pytest.mark.slow
def test_every_system_is_scored_on_the_same_rows(tmp_path: Path) -> None:
    (tmp_path / "conditions-dev.tsv").write_text(CONDITIONS, encoding="utf-8")
    (tmp_path / "cell-products-dev.tsv").write_text(CELLS, encoding="utf-8")
    out = tmp_path / "figures.json"
    command = [sys.executable, str(SCRIPT), "--gold", str(tmp_path), "--doid", str(DOID_2024)]
    command += ["--cl", str(CL_SLIM), "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for system in ("trialkg", "gilda", "exact"):
        assert f"conditions     {system}" in done.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))
    conditions = figures["trialkg"]["conditions"]
    # Kaposi and breast cancer right, Healthy left alone, AML an ancestor of the gold term.
    assert (conditions["grounded"], conditions["correct"], conditions["too_general"]) == (3, 2, 1)
    assert conditions["recall"] == pytest.approx(2 / 3)
    assert figures["exact"]["conditions"]["correct"] == 1  # only "Breast Cancer" is verbatim
    cells = figures["trialkg"]["cell products"]
    assert (cells["grounded"], cells["correct"]) == (1, 1)


def test_scoring_counts_an_ancestor_as_too_general() -> None:
    bench = load_benchmark("grounding")
    row = bench.GoldRow(bench.MentionKind.CONDITION, "x", None, "exact", ("DOID:9119",), ())

    class Index:
        def __contains__(self, curie: object) -> bool:
            return True

        def ancestors(self, curie: str) -> set[str]:
            return {"DOID:1240", "DOID:4"}

    score = bench.score([row], lambda *_: ("DOID:1240",), Index(), bench.MentionKind.CONDITION)
    assert (score.grounded, score.correct_grounded, score.too_general) == (1, 0, 1)
    assert score.precision == 0 and score.recall == 0
