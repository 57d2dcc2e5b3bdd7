"""The folder listing is the design: imports point one way along the flow."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

import kg

KG = Path(kg.__file__).resolve().parent

# What each stage may import from the project. The flow:
# readers -> model -> grounding -> rdf -> store -> queries / export / pipeline / cli
# (the store opens a remote SPARQL store through kg.remote, which knows only SPARQL text)
ALLOWED: dict[str, set[str]] = {
    "kg.errors": set(),
    "kg.model": set(),
    "kg.ids": set(),
    "kg.resources": set(),
    "kg.readers": {"kg.model", "kg.errors", "kg.readers"},
    "kg.store": {"kg.errors", "kg.remote"},
    "kg.remote": {"kg.errors", "kg.sparql_text"},
    "kg.sparql_text": {"kg.errors"},
    "kg.rdf": {"kg.model", "kg.ids", "kg.rdf"},
    "kg.ontology": {"kg.errors", "kg.ids", "kg.rdf.vocab", "kg.store", "kg.ontology"},
    "kg.grounding": {"kg.model", "kg.ids", "kg.ontology", "kg.errors"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(KG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kg"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("kg")}
    return found


def _stage(module: str) -> str | None:
    for stage in sorted(ALLOWED, key=len, reverse=True):
        if module == stage or module.startswith(stage + "."):
            return stage
    return None


MODULES = sorted(KG.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(KG)))
def test_imports_point_one_way(path: Path) -> None:
    module = _module_name(path)
    stage = _stage(module)
    if stage is None:  # the top of the flow (pipeline, queries, export, cli) may import anything
        return
    allowed = ALLOWED[stage]
    backwards = {
        imported
        for imported in _project_imports(path)
        if not any(imported == a or imported.startswith(a + ".") for a in allowed)
    }
    assert not backwards, f"{module} imports {sorted(backwards)} against the flow"


def test_public_api_is_sorted_and_complete() -> None:
    assert kg.__all__ == sorted(kg.__all__)
    for name in kg.__all__:
        assert hasattr(kg, name), name


def test_public_api_does_not_drift() -> None:
    public = {
        name
        for name, value in vars(kg).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public == set(kg.__all__)
