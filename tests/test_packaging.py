"""The wheel is complete: built, installed into a clean venv and used from an empty folder.

The wheel test asks pip for trialkg's dependencies as a new user's install would (pip's own
cache and configured index); it is marked slow and CI runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import PROJECT, free_port

PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
DATA_FOLDERS = {"queries": ("*.rq",), "ontologies": ("*.ttl", "*.tsv"), "seeds": ("*.txt",)}


def _package_folders() -> set[str]:
    """Every folder under kg/ that holds code or data, as a dotted package name."""
    names = set()
    for path in (PROJECT / "kg").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            names.add(".".join(path.parent.relative_to(PROJECT).parts))
    return names


def test_every_folder_of_kg_is_a_listed_package() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert _package_folders() <= listed, "add the new package to [tool.setuptools] packages"


def test_the_data_folders_are_mapped_into_the_package() -> None:
    mapped = PYPROJECT["tool"]["setuptools"]["package-dir"]
    for folder in DATA_FOLDERS:
        assert mapped[f"kg._data.{folder}"] == folder


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    """Run a command to the end; its stdout, or a failure showing both streams."""
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "--quiet", "-w", str(out), str(PROJECT)], out, {**os.environ})
    (built,) = out.glob("trialkg-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A clean venv with the wheel (and its serve extra) installed; the environment to run it.

    Its dependencies are held to the releases this suite runs on, so the test is about what
    the wheel carries; which releases work is the rest of the suite's question.
    """
    venv = tmp_path_factory.mktemp("venv")
    frozen = _run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"], venv, {**os.environ}
    )
    constraints = venv / "constraints.txt"
    constraints.write_text(
        "".join(line + "\n" for line in frozen.splitlines() if "==" in line), encoding="utf-8"
    )
    _run([sys.executable, "-m", "venv", str(venv / "env")], venv, {**os.environ})
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'env' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    python = str(venv / "env" / "bin" / "python")
    _run(
        [python, "-m", "pip", "install", "--quiet", "-c", str(constraints), f"{wheel}[serve]"],
        venv,
        env,
    )
    return env


def test_the_wheel_carries_queries_vocabulary_catalog_slims_and_seed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, patterns in DATA_FOLDERS.items():
        for path in (p for pattern in patterns for p in (PROJECT / folder).glob(pattern)):
            assert f"kg/_data/{folder}/{path.name}" in names
    assert {"kg/_data/ontologies/trialkg.ttl", "kg/_data/ontologies/catalog.ttl"} <= names
    assert "kg/server/templates/trial.html" in names


@pytest.fixture(scope="module")
def empty_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("empty")


@pytest.mark.slow
def test_the_installed_wheel_builds_queries_and_exports_from_an_empty_folder(
    installed: dict[str, str], empty_folder: Path
) -> None:
    def trialkg(*args: str) -> str:
        return _run(["trialkg", *args], cwd=empty_folder, env=installed)

    assert trialkg("--version").strip().endswith(PYPROJECT["project"]["version"])
    trialkg("build")
    assert "NCT03877471" in trialkg(
        "query", "trials-by-condition", "--param", "condition=DOID:1100"
    )
    assert "trials-by-condition" in trialkg("query", "--list")
    turtle = trialkg("export", "--format", "turtle")
    assert "obo:DOID_5426" in turtle or "DOID_5426>" in turtle


@pytest.fixture
def served(installed: dict[str, str], empty_folder: Path, tmp_path: Path) -> Iterator[str]:
    if not (empty_folder / "trialkg.db").exists():
        _run(["trialkg", "build"], cwd=empty_folder, env=installed)
    url = f"http://127.0.0.1:{free_port()}"
    with (
        (tmp_path / "serve.log").open("wb") as log,
        subprocess.Popen(
            ["trialkg", "--quiet", "serve", "--port", url.rsplit(":", 1)[1]],
            cwd=empty_folder,
            env=installed,
            stdout=log,
            stderr=subprocess.STDOUT,
        ) as process,
    ):
        try:
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.mark.slow
def test_the_installed_wheel_serves_health(served: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            response = httpx.get(f"{served}/health")
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "trialkg serve did not answer in 60 s"
            time.sleep(0.1)
    assert response.status_code == 200
