"""Where the project's own data folders are: ``queries/``, ``ontologies/``, ``seeds/``.

In a source checkout (or an editable install) they sit beside the ``kg`` package. A wheel
carries them inside the package as ``kg/_data/<name>``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["resource_dir"]

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The folder ``name`` of the project (``queries``, ``ontologies`` or ``seeds``)."""
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"trialkg's {name}/ folder is missing (looked beside {_PACKAGE})")
