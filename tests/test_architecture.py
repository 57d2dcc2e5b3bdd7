"""The folder listing is the design: imports point one way along the flow."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

import kg

KG = Path(kg.__file__).resolve().parent

# What each package (or base module) may import from the project, besides itself. The flow:
# readers -> model -> grounding -> rdf -> store -> queries / export / server, with load running
# the flow for a set of records and cli at the top. Every module of kg/ falls under one rule.
_BASE = {"kg.errors", "kg.model", "kg.ids", "kg.resources", "kg.formats"}
ALLOWED: dict[str, set[str]] = {
    **{base: set() for base in _BASE},
    "kg.readers": {"kg.errors", "kg.model", "kg.ids"},
    "kg.store": {"kg.errors"},
    "kg.rdf": {"kg.model", "kg.ids", "kg.grounding.methods"},
    "kg.ontology": {"kg.errors", "kg.ids", "kg.resources", "kg.rdf.vocab", "kg.store"},
    "kg.grounding": {"kg.errors", "kg.ids", "kg.model", "kg.resources", "kg.ontology"}
    | {"kg.rdf.vocab", "kg.store"},
    "kg.load": {
        *_BASE,
        "kg.readers",
        "kg.grounding",
        "kg.rdf",
        "kg.ontology",
        "kg.store",
    },
    "kg.sources": {"kg.errors", "kg.ontology.registry"},
    "kg.queries": {"kg.errors", "kg.ids", "kg.model", "kg.resources", "kg.rdf", "kg.store"},
    "kg.export": {"kg.errors", "kg.ids", "kg.formats", "kg.rdf.vocab", "kg.store"},
    "kg.server": {
        *_BASE,
        "kg.rdf",
        "kg.ontology",
        "kg.grounding",
        "kg.store",
        "kg.queries",
        "kg.export",
    },
    "kg.cli": {
        *_BASE,
        "kg.readers",
        "kg.grounding",
        "kg.rdf",
        "kg.ontology",
        "kg.store",
        "kg.load",
        "kg.sources",
        "kg.queries",
        "kg.export",
        "kg.server",
    },
}
# The package itself re-exports the public API of the stages a library user calls.
FACADE = {"kg.errors", "kg.model", "kg.readers", "kg.grounding", "kg.rdf", "kg.ontology"}
FACADE |= {"kg.store", "kg.load", "kg.queries", "kg.export"}


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


def _backwards(module: str, allowed: set[str], path: Path) -> set[str]:
    return {
        imported
        for imported in _project_imports(path)
        if not any(imported == a or imported.startswith(a + ".") for a in allowed)
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(KG)))
def test_imports_point_one_way(path: Path) -> None:
    module = _module_name(path)
    if module == "kg":
        backwards = _backwards(module, FACADE, path)
        assert not backwards, f"the package re-exports {sorted(backwards)}, not a public stage"
        return
    stage = _stage(module)
    assert stage is not None, f"{module} falls under no rule: add its package to ALLOWED"
    backwards = _backwards(module, ALLOWED[stage] | {stage}, path)
    assert not backwards, f"{module} imports {sorted(backwards)} against the flow"


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("kg.store", "kg.ontology"),
        ("kg.load", "kg.server"),
        ("kg.load", "kg.cli"),
        ("kg.server", "kg.cli"),
        ("kg.server", "kg.load"),
        ("kg.server", "kg.sources"),
        ("kg.grounding", "kg.load"),
    ],
)
def test_a_stage_never_reaches_up(lower: str, upper: str) -> None:
    assert not any(a == upper or a.startswith(upper + ".") for a in ALLOWED[lower])


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
