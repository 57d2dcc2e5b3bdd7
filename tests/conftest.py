"""Shared fixtures: where the real data lives, a network guard, a SPARQL server on loopback."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from kg.ontology.terms import TermIndex

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
SEED = PROJECT / "seeds" / "hpscreg-48.txt"

DOID_2016 = SHARED / "ontologies" / "doid" / "doid-2016-03-04.obo"
DOID_NCIT_2026 = SHARED / "ontologies" / "doid" / "doid-NCIthesaurus-subset-2026-07-31.obo"
DOID_RARE_2026 = SHARED / "ontologies" / "doid" / "doid-rare-slim-2026-07-31.obo"
CL_OBO_2021 = SHARED / "ontologies" / "cl" / "cl-2021-12-07.obo"
CL_EDIT_OWL = SHARED / "ontologies" / "cl" / "cl-edit-2026-08-19.owl"
CL_EDIT_OFN = SHARED / "ontologies" / "cl" / "cl-edit-2026-08-19.ofn"
CL_SIMPLE_2021 = SHARED / "ontologies" / "cl" / "cl-simple-2021-08-06.owl"


def load_benchmark(name: str) -> ModuleType:
    """A script of benchmarks/ (``generate``, ``queries``, ...) as a module, for its tests."""
    spec = importlib.util.spec_from_file_location(
        f"trialkg_bench_{name}", PROJECT / "benchmarks" / f"{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared/ folder beside the project: real ontology files and records."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: tests read real ontology files from ../shared/")
    return SHARED


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def index() -> TermIndex:
    """The full DOID (NCIt subset, 2026) and CL (editors' file, 2026) releases, indexed once."""
    return TermIndex.from_files(DOID_NCIT_2026, CL_EDIT_OWL)


@pytest.fixture(scope="session")
def generate() -> ModuleType:
    """benchmarks/generate.py, the synthetic study generator."""
    return load_benchmark("generate")


@pytest.fixture(scope="session")
def vocabulary(generate: ModuleType, index: TermIndex) -> object:
    """The generator's vocabulary drawn from :func:`index`."""
    return generate.vocabulary_of(index)


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (
        host in ("localhost", "::1") or host.startswith("127.") or self.family == socket.AF_UNIX
    ):
        return _real_connect(self, address)  # type: ignore[arg-type]
    raise RuntimeError(f"network access in tests is not allowed: connect to {address!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that leaves the machine."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


def free_port() -> int:
    """A loopback TCP port nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _oxigraph_command() -> str | None:
    """The ``oxigraph`` executable of the oxigraph package (the test extra), if installed."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        if (folder / "oxigraph").is_file():
            return str(folder / "oxigraph")
    return shutil.which("oxigraph")


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``oxigraph serve`` on a free loopback port, for the session; its base URL."""
    command = _oxigraph_command()
    if command is None:
        pytest.skip("no oxigraph executable: pip install oxigraph (it is in the test extra)")
    folder = tmp_path_factory.mktemp("oxigraph")
    url = f"http://127.0.0.1:{free_port()}"
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [command, "serve", "--location", str(folder / "db"), "--bind", url[7:]],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/query", params={"query": "ASK {}"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = (folder / "server.log").read_text(errors="replace")
                pytest.fail(f"oxigraph serve did not answer at {url}:\n{log_text}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def remote_url(oxigraph_server: str) -> str:
    """The base URL of the session's Oxigraph server, emptied for this test."""
    response = httpx.post(
        f"{oxigraph_server}/update",
        content=b"DROP ALL",
        headers={"Content-Type": "application/sparql-update"},
    )
    response.raise_for_status()
    return oxigraph_server


# Term constants, so assertions read like sentences.
PRIMARY_OVARIAN_INSUFFICIENCY = "DOID:5426"
OVARIAN_DISEASE = "DOID:1100"
DISEASE = "DOID:4"
MESENCHYMAL_STEM_CELL = "CL:0000134"
MULTI_FATE_STEM_CELL = "CL:0000048"
