"""What a benchmark's figures were measured on: CPU, cores, memory, and the versions that matter."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def describe() -> dict[str, Any]:
    """The machine and the library versions, for a benchmark's report and its JSON."""
    import pyoxigraph
    import rdflib

    cpu = platform.processor() or platform.machine()
    memory = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass  # not Linux: the platform module's answer stands
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__,
        "rdflib": rdflib.__version__,
        "os": platform.platform(),
    }


def summary(info: dict[str, Any]) -> str:
    """One line: ``machine: CPU, N cores, M GiB RAM; Python ..., pyoxigraph ..., rdflib ...``."""
    return (
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB RAM; "
        f"Python {info['python']}, pyoxigraph {info['pyoxigraph']}, rdflib {info['rdflib']}"
    )
