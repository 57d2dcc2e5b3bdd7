"""Registering and fetching ontology releases (fetching from a server on loopback only)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import OntologyError
from kg.ontology import registry
from kg.sources.ontologies import fetch

from conftest import CL_SIMPLE_2021, DOID_NCIT_2026, SHARED


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRIALKG_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A static file server on 127.0.0.1 serving a copy of a real CL release."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "cl.owl").write_bytes(CL_SIMPLE_2021.read_bytes())
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_register_records_size_checksum_and_version() -> None:
    entry = registry.register("doid", DOID_NCIT_2026)
    assert entry.sha256 == hashlib.sha256(DOID_NCIT_2026.read_bytes()).hexdigest()
    assert entry.size == DOID_NCIT_2026.stat().st_size
    assert entry.version == "doid/releases/2026-07-31/subsets/NCIthesaurus.obo"
    assert registry.registered()["doid"] == entry


def test_register_folder_picks_the_newest_release_of_each() -> None:
    entries = {e.name: e for e in registry.register_folder(SHARED / "ontologies")}
    assert Path(entries["cl"].path).name == "cl-simple-2021-08-06.owl"
    assert Path(entries["doid"].path).name == "doid-rare-slim-2026-07-31.obo"


def test_fetch_streams_from_a_url_and_registers(server: str) -> None:
    seen: list[int] = []
    entry = fetch("cl", url=f"{server}/cl.owl", progress=lambda done, total: seen.append(done))
    assert Path(entry.path).read_bytes() == CL_SIMPLE_2021.read_bytes()
    assert entry.version == "http://purl.obolibrary.org/obo/cl/2021-08-06/cl-simple.owl"
    assert seen and seen[-1] == entry.size
    assert registry.registered()["cl"].source == f"{server}/cl.owl"


def test_failed_download_registers_nothing(server: str, data_dir: Path) -> None:
    with pytest.raises(OntologyError, match="download failed"):
        fetch("cl", url=f"{server}/missing.owl")
    assert registry.registered() == {}
    assert not list((data_dir / "ontologies").glob("*.part"))


def test_unknown_ontology_lists_the_known_ones() -> None:
    with pytest.raises(OntologyError, match="known: doid, cl"):
        fetch("go")


def test_fetch_command_from_a_folder_then_build_with_registered(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "doid-NCIthesaurus-subset-2026-07-31.obo").write_bytes(DOID_NCIT_2026.read_bytes())
    (folder / "cl-simple-2021-08-06.owl").write_bytes(CL_SIMPLE_2021.read_bytes())
    fetched = runner.invoke(main, ["ontologies", "fetch", "--from", str(folder)])
    assert fetched.exit_code == 0, fetched.stderr
    listed = runner.invoke(main, ["ontologies", "list", "--registered"])
    assert "doid/releases/2026-07-31" in listed.stdout
    store = tmp_path / "kg.db"
    built = runner.invoke(main, ["build", "--registered", "--store", str(store)])
    assert built.exit_code == 0, built.stderr
    releases = runner.invoke(main, ["ontologies", "list", "--store", str(store)])
    rows = [line.split("\t") for line in releases.stdout.splitlines()]
    assert rows[0][:5] == ["name", "ontology", "version", "terms", "obsolete"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["doid"][3] == "4757" and by_name["doid"][4] == "7"
    assert by_name["cl"][6] == "cl-simple-2021-08-06.owl"


def test_build_registered_without_any_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--registered", "--store", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "trialkg ontologies fetch" in result.stderr
