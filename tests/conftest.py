"""Shared fixtures: where the real data lives, a network guard, a SPARQL server on loopback."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

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


LOCK = PROJECT / "requirements" / "lock.txt"


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _direct_dependencies() -> list[str]:
    """The packages pyproject.toml asks for (the main list and the serve and test extras)."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"], *extras["serve"], *extras["test"]]
    names = [_normalised(re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0]) for spec in wanted]
    return [name for name in dict.fromkeys(names) if name != "trialkg"]


def _locked() -> dict[str, str]:
    """requirements/lock.txt as {package: version}; empty when there is no lock file."""
    if not LOCK.is_file():
        return {}
    pins = re.findall(r"^([A-Za-z0-9][\w.-]*)==(\S+)", LOCK.read_text(encoding="utf-8"), re.M)
    return {_normalised(name): version for name, version in pins}


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _releases_off_the_lock() -> list[str]:
    """Every installed distribution whose version differs from the lock, as 'name X (lock Y)'."""
    locked = _locked()
    off = []
    for dist in importlib.metadata.distributions():
        name = _normalised(dist.metadata["Name"] or "")
        if name in locked and dist.version != locked[name]:
            off.append(f"{name} {dist.version} (lock {locked[name]})")
    return sorted(set(off))


def pytest_report_header() -> list[str]:
    """The releases trialkg's tests run on, so a failure after an upgrade shows its cause."""
    locked = _locked()
    shown = []
    for name in _direct_dependencies():
        version = _installed(name) or "missing"
        lock = locked.get(name)
        shown.append(f"{name} {version}" + (f" (lock {lock})" if lock and lock != version else ""))
    return [f"dependencies: {', '.join(shown)}"]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int) -> None:
    """After failures, name the installed releases that are not the known-good set."""
    if exitstatus in (0, 5):
        return
    off = _releases_off_the_lock()
    if off:
        terminalreporter.write_line(
            f"These installed releases differ from {LOCK.relative_to(PROJECT)}, the set the "
            f"suite is known to pass on: {', '.join(off)}. If the failures name one of them, "
            "a new release broke trialkg; to confirm, run the suite in a fresh venv after "
            "'pip install -r requirements/lock.txt && pip install --no-deps -e .'.",
            yellow=True,
        )


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


def obo_head(path: Path, terms: int, folder: Path) -> Path:
    """The release's header and its first ``terms`` term stanzas, as a file of the same name in
    ``folder``: the same release (version, checksum of its own), small enough to load fast."""
    out = folder / path.name
    kept: list[str] = []
    seen = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("[Term]"):
                seen += 1
                if seen > terms:
                    break
            kept.append(line)
    out.write_text("".join(kept), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def doid_heads(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The first 300 terms of DOID 2016, the NCIt subset 2026 and the rare slim 2026."""
    folder = tmp_path_factory.mktemp("doid-heads")
    return [obo_head(p, 300, folder) for p in (DOID_2016, DOID_NCIT_2026, DOID_RARE_2026)]


@pytest.fixture(scope="session")
def seed_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the seed with the full DOID (NCIt subset) and CL releases, built once.

    Open it read-only; a test that changes a store copies this folder first.
    """
    from kg.load import build

    path = tmp_path_factory.mktemp("seed-store") / "kg.db"
    build(path, [SEED], [DOID_NCIT_2026, CL_EDIT_OWL])
    return path


@pytest.fixture
def seed_store_copy(seed_store_path: Path, tmp_path: Path) -> Path:
    """A copy of :func:`seed_store_path` for this test to change."""
    path = tmp_path / "kg.db"
    shutil.copytree(seed_store_path, path)
    return path


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
