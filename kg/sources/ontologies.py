"""Download an ontology's current release from its PURL (``trialkg ontologies fetch``).

This is network code, run only when a user asks for it; the download is registered in
:mod:`kg.ontology.registry` like a local file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

from kg.errors import OntologyError
from kg.ontology.registry import CHUNK, PURLS, Registered, data_dir, now, save, version_of

__all__ = ["fetch"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


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
            for chunk in iter(lambda: resp.read(CHUNK), b""):
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
    entry = Registered(name, str(target), source, size, digest.hexdigest(), version_of(head), now())
    save(entry)
    logger.info("fetched %s from %s: %d bytes, %s", name, source, size, entry.version)
    return entry
