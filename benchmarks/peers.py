"""Peers benchmark: trialkg beside Virtuoso 7 and Oxigraph's own loader, on the same studies.

In one run, on the same synthetic studies (benchmarks/generate.py) and the DOID and CL releases
in ../shared/ontologies/:

Loading, ``--rounds`` times in turn, each timed on its own:

- **a** ``trialkg build`` end to end, the command in a process of its own, from the JSON Lines
  file: ontologies, studies, the compaction and the swap into place.
- **b** Virtuoso's bulk loader (``ld_dir``, ``rdf_loader_run``, ``checkpoint``) given the N-Quads
  export of (a)'s store (``trialkg export --format nquads --graph all``), into a new Virtuoso
  database started for the round (Debian's ``virtuoso-t``, on loopback, tuned as the README's
  Virtuoso section says).
- **c** ``oxigraph load`` of the same file into a new folder.

Each line gives the median round; quads/s count the same quads for all three (a's store holds
exactly the quads of the export).

Then every named query, with the parameters benchmarks/queries.py takes from the store (its
example, the busiest classes, no optional parameter), on three engines: the embedded store
(``trialkg query``'s way, in this process), ``trialkg serve`` over HTTP and Virtuoso over HTTP.
Over HTTP both get the same text (Virtuoso with the ``DEFINE`` trialkg's remote store sends it),
``POST /sparql``, SPARQL JSON read and parsed by the same client. Each case runs once to warm
up, then ``--repeat`` times (median); the row counts of the three are compared.

Goals: ``trialkg serve`` at least as fast as Virtuoso over HTTP on every named query at 100,000
trials; (a) at least 0.7 times the quads/s of (c).

    python benchmarks/peers.py --trials 10000
    python benchmarks/peers.py --trials 1000 --rounds 1 --repeat 3 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
for _folder in (PROJECT, PROJECT / "benchmarks", PROJECT / "tests"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

import generate  # noqa: E402  (benchmarks/generate.py, machine.py and queries.py beside this)
import httpx  # noqa: E402
import machine  # noqa: E402
import virtuoso_server  # noqa: E402  (tests/virtuoso_server.py: a Virtuoso of one's own)

import queries  # noqa: E402
from kg.queries import bound_sparql, load_queries, run_named  # noqa: E402
from kg.rdf.vocab import PREFIXES  # noqa: E402
from kg.store import Store  # noqa: E402
from kg.store.engines import VIRTUOSO  # noqa: E402
from kg.store.sparql_text import with_prefixes  # noqa: E402

DEFAULT_WORKDIR = PROJECT / "benchmarks" / ".work"
#: Virtuoso's settings for the run: about 1.5 GB of buffers (the Virtuoso guide: 85,000 per GB
#: given to it), answers up to a million rows (stock: 10,000), queries up to 10 minutes.
VIRTUOSO_SETTINGS = {
    "NumberOfBuffers": "130000",
    "MaxDirtyBuffers": "100000",
    "ThreadsPerQuery": "2",
    "MaxQueryMem": "2G",
    "ResultSetMaxRows": "1000000",
    "MaxQueryExecutionTime": "600",
}
_JSON = "application/sparql-results+json"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _trialkg() -> list[str]:
    return [sys.executable, "-m", "kg.cli"]


def _oxigraph() -> str:
    for folder in (Path(sys.executable).parent, Path(shutil.which("oxigraph") or ".").parent):
        if (folder / "oxigraph").is_file():
            return str(folder / "oxigraph")
    raise SystemExit("no oxigraph executable: pip install oxigraph (it is in the test extra)")


# -- loading ----------------------------------------------------------------------------------


@dataclass
class Load:
    """One pipeline's rounds: seconds each, and the quads loaded."""

    label: str
    quads: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float:
        return self.quads / self.median if self.seconds else 0.0


def _timed(command: Sequence[str], **kwargs: Any) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stderr


def build_round(studies: Path, store: Path) -> tuple[float, int]:
    """(a): ``trialkg build`` of the studies with DOID and CL; seconds and the store's quads."""
    shutil.rmtree(store, ignore_errors=True)
    store.parent.mkdir(parents=True, exist_ok=True)
    command = [*_trialkg(), "build", str(studies), "--allow-rejects", "--store", str(store)]
    command += ["--ontology", str(generate.DOID_FILE), "--ontology", str(generate.CL_FILE)]
    seconds, stderr = _timed(command)
    found = re.search(r"store .*: ([\d,]+) quads", stderr)
    if not found:
        raise SystemExit(f"trialkg build printed no store size:\n{stderr[-2000:]}")
    return seconds, int(found.group(1).replace(",", ""))


def export_nquads(store: Path, out: Path) -> int:
    """The N-Quads export of ``store`` (every public graph); the number of quads."""
    command = [*_trialkg(), "export", "--format", "nquads", "--graph", "all"]
    _timed([*command, "--store", str(store), "--out", str(out)])
    with out.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def virtuoso_round(nquads: Path, folder: Path) -> tuple[float, virtuoso_server.Virtuoso]:
    """(b): a new Virtuoso, then its bulk loader on ``nquads``; seconds, and the server (left
    running for the queries: the caller stops it)."""
    shutil.rmtree(folder, ignore_errors=True)
    server = virtuoso_server.start(folder, **VIRTUOSO_SETTINGS)
    try:
        os.link(nquads, folder / nquads.name)
    except OSError:
        shutil.copy(nquads, folder / nquads.name)
    began = time.perf_counter()
    server.isql(
        f"ld_dir('{folder}', '{nquads.name}', 'https://w3id.org/trialkg/graph/dump')",
        "rdf_loader_run()",
        "checkpoint",
        timeout=7200,
    )
    seconds = time.perf_counter() - began
    errors = server.isql("SELECT ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL")
    listed = errors.split("____\n", 1)[-1].replace("SQL>", "").strip()
    if listed:
        server.stop()
        raise SystemExit(f"Virtuoso's bulk loader reported errors:\n{listed[-2000:]}")
    (folder / nquads.name).unlink()
    return seconds, server


def oxigraph_round(nquads: Path, folder: Path) -> float:
    """(c): ``oxigraph load`` of ``nquads`` into a new folder; seconds."""
    shutil.rmtree(folder, ignore_errors=True)
    seconds, _ = _timed([_oxigraph(), "load", "--location", str(folder), "--file", str(nquads)])
    shutil.rmtree(folder, ignore_errors=True)
    return seconds


# -- queries ----------------------------------------------------------------------------------


@dataclass
class Timed:
    """One case on one engine: rows and the seconds of each timed run."""

    rows: int = -1
    seconds: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None


def _time(run: Callable[[], int], repeat: int) -> Timed:
    timed = Timed()
    try:
        timed.rows = run()  # warm-up
        for _ in range(repeat):
            began = time.perf_counter()
            rows = run()
            timed.seconds.append(time.perf_counter() - began)
            if rows != timed.rows:
                timed.error = f"rows changed between runs: {timed.rows} then {rows}"
    except Exception as exc:  # a failing engine is reported, not fatal
        timed.error = f"{type(exc).__name__}: {str(exc)[:200]}"
    return timed


def _over_http(client: httpx.Client, url: str, text: str) -> int:
    answer = client.post(url, data={"query": text}, headers={"Accept": _JSON})
    answer.raise_for_status()
    for header in ("x-sparql-maxrows", "x-sql-state"):
        if header in answer.headers:
            raise RuntimeError(f"{url} flagged its answer: {header} {answer.headers[header]}")
    return len(json.loads(answer.content)["results"]["bindings"])


class Serve:
    """``trialkg serve`` on a free loopback port, for the queries; stopped by :meth:`stop`."""

    def __init__(self, store: Path, folder: Path) -> None:
        self.port = virtuoso_server._free_port()
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        log = (folder / "serve.log").open("wb")
        command = [*_trialkg(), "serve", "--store", str(store), "--port", str(self.port)]
        command += ["--timeout", "600", "--max-results", "100000000"]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=5).is_success:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log_text = (folder / "serve.log").read_text(errors="replace")
                raise SystemExit(f"trialkg serve did not start:\n{log_text}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def bench_queries(
    store_path: Path, serve_url: str, virtuoso_url: str, repeat: int
) -> list[tuple[queries.Case, Timed, Timed, Timed]]:
    """Every case on the embedded store, through ``trialkg serve`` and through Virtuoso."""
    named = load_queries()
    store = Store.open_read_only(store_path)
    results = []
    try:
        cases = queries.cases_for(store, named)
        with httpx.Client(timeout=900) as client:
            for case in cases:
                query = named[case.query]
                text = bound_sparql(query, case.params)
                over_http = with_prefixes(text, PREFIXES)

                def embedded(query: Any = query, case: queries.Case = case) -> int:
                    answer = run_named(store, query, case.params)
                    return sum(1 for _ in answer)  # type: ignore[union-attr]

                local = _time(embedded, repeat)
                served = _time(lambda t=over_http: _over_http(client, serve_url, t), repeat)
                virtuoso = _time(
                    lambda t=VIRTUOSO.query_prologue + over_http: _over_http(
                        client, virtuoso_url, t
                    ),
                    repeat,
                )
                _say(f"  {case.query} {case.label}: {local.rows} / {served.rows} / {virtuoso.rows}")
                results.append((case, local, served, virtuoso))
    finally:
        store.close()
    return results


# -- the report -------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.1f} ms"


def report(
    trials: int, loads: list[Load], cases: list[tuple[queries.Case, Timed, Timed, Timed]]
) -> tuple[str, dict[str, Any]]:
    info = machine.describe()
    lines = [f"peers on the same {trials:,} studies; {machine.summary(info)}", ""]
    lines.append(f"{'loading':44} {'quads':>12} {'seconds':>9} {'quads/s':>10}  rounds")
    for load in loads:
        rounds = ", ".join(f"{s:.1f}" for s in load.seconds)
        lines.append(
            f"{load.label:44} {load.quads:>12,} {load.median:>9.1f} {load.rate:>10,.0f}  {rounds}"
        )
    a, c = loads[0], loads[2]
    ratio = a.rate / c.rate if c.rate else 0.0
    lines.append(f"a/c in quads/s: {ratio:.2f} (goal >= 0.7)")
    lines.append("")
    lines.append(
        f"{'query':20} {'parameters':30} {'rows':>8} {'embedded':>10} {'serve/HTTP':>11} "
        f"{'Virtuoso/HTTP':>14}  serve <= Virtuoso"
    )
    met = 0
    rows_json = []
    for case, local, served, virtuoso in cases:
        counts = {local.rows, served.rows, virtuoso.rows}
        rows = f"{local.rows:,}"
        if len(counts) > 1:
            rows = f"{local.rows}/{served.rows}/{virtuoso.rows}"
        faster = (
            served.median is not None
            and virtuoso.median is not None
            and served.median <= virtuoso.median
        )
        met += faster
        verdict = "yes" if faster else "no"
        if len(counts) > 1:
            verdict += "; ROWS DIFFER"
        for name, timed in (("embedded", local), ("serve", served), ("virtuoso", virtuoso)):
            if timed.error:
                verdict += f"; {name}: {timed.error}"
        lines.append(
            f"{case.query:20} {case.label[:30]:30} {rows:>8} {_ms(local.median):>10} "
            f"{_ms(served.median):>11} {_ms(virtuoso.median):>14}  {verdict}"
        )
        rows_json.append(
            {
                "query": case.query,
                "params": case.params,
                "rows": [local.rows, served.rows, virtuoso.rows],
                "seconds": [local.seconds, served.seconds, virtuoso.seconds],
                "errors": [local.error, served.error, virtuoso.error],
            }
        )
    lines.append(f"serve at least as fast as Virtuoso over HTTP: {met} of {len(cases)} cases")
    figures = {
        "trials": trials,
        "machine": info,
        "loads": [{"label": x.label, "quads": x.quads, "seconds": x.seconds} for x in loads],
        "a_over_c": ratio,
        "queries": rows_json,
    }
    return "\n".join(lines), figures


def run(
    trials: int, seed: int, rounds: int, repeat: int, workdir: Path
) -> tuple[str, dict[str, Any]]:
    if virtuoso_server.executables() is None:
        raise SystemExit(virtuoso_server.missing_reason())
    workdir.mkdir(parents=True, exist_ok=True)
    studies = queries.studies_file(workdir, trials, seed)
    scratch = Path(tempfile.mkdtemp(prefix="peers-", dir=workdir))
    store = scratch / "trialkg.db"
    nquads = scratch / "kg.nq"
    a, b, c = (
        Load("a trialkg build (JSON, end to end)"),
        Load("b Virtuoso bulk loader (N-Quads)"),
        Load("c oxigraph load (N-Quads)"),
    )
    server: virtuoso_server.Virtuoso | None = None
    serve: Serve | None = None
    try:
        for round_ in range(1, rounds + 1):
            _say(f"round {round_} of {rounds}: a ...")
            seconds, a.quads = build_round(studies, store)
            a.seconds.append(seconds)
            if not nquads.exists():
                b.quads = c.quads = export_nquads(store, nquads)
                if b.quads != a.quads:
                    raise SystemExit(f"the export holds {b.quads:,} quads, the store {a.quads:,}")
            _say(f"round {round_} of {rounds}: b ...")
            if server is not None:
                server.stop()
            seconds, server = virtuoso_round(nquads, scratch / "virtuoso")
            b.seconds.append(seconds)
            _say(f"round {round_} of {rounds}: c ...")
            c.seconds.append(oxigraph_round(nquads, scratch / "oxigraph.db"))
        assert server is not None
        _say("named queries: embedded / trialkg serve / Virtuoso ...")
        serve = Serve(store, scratch)
        cases = bench_queries(store, serve.url, server.query_url, repeat)
    finally:
        if serve is not None:
            serve.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return report(trials, [a, b, c], cases)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=10_000, help="studies (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--rounds", type=int, default=3, help="loading rounds (default 3)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs a query (default 5)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="cache and stores")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    table, figures = run(args.trials, args.seed, args.rounds, args.repeat, args.workdir)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
