"""Shared fixtures: where the real data lives, and a network guard."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared/ folder beside the project: real ontology files and records."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: tests read real ontology files from ../shared/")
    return SHARED


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


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


# Term constants, so assertions read like sentences.
PRIMARY_OVARIAN_INSUFFICIENCY = "DOID:5426"
OVARIAN_DISEASE = "DOID:1100"
DISEASE = "DOID:4"
MESENCHYMAL_STEM_CELL = "CL:0000134"
MULTI_FATE_STEM_CELL = "CL:0000048"
