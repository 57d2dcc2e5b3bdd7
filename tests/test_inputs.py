"""Record inputs: folders, globs, .gz, .zip and standard input; and `trialkg load`."""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import RecordError
from kg.load.inputs import RecordFile, iter_record_files, iter_trials

from conftest import SEED

SEED_BYTES = SEED.read_bytes()


def _variant(number: int) -> bytes:
    return SEED_BYTES.replace(b"NCT03877471", f"NCT0000{number:04d}".encode())


@pytest.fixture
def archive_inputs(tmp_path: Path) -> dict[str, Path]:
    gz = tmp_path / "hpscreg-101.txt.gz"
    gz.write_bytes(gzip.compress(_variant(101)))
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("records/hpscreg-102.txt", _variant(102))
        archive.writestr("records/hpscreg-103.txt.gz", gzip.compress(_variant(103)))
        archive.writestr("README.md", "not a record")
    return {"gz": gz, "zip": bundle}


def test_gz_zip_and_stdin_are_read(archive_inputs: dict[str, Path]) -> None:
    items = list(
        iter_record_files(
            [archive_inputs["gz"], archive_inputs["zip"], "-"], stdin=io.BytesIO(_variant(104))
        )
    )
    assert all(isinstance(i, RecordFile) for i in items)
    names = [i.name for i in items]  # type: ignore[union-attr]
    assert names[0].endswith("hpscreg-101.txt.gz")
    assert names[1].endswith("bundle.zip!records/hpscreg-102.txt")
    assert names[2].endswith("bundle.zip!records/hpscreg-103.txt.gz")
    assert names[3] == "-"
    assert all(b"Chinese Academy of Sciences" in i.data for i in items)  # type: ignore[union-attr]


def test_a_broken_archive_is_an_error_in_the_stream(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    (item,) = iter_record_files([broken])
    assert isinstance(item, RecordError)
    assert "broken.zip" in str(item)


def test_load_adds_to_an_existing_store(tmp_path: Path, archive_inputs: dict[str, Path]) -> None:
    runner = CliRunner()
    store = tmp_path / "kg.db"
    assert runner.invoke(main, ["build", "--store", str(store)]).exit_code == 0
    loaded = runner.invoke(
        main,
        ["load", str(archive_inputs["gz"]), str(archive_inputs["zip"]), "-", "--store", str(store)],
        input=_variant(104),
    )
    assert loaded.exit_code == 0, loaded.stderr
    assert "trials loaded: 4" in loaded.stderr
    assert "condition mentions: 4 grounded (100.0%)" in loaded.stderr
    found = runner.invoke(
        main,
        [
            "query",
            "trials-by-condition",
            "--param",
            "condition=DOID:1100",
            "--format",
            "csv",
            "--store",
            str(store),
        ],
    )
    ids = [line.split(",")[0] for line in found.stdout.splitlines()[1:]]
    assert ids == ["NCT00000101", "NCT00000102", "NCT00000103", "NCT00000104", "NCT03877471"]


def test_rejects_fail_the_load_unless_allowed(tmp_path: Path) -> None:
    runner = CliRunner()
    store = tmp_path / "kg.db"
    runner.invoke(main, ["build", "--store", str(store)])
    bad = tmp_path / "hpscreg-9.txt"
    bad.write_bytes(SEED_BYTES.replace(b"2019-04-03", b"2019-13-03"))
    strict = runner.invoke(main, ["load", str(bad), "--store", str(store)])
    assert strict.exit_code == 1
    assert "rejected: " in strict.stderr and "hpscreg-9.txt" in strict.stderr
    lenient = runner.invoke(main, ["load", str(bad), "--allow-rejects", "--store", str(store)])
    assert lenient.exit_code == 0
    assert "rejected: 1" in lenient.stderr


def test_load_into_a_store_without_ontologies_says_to_build(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["load", str(SEED), "--store", str(tmp_path / "empty.db")])
    assert result.exit_code == 1
    assert "run 'trialkg build' first" in result.stderr


def _study_line(nct: str, title: str) -> bytes:
    study = json.loads(
        (Path(__file__).parent / "readers" / "fixtures" / "ctgov-NCT03877471.json").read_bytes()
    )
    study["protocolSection"]["identificationModule"]["nctId"] = nct
    study["protocolSection"]["identificationModule"]["briefTitle"] = title
    return json.dumps(study, ensure_ascii=False).encode() + b"\n"


def test_json_lines_come_in_slices_of_lines(tmp_path: Path) -> None:
    lines = b"".join(_study_line(f"NCT9000000{i}", f"Study {i}") for i in range(5))
    for path in (tmp_path / "s.jsonl", tmp_path / "s.ndjson.gz"):
        path.write_bytes(gzip.compress(lines) if path.name.endswith(".gz") else lines)
        pieces = list(iter_record_files([path], slice_lines=2))
        assert all(isinstance(p, RecordFile) and p.sliced for p in pieces)
        assert [p.first for p in pieces] == [True, False, False]  # type: ignore[union-attr]
        assert b"".join(p.data for p in pieces) == lines  # type: ignore[union-attr]


def test_a_line_break_inside_a_json_string_does_not_cut_a_json_line(tmp_path: Path) -> None:
    """JSON may carry U+2028 and other separators unescaped; only "\\n" ends a JSON Line."""
    path = tmp_path / "odd.jsonl"
    titles = ["A title\u2028with a line separator", "Another\x1cseparated\x85title"]
    path.write_bytes(b"".join(_study_line(f"NCT9100000{i}", t) for i, t in enumerate(titles)))
    trials = list(iter_trials([path]))
    assert [t.source.record_id for t in trials] == ["NCT91000000", "NCT91000001"]


def test_a_gz_cut_short_loads_the_slices_before_the_damage(tmp_path: Path) -> None:
    noise = random.Random(7)
    lines = b"".join(
        _study_line(f"NCT92{i:06d}", "".join(noise.choices("abcdefghij ", k=3000)))
        for i in range(400)
    )
    damaged = tmp_path / "cut.jsonl.gz"
    packed = gzip.compress(lines)
    damaged.write_bytes(packed[: len(packed) * 2 // 3])
    pieces = list(iter_record_files([damaged], slice_lines=5))
    assert isinstance(pieces[-1], RecordError)
    assert str(pieces[-1]).startswith(f"{damaged}: cannot read:")
    assert len(pieces) > 2 and all(isinstance(p, RecordFile) for p in pieces[:-1])
