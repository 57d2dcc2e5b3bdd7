"""Hostile record inputs and hostile conditions for `build` and `load`: JSON nested to crash
the parser, archives that unpack to gigabytes, fields of the wrong JSON type, two writers at
once, a build killed part way, a disk that fills up, and memory that must not grow with the
input. Each bad input costs its own record, never the load; loopback only, small files.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from kg.errors import LoadStoppedError, RecordError, StoreLockedError
from kg.load import build, default_ontologies, load_into
from kg.load.inputs import LIMIT_VARIABLE, MAX_RECORD_BYTES, RecordFile, iter_record_files
from kg.readers import read_trials
from kg.store import Store
from kg.store.lock import lock_path, writer_lock
from kg.store.rebuild import OWNER_FILE

from conftest import PROJECT, SEED

FIXTURE = PROJECT / "tests" / "readers" / "fixtures" / "ctgov-NCT03877471.json"
STUDY = json.loads(FIXTURE.read_text(encoding="utf-8"))
DEPTH = 100_000
MiB = 1024 * 1024


def _study(nct: str, **changes: Any) -> dict[str, Any]:
    """The fixture study under another NCT number, with modules of its protocol changed."""
    study = json.loads(json.dumps(STUDY))
    protocol = study["protocolSection"]
    protocol["identificationModule"]["nctId"] = nct
    protocol["identificationModule"]["briefTitle"] = f"Study {nct}"
    for path, value in changes.items():
        node = protocol
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return study


def _line(nct: str) -> bytes:
    return json.dumps(_study(nct)).encode() + b"\n"


def _deep_line() -> bytes:
    """A study whose summary is an array nested 100,000 levels deep, on one line."""
    deep = "[" * DEPTH + "]" * DEPTH
    return (
        '{"protocolSection": {"identificationModule": {"nctId": "NCT09999999"}, '
        f'"descriptionModule": {{"briefSummary": {deep}}}}}}}\n'
    ).encode()


def _run(*args: object, input: bytes | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def _ids(store: Path) -> list[str]:
    query = (
        "SELECT DISTINCT ?id WHERE { ?t <https://w3id.org/trialkg/vocab#nctId> ?id } ORDER BY ?id"
    )
    result = _run("sparql", query, "--format", "csv", "--store", store)
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()[1:]


@pytest.fixture(scope="module")
def slim_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the seed and the shipped slims, once (copy it to change it)."""
    path = tmp_path_factory.mktemp("slim") / "kg.db"
    built = _run("build", "--store", path)
    assert built.exit_code == 0, built.stderr
    return path


@pytest.fixture
def store(slim_store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "kg.db"
    _copy_tree(slim_store, copy)
    return copy


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target)


# -- 10. JSON nested too deeply ----------------------------------------------------------------


def test_a_json_file_nested_100000_levels_deep_is_one_rejected_record() -> None:
    (error,) = read_trials(_deep_line(), "deep.json")
    assert isinstance(error, RecordError)
    assert (error.path, error.record) == ("deep.json", None)
    assert error.field == "protocolSection.descriptionModule.briefSummary"
    assert error.problem.startswith(f"JSON nested {DEPTH + 3:,} levels deep, too deep to read")


def test_a_deep_json_line_costs_that_line_only(tmp_path: Path) -> None:
    for position in (0, 1):  # first line (also the one that decides the file is JSON Lines)
        lines = [_line("NCT09000001"), _line("NCT09000002")]
        lines.insert(position, _deep_line())
        path = tmp_path / f"deep-{position}.jsonl"
        path.write_bytes(b"".join(lines))
        items = [
            item
            for piece in iter_record_files([path])
            for item in read_trials(piece.data, piece.name)  # type: ignore[union-attr]
        ]
        errors = [i for i in items if isinstance(i, RecordError)]
        assert [i.nct_id for i in items if not isinstance(i, RecordError)] == [
            "NCT09000001",
            "NCT09000002",
        ]
        assert [(e.record, e.line) for e in errors] == [(f"line {position + 1}", position + 1)]
        assert errors[0].field == "protocolSection.descriptionModule.briefSummary"


def test_build_and_load_go_on_past_a_deep_record(tmp_path: Path, store: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(_deep_line())
    lines = tmp_path / "studies.jsonl"
    lines.write_bytes(_line("NCT09000001") + _deep_line() + _line("NCT09000002"))
    loaded = _run("load", deep, lines, "--store", store)
    assert loaded.exit_code == 1, loaded.stderr
    assert "trials loaded: 2; rejected: 2" in loaded.stderr
    field = "field 'protocolSection.descriptionModule.briefSummary': JSON nested"
    assert f"rejected: {lines}:2, record line 2, {field}" in loaded.stderr
    assert _ids(store) == ["NCT03877471", "NCT09000001", "NCT09000002"]
    built = _run("build", SEED, deep, lines, "--store", tmp_path / "built.db")
    assert built.exit_code == 1, built.stderr
    assert "trials loaded: 3; rejected: 2" in built.stderr


# -- 11. archives that unpack to far more than they weigh --------------------------------------


def _gzip_of_zeros(path: Path, size: int) -> None:
    """A .gz of ``size`` zero bytes, written a MiB at a time (it weighs about size/1000)."""
    with gzip.open(path, "wb") as out:
        for _ in range(size // MiB):
            out.write(bytes(MiB))


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv(LIMIT_VARIABLE, str(MiB))
    return MiB


def test_the_default_limit_is_far_above_a_page_of_studies() -> None:
    assert 128 * MiB <= MAX_RECORD_BYTES


def test_a_gz_past_the_limit_is_rejected_unread(tmp_path: Path, small_limit: int) -> None:
    bomb = tmp_path / "bomb.json.gz"
    _gzip_of_zeros(bomb, 64 * MiB)
    tracemalloc.start()
    try:
        (error,) = iter_record_files([bomb])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, RecordError)
    assert str(error).startswith(f"{bomb}: unpacks to more than 1,048,576 bytes")
    assert LIMIT_VARIABLE in str(error)
    assert peak < 8 * MiB  # streamed: never the 64 MiB it unpacks to


def test_a_zip_member_past_the_limit_is_rejected_and_the_others_read(
    tmp_path: Path, small_limit: int
) -> None:
    inner = tmp_path / "inner.json.gz"
    _gzip_of_zeros(inner, 16 * MiB)
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("a-good.json", json.dumps(_study("NCT09000001")))
        with bundle.open("b-bomb.json", "w") as member:
            for _ in range(16):
                member.write(bytes(MiB))
        bundle.write(inner, "c-bomb.json.gz")
        bundle.writestr("d-lines.jsonl", _line("NCT09000002") + b"[" * (2 * MiB) + b"\n")
    items = list(iter_record_files([archive]))
    read = [i.name for i in items if isinstance(i, RecordFile)]
    errors = {str(e) for e in items if isinstance(e, RecordError)}
    assert read == [f"{archive}!a-good.json", f"{archive}!d-lines.jsonl"]
    assert f"{archive}!b-bomb.json: unpacks to 16,777,216 bytes, past the limit" in "\n".join(
        errors
    )
    assert any(e.startswith(f"{archive}!c-bomb.json.gz: unpacks to more than") for e in errors)
    assert any(e.startswith(f"{archive}!d-lines.jsonl:2, record line 2:") for e in errors)


def test_a_json_line_past_the_limit_costs_that_line_and_keeps_the_numbering(
    tmp_path: Path, small_limit: int
) -> None:
    path = tmp_path / "long.jsonl"
    long_line = b'{"protocolSection": "' + b"x" * (2 * MiB) + b'"}\n'
    path.write_bytes(_line("NCT09000001") + long_line + b"{not json\n" + _line("NCT09000002"))
    report = load_into(_fresh_copy(tmp_path), [path])
    assert report.trials_loaded == 2
    assert [(e.record, e.line) for e in report.rejected] == [("line 2", 2), ("line 3", 3)]


def test_an_unreadable_limit_is_a_clean_error(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LIMIT_VARIABLE, "lots")
    result = _run("load", SEED, "--store", store)
    assert result.exit_code == 1
    assert f"Error: {LIMIT_VARIABLE}: expected a whole number of bytes" in result.stderr


def _fresh_copy(tmp_path: Path) -> Path:
    path = tmp_path / "fresh.db"
    assert _run("build", "--store", path).exit_code == 0
    return path


# -- 15. fields of the wrong JSON type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("designModule.phases", "PHASE2", "designModule.phases"),
        ("conditionsModule", "Primary Ovarian Insufficiency", "conditionsModule"),
        ("conditionsModule.conditions", "Primary Ovarian Insufficiency", None),
        ("conditionsModule.keywords", "stem cells", None),
        ("conditionsModule.keywords", ["stem cells", 7], "conditionsModule.keywords[1]"),
        ("armsInterventionsModule.interventions", {"name": "MSC"}, None),
        (
            "armsInterventionsModule.interventions",
            ["MSC"],
            "armsInterventionsModule.interventions[0]",
        ),
        ("armsInterventionsModule.armGroups", "low dose", None),
        ("contactsLocationsModule.locations", "Beijing", None),
        ("referencesModule.references", "PMID 1", None),
        ("sponsorCollaboratorsModule.collaborators", "Someone", None),
        ("sponsorCollaboratorsModule.leadSponsor", "Someone", None),
        ("identificationModule.secondaryIdInfos", "X-1", None),
        ("statusModule.startDateStruct", "2019-04-01", None),
        ("designModule.designInfo", "RANDOMIZED", None),
        ("descriptionModule", "A summary", None),
        ("statusModule", "RECRUITING", None),
    ],
)
def test_a_field_of_the_wrong_json_type_rejects_the_study_naming_it(
    field: str, value: object, named: str | None
) -> None:
    data = json.dumps(_study("NCT09000001", **{field: value})).encode()
    (error,) = read_trials(data, "odd.json")
    assert isinstance(error, RecordError), f"{field} = {value!r} was taken silently"
    assert (error.path, error.record, error.field) == ("odd.json", "NCT09000001", named or field)
    assert error.problem.startswith("expected ")


def test_an_intervention_list_of_the_wrong_type_names_the_nested_field() -> None:
    interventions = [{"name": "MSC", "type": "BIOLOGICAL", "otherNames": "mesenchymal"}]
    data = json.dumps(
        _study("NCT09000001", **{"armsInterventionsModule.interventions": interventions})
    ).encode()
    (error,) = read_trials(data, "odd.json")
    assert isinstance(error, RecordError)
    assert error.field == "armsInterventionsModule.interventions.otherNames"
    assert error.problem == "expected a list; found 'mesenchymal'"


def test_the_mesh_coding_of_the_wrong_type_is_rejected() -> None:
    study = _study("NCT09000001")
    study["derivedSection"] = {"conditionBrowseModule": {"meshes": "Premature Birth"}}
    (error,) = read_trials(json.dumps(study).encode(), "odd.json")
    assert isinstance(error, RecordError)
    assert error.field == "derivedSection.conditionBrowseModule.meshes"


def test_absent_and_null_fields_are_still_empty() -> None:
    data = json.dumps(
        _study(
            "NCT09000001",
            **{"designModule.phases": None, "conditionsModule.keywords": None},
        )
    ).encode()
    (trial,) = read_trials(data, "ok.json")
    assert not isinstance(trial, RecordError)
    assert trial.phases == () and trial.keywords == ()


# -- 12. one writer at a time, across a build's swap -------------------------------------------


HOLD_LOCK = textwrap.dedent(
    """
    import sys
    from kg.store.lock import writer_lock
    lock = writer_lock(sys.argv[1])
    print("held", flush=True)
    sys.stdin.read()
    """
)


@pytest.fixture
def held_lock(store: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store's writer lock until the test ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    try:
        yield holder
    finally:
        holder.communicate(timeout=30)


def test_a_second_writer_is_told_who_holds_the_store(
    store: Path, held_lock: subprocess.Popen[str], tmp_path: Path
) -> None:
    for command in (["load", SEED], ["build"]):
        result = _run(*command, "--store", store)
        assert result.exit_code == 1
        assert f"Error: store {store} is being written by pid {held_lock.pid} on " in (
            result.stderr
        )
        assert "'-c " in result.stderr  # the holder's command line
        assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("kg.db.building-*"))


def test_a_load_during_a_build_is_refused_and_nothing_is_lost_in_the_swap(
    store: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps(_study("NCT09000001")), encoding="utf-8")
    refused: list[str] = []

    def load_meanwhile(name: str) -> None:  # called by the build as it reads its records
        with pytest.raises(StoreLockedError, match=f"is being written by pid {os.getpid()} on "):
            load_into(store, [other])
        refused.append(name)

    build(store, [SEED], default_ontologies(), progress=load_meanwhile)
    assert len(refused) == 1  # the build read one record file, and refused the load then
    assert not lock_path(store).exists()
    assert load_into(store, [other]).trials_loaded == 1  # free again once the build is in
    assert _ids(store) == ["NCT03877471", "NCT09000001"]


def test_the_lock_of_a_process_that_has_ended_is_taken_over(store: Path) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", HOLD_LOCK, str(store)], input="", capture_output=True, text=True
    )
    assert ended.returncode == 0 and lock_path(store).exists()  # killed holders leave it so
    record = json.loads(lock_path(store).read_text(encoding="utf-8"))
    assert record["pid"] != os.getpid()
    result = _run("load", SEED, "--store", store)
    assert result.exit_code == 0, result.stderr
    assert not lock_path(store).exists()


def test_a_lock_is_let_go_of_when_its_store_is_closed(store: Path) -> None:
    lock = writer_lock(store)
    opened = Store.open(store, lock=lock)
    opened.close()
    assert not lock.held and not lock_path(store).exists()


# -- 15. a build killed part way ---------------------------------------------------------------


KILLED_BUILD = textwrap.dedent(
    """
    import os, signal, sys
    from kg.store.rebuild import rebuild
    with rebuild(sys.argv[1]) as target:
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_the_next_build_removes_the_staging_folder_of_a_killed_build(
    store: Path, tmp_path: Path
) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(store)], timeout=60)
    assert killed.returncode == -signal.SIGKILL
    (left,) = tmp_path.glob("kg.db.building-*")
    assert (left / OWNER_FILE).is_file()
    alive = tmp_path / f"kg.db.building-{os.getppid()}"  # a build that may still run
    alive.mkdir()
    result = _run("-v", "build", "--store", store)
    assert result.exit_code == 0, result.stderr
    assert not left.exists()
    assert f"removed {left}, left by a build that has ended: pid {left.name.split('-')[-1]}" in (
        result.stderr
    )
    assert alive.is_dir() and f"left {alive} alone" in result.stderr
    assert not (store / OWNER_FILE).exists()  # the new store carries no owner record


# -- 15. a disk that fills up during a load ----------------------------------------------------


class _FillingDisk:
    """Oxigraph's store, whose disk is full after ``room`` updates: every write fails then."""

    def __init__(self, inner: ox.Store, room: int) -> None:
        self._inner = inner
        self._room = room

    def _full(self) -> OSError:
        return OSError(errno.ENOSPC, "No space left on device")

    def update(self, sparql: str) -> None:
        if self._room <= 0:
            raise self._full()
        self._room -= 1
        self._inner.update(sparql)

    def flush(self) -> None:
        if self._room <= 0:
            raise self._full()
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def filling_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores opened for writing have room for the vocabulary check and three trials."""
    opened = Store.open.__func__  # type: ignore[attr-defined]

    def open_filling(cls: type[Store], path: Path, **kwargs: Any) -> Store:
        store = opened(cls, path, **kwargs)
        store._inner = _FillingDisk(store._inner, room=3)  # type: ignore[assignment]
        return store

    monkeypatch.setattr(Store, "open", classmethod(open_filling))


def test_a_full_disk_stops_the_load_with_the_summary_and_a_clean_error(
    store: Path, tmp_path: Path, filling_disk: None
) -> None:
    lines = tmp_path / "studies.jsonl"
    lines.write_bytes(b"".join(_line(f"NCT0900000{i}") for i in range(6)))
    result = _run("load", lines, "--store", store)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert "records read: 4; trials loaded: 3; rejected: 0" in result.stderr
    assert "Error: the load stopped: cannot replace graph" in result.stderr
    assert "No space left on device" in result.stderr
    assert "the 3 trials loaded before it are kept" in result.stderr
    assert not lock_path(store).exists()


def test_a_full_disk_at_the_last_flush_is_a_store_error_with_the_report(
    store: Path, tmp_path: Path, filling_disk: None
) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(_study("NCT09000001")), encoding="utf-8")
    with pytest.raises(LoadStoppedError) as stopped:
        load_into(store, [one, one, one])  # room for three updates: the flush finds it full
    assert stopped.value.report.trials_loaded == 3
    assert f"cannot write store {store}: [Errno 28] No space left on device" in str(stopped.value)


# -- 15. a load never makes a store ------------------------------------------------------------


def test_a_load_into_a_missing_store_leaves_nothing_behind(tmp_path: Path) -> None:
    result = _run("load", SEED, "--store", tmp_path / "missing.db")
    assert result.exit_code == 1
    assert f"Error: no store at {tmp_path / 'missing.db'}: run 'trialkg build' first" in (
        result.stderr
    )
    assert list(tmp_path.iterdir()) == []


# -- 9. memory does not grow with the trials loaded --------------------------------------------


PEAK = textwrap.dedent(
    """
    import resource, sys
    from kg.cli import main
    try:
        main(sys.argv[1:], standalone_mode=False)
    finally:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    """
)


def _peak_of_load(store: Path, studies: Path) -> int:
    command = [sys.executable, "-c", PEAK, "-q", "load", str(studies), "--store", str(store)]
    done = subprocess.run(
        [*command, "--allow-rejects"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.mark.slow
def test_load_memory_does_not_grow_with_the_trials_loaded(slim_store: Path, tmp_path: Path) -> None:
    """Peak memory of `trialkg load` of 500 and of 2,000 studies: 2,000 took 170 MB more when
    Oxigraph's buffers were left to grow, 28 MB more since the store writes them out."""
    generated = tmp_path / "studies.jsonl"
    script = PROJECT / "benchmarks" / "generate.py"
    subprocess.run(
        [sys.executable, str(script), "--trials", "2000", "--out", str(generated)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    lines = generated.read_bytes().splitlines(keepends=True)
    few = tmp_path / "few.jsonl"
    few.write_bytes(b"".join(lines[:500]))
    peaks = []
    for studies in (few, generated):
        copy = tmp_path / f"{studies.stem}.db"
        _copy_tree(slim_store, copy)
        peaks.append(_peak_of_load(copy, studies))
    assert peaks[1] - peaks[0] < 72 * MiB, f"peak RSS {peaks[0]:,} -> {peaks[1]:,} bytes"
