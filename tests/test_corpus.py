"""The real ClinicalTrials.gov records in ../shared/corpus/ctgov/, when that folder is present.

Every file loads or is rejected with a stated reason; the only expected rejects are the retired
classic-format files in classic/. The ovarian-failure MSC trials are found through DOID.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.load import build
from kg.queries import load_queries, run_named
from kg.store import Store

from conftest import CL_EDIT_OWL, DOID_NCIT_2026, SEED, SHARED

CORPUS = SHARED / "corpus" / "ctgov"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"{CORPUS} is not present in this checkout's shared folder"
)


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("corpus") / "kg.db"
    report = build(path, [CORPUS, SEED], [DOID_NCIT_2026, CL_EDIT_OWL])
    return path, report.load


def test_every_record_loads_or_is_rejected_with_a_reason(corpus_store: tuple[Path, object]) -> None:
    _, report = corpus_store
    unexpected = [
        str(reject)
        for reject in report.rejected  # type: ignore[attr-defined]
        if "classic" not in Path(reject.path).parts and "classic API format" not in reject.problem
    ]
    assert unexpected == []
    assert report.trials_loaded > 1000  # type: ignore[attr-defined]


def test_the_ovarian_failure_msc_trials_are_found_through_doid(
    corpus_store: tuple[Path, object],
) -> None:
    path, _ = corpus_store
    store = Store.open_read_only(path)
    rows = run_named(store, load_queries()["trials-by-condition"], {"condition": "DOID:1100"})
    assert isinstance(rows, ox.QuerySolutions)
    ids = {row["id"].value for row in rows}  # type: ignore[union-attr]
    assert {"NCT03877471", "NCT02603744", "NCT02043743"} <= ids
