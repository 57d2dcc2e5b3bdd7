"""Ontology releases on this machine: registered from local files, or fetched from the PURLs.

The registry is a JSON file in the user data directory (``TRIALKG_DATA_DIR`` overrides it):
for each ontology name, the release file, where it came from, its size, SHA-256, version IRI and
when it was registered. Nothing here touches the network: downloading a release is
:func:`kg.sources.ontologies.fetch`, run only by ``trialkg ontologies fetch``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from kg.errors import OntologyError

__all__ = [
    "PURLS",
    "Registered",
    "data_dir",
    "now",
    "register",
    "register_folder",
    "registered",
    "save",
    "version_of",
]

logger = logging.getLogger(__name__)

#: Where each ontology's current release is published.
PURLS: dict[str, str] = {
    "doid": "http://purl.obolibrary.org/obo/doid.owl",
    "cl": "http://purl.obolibrary.org/obo/cl.owl",
}
CHUNK = 1 << 16
_VERSION = re.compile(rb'owl:versionIRI rdf:resource="([^"]+)"|^data-version: *(\S+)', re.M)


@dataclass(frozen=True, slots=True)
class Registered:
    """One release known to this machine."""

    name: str
    path: str
    #: The URL it was fetched from, or ``file:`` for a registered local file.
    source: str
    size: int
    sha256: str
    #: ``owl:versionIRI`` or OBO ``data-version`` found in the file's header, when any.
    version: str | None
    registered_at: str


def data_dir() -> Path:
    """trialkg's folder in the user data directory (``TRIALKG_DATA_DIR`` overrides it)."""
    return Path(os.environ.get("TRIALKG_DATA_DIR") or platformdirs.user_data_dir("trialkg"))


def _registry_file() -> Path:
    return data_dir() / "ontologies" / "registry.json"


def registered() -> dict[str, Registered]:
    """The releases registered on this machine, by ontology name."""
    path = _registry_file()
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return {name: Registered(**entry) for name, entry in entries.items()}
    except (ValueError, TypeError) as exc:
        raise OntologyError(path, f"the ontology registry is damaged: {exc}") from exc


def save(entry: Registered) -> None:
    entries = {name: asdict(e) for name, e in registered().items()}
    entries[entry.name] = asdict(entry)
    path = _registry_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def version_of(head: bytes) -> str | None:
    match = _VERSION.search(head)
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("utf-8", "replace")


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def register(name: str, path: str | Path) -> Registered:
    """Register a local release file for ``name`` (kept where it is; nothing is copied)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise OntologyError(path, "no such file")
    digest = hashlib.sha256()
    head = b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            if len(head) < 1 << 20:
                head += chunk
            digest.update(chunk)
    entry = Registered(
        name, str(path), "file:", path.stat().st_size, digest.hexdigest(), version_of(head), now()
    )
    save(entry)
    logger.info("registered %s release %s (%s)", name, path, entry.version or "no version")
    return entry


def register_folder(folder: str | Path) -> list[Registered]:
    """Register the newest release file of each known ontology found in ``folder``.

    Files are matched by name (``doid*.obo``, ``cl*.owl``, ...); among several, the one whose
    name sorts last (release dates sort) wins, RDF/XML before OBO before functional syntax.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise OntologyError(folder, "no such folder")
    found = []
    rank = {".owl": 0, ".obo": 1, ".ofn": 2}
    for name in PURLS:
        files = [
            p
            for p in folder.rglob(f"{name}*")
            if p.is_file() and Path(p.name.removesuffix(".gz")).suffix in rank
        ]
        if files:
            best = max(
                files,
                key=lambda p: (
                    p.name.split(".")[0],
                    -rank[Path(p.name.removesuffix(".gz")).suffix],
                ),
            )
            found.append(register(name, best))
    if not found:
        raise OntologyError(folder, f"no release of {', '.join(PURLS)} found")
    return found
