"""Hostile command lines: a --store that names a file or a folder of something else, query text
long enough to break a file-name lookup, parameters no RDF term can hold. Each gets one line
on stderr and exit 1, never a traceback, and nothing of the user's is moved or deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import main

from conftest import SEED

NCT_ID = "<https://w3id.org/trialkg/vocab#nctId>"
# Longer than a file name may be (255 bytes) and than a path (4,096): never tried as either.
LONG_QUERY = f'SELECT ?id WHERE {{\n  ?trial {NCT_ID} ?id .\n  FILTER(?id != "{"NCT0" * 1500}")\n}}'


def _run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def _clean_error(result: Result, text: str) -> None:
    """Exit 1 with one ``Error:`` line holding ``text``, and no traceback."""
    assert result.exit_code == 1, result.stderr
    assert isinstance(result.exception, SystemExit), result.exception
    assert f"Error: {text}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the seed and the shipped slims (only read here)."""
    path = tmp_path_factory.mktemp("cli") / "kg.db"
    built = _run("build", "--store", path)
    assert built.exit_code == 0, built.stderr
    return path


# -- 13. --store naming something that is not a store ------------------------------------------


def test_build_refuses_a_store_path_that_is_a_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    result = _run("build", SEED, "--store", notes)
    _clean_error(result, f"{notes} is a file, not a store folder")
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_build_refuses_a_folder_that_holds_something_else(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.tex").write_text("\\documentclass{article}\n", encoding="utf-8")
    result = _run("build", SEED, "--store", folder)
    _clean_error(result, f"{folder} is a folder that holds no store")
    assert [p.name for p in folder.iterdir()] == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]


def test_build_into_an_empty_folder_is_fine(tmp_path: Path) -> None:
    folder = tmp_path / "kg.db"
    folder.mkdir()
    assert _run("build", SEED, "--store", folder).exit_code == 0


def test_load_refuses_a_store_path_that_is_a_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    result = _run("load", SEED, "--store", notes)
    _clean_error(result, f"{notes} is a file, not a store folder")
    assert notes.read_text(encoding="utf-8") == "my notes\n"


# -- 14. inline SPARQL longer than a file name -------------------------------------------------


def test_sparql_runs_inline_query_text_longer_than_a_file_name(store: Path) -> None:
    assert len(LONG_QUERY.encode()) > 4096
    for text in (LONG_QUERY, " ".join(LONG_QUERY.split())):  # with line breaks, and on one line
        result = _run("sparql", text, "--store", store)
        assert result.exit_code == 0, result.stderr
        rows = json.loads(result.stdout)["results"]["bindings"]
        assert [row["id"]["value"] for row in rows] == ["NCT03877471"]


def test_sparql_runs_inline_query_text_just_past_255_bytes(store: Path) -> None:
    text = f"ASK {{ ?s ?p ?o }} # {'x' * 256}"  # no slash: one name of 280 bytes to the system
    result = _run("sparql", text, "--store", store)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["boolean"] is True


def test_sparql_still_reads_a_query_file(store: Path, tmp_path: Path) -> None:
    query = tmp_path / "count.sparql"
    query.write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    result = _run("sparql", query, "--store", store)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["boolean"] is True


def test_sparql_names_a_query_file_that_does_not_exist(store: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.rq"
    _clean_error(_run("sparql", missing, "--store", store), f"no query file {missing}")


def test_sparql_names_a_query_file_that_is_not_text(store: Path, tmp_path: Path) -> None:
    binary = tmp_path / "binary.rq"
    binary.write_bytes(b"\xff\xfe\x00")
    _clean_error(_run("sparql", binary, "--store", store), f"cannot read the query file {binary}")


# -- 15. parameters no RDF term can hold --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("trials-by-condition", "condition=http://x/>"),
        ("trials-by-condition", "condition=http://x/a b"),
        ("trial", "trial=https://example.org/{trial}"),
    ],
)
def test_a_parameter_that_is_no_valid_iri_is_a_clean_error(
    store: Path, name: str, param: str
) -> None:
    key, _, value = param.partition("=")
    result = _run("query", name, "--param", param, "--store", store)
    _clean_error(result, f"--param {key}: {value!r} is not a valid ")
