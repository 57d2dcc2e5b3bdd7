"""Ontology releases on this machine: fetched from the OBO PURLs, or registered from local files.

The registry is a JSON file in the user data directory (``TRIALKG_DATA_DIR`` overrides it):
for each ontology name, the release file, where it came from, its size, SHA-256, version IRI and
when it was registered. :func:`fetch` opens a network connection only when a user runs
``trialkg ontologies fetch`` (the other network code: :mod:`kg.fetch` for ``trialkg fetch``, and
:mod:`kg.remote` for a store named by URL).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from kg.errors import OntologyError

__all__ = ["PURLS", "Registered", "data_dir", "fetch", "register", "register_folder", "registered"]

logger = logging.getLogger(__name__)

#: Where each ontology's current release is published.
PURLS: dict[str, str] = {
    "doid": "http://purl.obolibrary.org/obo/doid.owl",
    "cl": "http://purl.obolibrary.org/obo/cl.owl",
}
_CHUNK = 1 << 16
_VERSION = re.compile(rb'owl:versionIRI rdf:resource="([^"]+)"|^data-version: *(\S+)', re.M)

Progress = Callable[[int, int | None], None]


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


def _save(entry: Registered) -> None:
    entries = {name: asdict(e) for name, e in registered().items()}
    entries[entry.name] = asdict(entry)
    path = _registry_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def _version_of(head: bytes) -> str | None:
    match = _VERSION.search(head)
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("utf-8", "replace")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def register(name: str, path: str | Path) -> Registered:
    """Register a local release file for ``name`` (kept where it is; nothing is copied)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise OntologyError(path, "no such file")
    digest = hashlib.sha256()
    head = b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            if len(head) < 1 << 20:
                head += chunk
            digest.update(chunk)
    entry = Registered(
        name, str(path), "file:", path.stat().st_size, digest.hexdigest(), _version_of(head), _now()
    )
    _save(entry)
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


def fetch(
    name: str, *, url: str | None = None, progress: Progress | None = None, timeout: float = 60
) -> Registered:
    """Download the current release of ``name`` from its PURL into the data directory.

    Streams to a temporary file (checksum computed on the way) and moves it into place only
    when complete. This is an explicit network operation.

    :raises OntologyError: for an unknown name or a failed download (nothing is registered).
    """
    if name not in PURLS and url is None:
        raise OntologyError(name, f"unknown ontology {name!r}; known: {', '.join(PURLS)}")
    source = url or PURLS[name]
    target_dir = data_dir() / "ontologies"
    target_dir.mkdir(parents=True, exist_ok=True)
    suffix = Path(source.split("?")[0]).suffix or ".owl"
    target = target_dir / f"{name}{suffix}"
    digest = hashlib.sha256()
    head = b""
    size = 0
    fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=f".{name}-", suffix=".part")
    try:
        request = urllib.request.Request(source, headers={"User-Agent": "trialkg"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if len(head) < 1 << 20:
                    head += chunk
                if progress:
                    progress(size, total)
        shutil.move(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OntologyError(source, f"download failed: {exc}") from exc
    entry = Registered(
        name, str(target), source, size, digest.hexdigest(), _version_of(head), _now()
    )
    _save(entry)
    logger.info("fetched %s from %s: %d bytes, %s", name, source, size, entry.version)
    return entry
