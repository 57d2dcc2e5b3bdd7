"""Load test of `trialkg serve`: N concurrent clients for a bounded time, on loopback only.

Builds the seed store in a temporary folder, starts the server on 127.0.0.1, and has each
client loop over a mix of requests (a trial IRI as Turtle, the trial page, a SPARQL query
through the hierarchy, a term page, the search page) until the time is up. Prints throughput,
p50/p95 latency and the number of errors.

    python benchmarks/serve_load.py --clients 32 --seconds 20
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

QUERY = (
    "SELECT ?id WHERE { ?t <https://w3id.org/trialkg/vocab#condition> ?d . "
    "?d <http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
    "<http://purl.obolibrary.org/obo/DOID_1100> . ?t <http://purl.org/dc/terms/identifier> ?id }"
)
REQUESTS = [
    ("/trial/NCT03877471", "text/turtle"),
    ("/doc/trial/NCT03877471.html", "text/html"),
    ("/sparql?query=" + urllib.parse.quote(QUERY), "application/sparql-results+json"),
    ("/term/DOID:1100", "text/html"),
    ("/search?q=ovarian", "text/html"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(base: str, stop: float, latencies: list[float], errors: list[str]) -> None:
    i = 0
    while time.monotonic() < stop:
        path, accept = REQUESTS[i % len(REQUESTS)]
        i += 1
        start = time.perf_counter()
        try:
            request = urllib.request.Request(base + path, headers={"Accept": accept})
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                reason = exc.read().decode("utf-8", "replace").strip()
            errors.append(f"{path}: HTTP {exc.code}: {reason}")
            continue
        except (urllib.error.URLError, OSError) as exc:
            errors.append(f"{path}: {exc}")
            continue
        latencies.append(time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="trialkg-bench-"))
    store = work / "kg.db"
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "-q", "build", "--store", str(store)], check=True
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "-q", "serve", "--store", str(store), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        latencies: list[float] = []
        errors: list[str] = []
        stop = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=client, args=(base, stop, latencies, errors))
            for _ in range(args.clients)
        ]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(15)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"clients: {args.clients}, duration: {elapsed:.1f} s, requests: {len(latencies)}")
    print(f"throughput: {len(latencies) / elapsed:.1f} requests/s")
    print(f"latency p50: {cuts[49] * 1000:.1f} ms, p95: {cuts[94] * 1000:.1f} ms")
    print(f"errors: {len(errors)}")
    for line in errors[:5]:
        print(f"  {line}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
