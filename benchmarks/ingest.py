"""Ingest benchmark: trialkg's build against the engine's bulk loader and an rdflib pipeline.

One run measures, each in a process of its own with its memory sampled:

a. **trialkg**: read -> ground -> map -> store, the fast path of ``trialkg build``
   (:func:`kg.load.bulk.bulk_build_records`) into a fresh Oxigraph store;
b. **pyoxigraph bulk_load** of exactly the quads (a) wrote, dumped to an N-Quads file first:
   the storage engine's own limit on this machine;
c. **rdflib**: the same reader, grounder and mapping, each quad added to an ``rdflib.Dataset``
   as rdflib terms, the dataset serialised as N-Quads: what most RDF projects do. It runs on at
   most ``--rdflib-trials`` studies (an rdflib graph of 100,000 trials needs tens of GB);
   rates per second are compared, not totals.

Then the ratios a/b, a/c and b/c in quads/s (b/c bounds a/c: (a) stores through the same
bulk loader as (b)), the incremental update (1,000 changed trials reloaded
into the finished store, one transaction per trial, as ``trialkg load`` does, against the same
into a store of 1,000 trials), and optionally the scaling curve (``--curve``: a and b at 1k,
10k and 100k trials) and the whole ``trialkg build`` command end to end (``--end-to-end``:
ontologies, trials, the swap into place). ``--slices 1,4,16`` also loads (b)'s quads in slices
of those sizes, one bulk-loader call each, as (a)'s loader thread does: how the slice size
chosen in ``kg.load.bulk.BulkSettings`` was measured.

``--load-memory 1000,5000,20000`` measures the ``trialkg load`` command: a store is built once
from the seed with DOID and CL, then each number of studies is loaded into a copy of it, one
transaction per trial, and the peak memory of each run is printed with how it grows per 1,000
trials (flat: the store writes its buffers out as it goes, and the load keeps nothing per
trial). ``--only none --changed 0`` runs it alone.

Timings on a shared machine vary from run to run, the engine's as much as trialkg's.
``--repeat 3`` runs (a) then (b) three times in turn: the table shows the run of median time
of each, the ratios come from those, and the a/b of each round (an (a) and the (b) right after
it) is printed beside them, so one slow moment does not decide the ratio.

Studies come from benchmarks/generate.py (cached in the work folder); trials are grounded
against the DOID and CL releases in ../shared/ontologies/. Building the ontology index is
setup, timed and printed apart. Peak memory is the sum over the process and its children
(worker processes), read from /proc: RSS every 100 ms (shared pages counted once per process,
so an upper bound) and PSS every second (shared pages split between the processes).

    python benchmarks/ingest.py --trials 100000
    python benchmarks/ingest.py --trials 100000 --repeat 3 --curve
    python benchmarks/ingest.py --trials 500000 --only a --end-to-end
    python benchmarks/ingest.py --curve --json curve.json
    python benchmarks/ingest.py --only none --changed 0 --load-memory 1000,5000,20000
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
for _folder in (PROJECT, PROJECT / "benchmarks"):  # this checkout's kg, and generate.py
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

import generate  # noqa: E402  (benchmarks/generate.py, beside this file)
import machine  # noqa: E402

DEFAULT_WORKDIR = PROJECT / "benchmarks" / ".work"
LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)  # fixed, so (a) writes the same bytes each run
CURVE = (1_000, 10_000, 100_000)
SAMPLE_SECONDS = 0.1
PSS_EVERY = 10  # samples


# -- memory of a process tree ------------------------------------------------------------------


def _children_of() -> dict[int, list[int]]:
    """Every process's children, from /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                text = stat.read()
        except OSError:
            continue  # gone meanwhile
        # The command name may hold spaces and parentheses: fields resume after the last ')'.
        ppid = int(text[text.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _tree(root: int) -> list[int]:
    children = _children_of()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss(pid: int) -> int:
    """Resident bytes of one process (from /proc/PID/statm: cheap to read)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _pss(pid: int) -> int:
    """Proportional set size of one process: shared pages split between their users.

    /proc/PID/smaps_rollup walks the process's page tables, so it is read less often.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class PeakMemory:
    """Samples the summed RSS (and, less often, PSS) of a process and all its descendants.

    Sampling costs a few percent of one core; the process tree is looked up once a second.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss = 0
        self.peak_pss = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pids = [self.pid]
        while not self._stop.is_set():
            if self.samples % PSS_EVERY == 0:
                pids = _tree(self.pid)
                self.peak_pss = max(self.peak_pss, sum(_pss(pid) for pid in pids))
            self.peak_rss = max(self.peak_rss, sum(_rss(pid) for pid in pids))
            self.samples += 1
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# -- results -----------------------------------------------------------------------------------


@dataclass
class Measure:
    """One measured stage: what it did, how long, how much memory."""

    name: str
    trials: int
    quads: int
    seconds: float
    #: Seconds spent building the ontology index before the clock started (not in ``seconds``).
    setup_seconds: float = 0.0
    peak_rss: int = 0
    peak_pss: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def trials_per_second(self) -> float:
        return self.trials / self.seconds if self.seconds else 0.0

    @property
    def quads_per_second(self) -> float:
        return self.quads / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["trials_per_second"] = round(self.trials_per_second, 1)
        data["quads_per_second"] = round(self.quads_per_second, 1)
        return data


def run_stage(stage: str, workdir: Path, **options: Any) -> Measure:
    """Run one stage in a child process (``--stage``), sampling the memory of its tree."""
    command = [sys.executable, str(Path(__file__).resolve()), "--stage", stage]
    command += ["--workdir", str(workdir), "--stage-options", json.dumps(options)]
    return _measured(command, stage)


def _measured(command: list[str], name: str) -> Measure:
    began = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    memory = PeakMemory(child.pid)
    out, _ = child.communicate()
    wall = time.perf_counter() - began
    memory.stop()
    if child.returncode != 0:
        raise SystemExit(f"stage {name} failed (exit code {child.returncode}): {' '.join(command)}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    data = json.loads(lines[-1]) if lines else {"trials": 0, "quads": 0, "seconds": wall}
    measure = Measure(name=name, **data)
    measure.peak_rss, measure.peak_pss = memory.peak_rss, memory.peak_pss
    return measure


# -- inputs ------------------------------------------------------------------------------------


def studies_file(workdir: Path, trials: int, seed: int, start: int = 0) -> Path:
    """The JSON Lines file of ``trials`` synthetic studies, generated once and cached."""
    return generate.cached_file(workdir, trials, seed=seed, start=start, vocabulary=_vocabulary)


@functools.cache
def _vocabulary() -> generate.Vocabulary:
    return generate.load_vocabulary()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- the stages (each runs in its own process) -------------------------------------------------


def _index() -> tuple[Any, float]:
    import logging

    from kg.ontology.terms import TermIndex

    logging.disable(logging.WARNING)  # ungrounded mentions, the CL file's skipped imports
    began = time.perf_counter()
    index = TermIndex.from_files(generate.DOID_FILE, generate.CL_FILE)
    return index, time.perf_counter() - began


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def stage_trialkg(studies: str, store: str, workers: int | None = None) -> dict[str, Any]:
    """(a) trialkg's build path into a fresh store."""
    from kg.load import bulk_build_records
    from kg.load.bulk import BulkSettings
    from kg.store import Store

    index, setup = _index()
    target = Store.open(_fresh(Path(store)))
    began = time.perf_counter()
    report = bulk_build_records(
        target, [studies], index, loaded_at=LOADED_AT, settings=BulkSettings(workers=workers)
    )
    seconds = time.perf_counter() - began
    compaction = _compact(target)
    quads = len(target)
    target.close()
    return {
        "trials": report.trials_loaded,
        "quads": quads,
        "seconds": seconds,
        "setup_seconds": setup,
        "extra": {
            "rejected": len(report.rejected),
            "records_read": report.records_read,
            "compaction_seconds": compaction,
        },
    }


def _compact(store: Any) -> float:
    """Seconds of ``optimize()`` (a Store of kg or of pyoxigraph), not part of the rates.

    Both bulk loads end when their files are written; the store then holds many overlapping
    files, which a build compacts before the store is swapped in (queries 3-7x faster).
    """
    began = time.perf_counter()
    store.optimize()
    store.flush()
    return round(time.perf_counter() - began, 1)


def stage_dump(store: str, nquads: str) -> dict[str, Any]:
    """Not measured: (a)'s store as an N-Quads file, for (b)."""
    import pyoxigraph as ox

    from kg.store import Store

    source = Store.open_read_only(store)
    began = time.perf_counter()
    with open(nquads, "wb") as out:
        source.dump(out, ox.RdfFormat.N_QUADS)
    return {"trials": 0, "quads": 0, "seconds": time.perf_counter() - began}


def stage_oxigraph(nquads: str, store: str) -> dict[str, Any]:
    """(b) pyoxigraph's bulk loader on the same quads (the call trialkg's loader makes)."""
    import pyoxigraph as ox

    target = ox.Store(str(_fresh(Path(store))))
    began = time.perf_counter()
    target.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS, lenient=True)
    seconds = time.perf_counter() - began
    compaction = _compact(target)
    return {
        "trials": 0,
        "quads": len(target),
        "seconds": seconds,
        "extra": {"compaction_seconds": compaction},
    }


def stage_slices(nquads: str, store: str, mb: float) -> dict[str, Any]:
    """The quads of (b) bulk-loaded in slices of ``mb`` megabytes, one call each, as (a)'s
    loader thread does; CPU seconds of the whole process (Oxigraph's threads included)."""
    import pyoxigraph as ox

    target = ox.Store(str(_fresh(Path(store))))
    limit = int(mb * 1024 * 1024)
    began, cpu = time.perf_counter(), time.process_time()
    with open(nquads, "rb") as source:
        batch: list[bytes] = []
        held = 0
        for line in source:
            batch.append(line)
            held += len(line)
            if held >= limit:
                target.bulk_load(b"".join(batch), format=ox.RdfFormat.N_QUADS, lenient=True)
                batch, held = [], 0
        if batch:
            target.bulk_load(b"".join(batch), format=ox.RdfFormat.N_QUADS, lenient=True)
    seconds = time.perf_counter() - began
    used = time.process_time() - cpu
    return {"trials": 0, "quads": len(target), "seconds": seconds, "extra": {"cpu_seconds": used}}


def _rdflib_converter() -> Any:
    """A function from pyoxigraph terms to rdflib terms (cached per term, as a mapping would)."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    xsd_string = "http://www.w3.org/2001/XMLSchema#string"
    rdf_lang_string = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

    def convert(term: Any) -> Any:
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return BNode(term.value)
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype in (xsd_string, rdf_lang_string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))

    return convert


def stage_rdflib(studies: str, nquads: str, limit: int) -> dict[str, Any]:
    """(c) the same reading, grounding and mapping into an rdflib Dataset, then N-Quads."""
    from rdflib import Dataset, URIRef

    from kg.errors import RecordError
    from kg.grounding.grounder import Grounder
    from kg.rdf.mapping import trial_to_quads
    from kg.readers import read_trials

    index, setup = _index()
    versions = sorted({r.version for r in index.releases})
    convert = _rdflib_converter()
    began = time.perf_counter()
    grounder = Grounder(index)
    dataset = Dataset()
    trials = 0
    with open(studies, "rb") as lines:
        for line in lines:
            if trials >= limit:
                break
            for trial in read_trials(line, studies):
                if isinstance(trial, RecordError):
                    continue
                trials += 1
                quads = trial_to_quads(
                    grounder(trial), loaded_at=LOADED_AT, ontology_versions=versions
                )
                graphs: dict[str, Any] = {}
                for quad in quads:
                    name = quad.graph_name.value
                    graph = graphs.get(name)
                    if graph is None:
                        graph = graphs[name] = dataset.graph(URIRef(name))
                    graph.add(
                        (convert(quad.subject), convert(quad.predicate), convert(quad.object))
                    )
    dataset.serialize(destination=nquads, format="nquads")
    seconds = time.perf_counter() - began
    quads = sum(len(graph) for graph in dataset.graphs())
    return {"trials": trials, "quads": quads, "seconds": seconds, "setup_seconds": setup}


def stage_incremental(studies: str, store: str) -> dict[str, Any]:
    """Reload changed trials into a built store, one transaction per trial (``trialkg load``)."""
    from kg.load import load_records
    from kg.store import Store

    index, setup = _index()
    target = Store.open(store)
    graphs_before = sum(1 for _ in target.named_graphs())
    began = time.perf_counter()
    report = load_records(target, [studies], index, loaded_at=LOADED_AT)
    target.flush()
    seconds = time.perf_counter() - began
    graphs_after = sum(1 for _ in target.named_graphs())
    return {
        "trials": report.trials_loaded,
        "quads": report.quads,
        "seconds": seconds,
        "setup_seconds": setup,
        "extra": {"graphs_before": graphs_before, "graphs_after": graphs_after},
    }


STAGES = {
    "trialkg": stage_trialkg,
    "dump": stage_dump,
    "oxigraph": stage_oxigraph,
    "rdflib": stage_rdflib,
    "incremental": stage_incremental,
    "slices": stage_slices,
}


# -- the run -----------------------------------------------------------------------------------


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError


def _row(label: str, m: Measure) -> str:
    return (
        f"{label:<44} {m.trials:>9,} {m.quads:>12,} {m.seconds:>9.1f} "
        f"{m.trials_per_second:>9,.0f} {m.quads_per_second:>10,.0f} "
        f"{_size(m.peak_rss):>10} {_size(m.peak_pss):>10}"
    )


HEADER = (
    f"{'pipeline':<44} {'trials':>9} {'quads':>12} {'seconds':>9} {'trials/s':>9} "
    f"{'quads/s':>10} {'peak RSS':>10} {'peak PSS':>10}"
)


def pipelines(
    workdir: Path,
    trials: int,
    seed: int,
    workers: int | None,
    *,
    with_b: bool = True,
    slices: Sequence[float] = (),
) -> list[Measure]:
    """(a) and, unless not ``with_b``, (b) on ``trials`` studies: the measures, (a) first.

    :param slices: sizes in MB: the same quads bulk-loaded in slices of each size, measured
        after (b) as ``b.extra["slices"]``.
    """
    studies = studies_file(workdir, trials, seed)
    store = workdir / f"store-{trials}"
    a = run_stage("trialkg", workdir, studies=str(studies), store=str(store), workers=workers)
    a.name = "a"
    if not with_b:
        return [a]
    nquads = workdir / f"store-{trials}.nq"
    run_stage("dump", workdir, store=str(store), nquads=str(nquads))
    b = run_stage("oxigraph", workdir, nquads=str(nquads), store=str(workdir / "bulk-store"))
    b.name = "b"
    b.trials = a.trials
    b.extra["slices"] = []
    for megabytes in slices:
        bulk_store = str(workdir / "bulk-store")
        sliced = run_stage("slices", workdir, nquads=str(nquads), store=bulk_store, mb=megabytes)
        b.extra["slices"].append(
            {"mb": megabytes, **sliced.as_json(), "cpu_seconds": sliced.extra["cpu_seconds"]}
        )
    shutil.rmtree(workdir / "bulk-store", ignore_errors=True)
    nquads.unlink()
    return [a, b]


def incremental(workdir: Path, trials: int, seed: int, changed: int) -> Measure:
    """Reload ``changed`` trials (new content, same NCT numbers) into the ``trials`` store."""
    start = max(0, trials // 2 - changed // 2)
    updates = studies_file(workdir, changed, seed + 1000, start=start)
    return run_stage(
        "incremental", workdir, studies=str(updates), store=str(workdir / f"store-{trials}")
    )


def end_to_end(workdir: Path, trials: int, seed: int) -> Measure:
    """The ``trialkg build`` command: ontologies, every study, the swap into place."""
    studies = studies_file(workdir, trials, seed)
    store = workdir / f"cli-store-{trials}"
    shutil.rmtree(store, ignore_errors=True)
    command = [sys.executable, "-m", "kg.cli", "-q", "build", str(studies)]
    command += ["--ontology", str(generate.DOID_FILE), "--ontology", str(generate.CL_FILE)]
    command += ["--store", str(store), "--allow-rejects"]
    measure = _measured(command, "end-to-end")
    measure.trials = trials
    shutil.rmtree(store, ignore_errors=True)
    return measure


def load_memory(workdir: Path, sizes: Sequence[int], seed: int) -> list[Measure]:
    """The ``trialkg load`` command on each number of studies, into a copy of one built store.

    The store is built once (the seed, DOID and CL, as ``end_to_end`` uses); each load runs in
    a process of its own with its memory sampled, and its copy of the store is removed after.
    """
    base = workdir / "load-base"
    shutil.rmtree(base, ignore_errors=True)
    command = [sys.executable, "-m", "kg.cli", "-q", "build", "--store", str(base)]
    command += ["--ontology", str(generate.DOID_FILE), "--ontology", str(generate.CL_FILE)]
    subprocess.run(command, check=True)
    measures = []
    try:
        for size in sizes:
            studies = studies_file(workdir, size, seed)
            store = workdir / f"load-store-{size}"
            shutil.rmtree(store, ignore_errors=True)
            shutil.copytree(base, store)
            command = [sys.executable, "-m", "kg.cli", "-q", "load", str(studies)]
            command += ["--store", str(store), "--allow-rejects"]
            try:
                measure = _measured(command, "load")
            finally:
                shutil.rmtree(store, ignore_errors=True)
            measure.trials = size
            measures.append(measure)
            print(
                f"  {size:>9,} studies: {measure.seconds:7.1f} s, "
                f"peak RSS {_size(measure.peak_rss)}, peak PSS {_size(measure.peak_pss)}",
                flush=True,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if len(measures) > 1:
        first, last = measures[0], measures[-1]
        growth = (last.peak_rss - first.peak_rss) / ((last.trials - first.trials) / 1000)
        print(f"  peak RSS grows by {_size(int(growth))} per 1,000 studies loaded", flush=True)
    return measures


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected numbers of studies such as 1000,5000: {text!r}")
    return sizes


def _megabytes(text: str) -> tuple[float, ...]:
    try:
        sizes = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes in MB such as 1,4,16: {text!r}") from None
    if any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive: {text!r}")
    return sizes


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1: {text!r}")
    return number


def _pipelines_arg(text: str) -> str:
    chosen = "" if text == "none" else text
    if set(chosen) - set("abc") or (chosen and "a" not in chosen):
        raise argparse.ArgumentTypeError(f"expected letters of abc including a, or none: {text!r}")
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=10_000, help="studies (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--rdflib-trials", type=int, default=10_000, help="cap for (c)")
    parser.add_argument("--changed", type=int, default=1_000, help="trials reloaded (default 1000)")
    parser.add_argument("--workers", type=int, default=None, help="(a)'s worker processes")
    parser.add_argument(
        "--only",
        type=_pipelines_arg,
        default="abc",
        help="which pipelines: letters of abc (b and c need a), or 'none' (default abc)",
    )
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=1,
        help="rounds of (a) then (b); each shown by its median run (default 1)",
    )
    parser.add_argument("--curve", action="store_true", help="(a) and (b) at 1k, 10k, 100k")
    parser.add_argument(
        "--slices",
        type=_megabytes,
        default=(),
        help="also bulk-load (b)'s quads in slices of these sizes, e.g. 1,4,16,64 (MB)",
    )
    parser.add_argument("--end-to-end", action="store_true", help="also time 'trialkg build'")
    parser.add_argument(
        "--load-memory",
        type=_sizes,
        default=(),
        help="peak memory of 'trialkg load' of these numbers of studies, e.g. 1000,5000,20000",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="cache and stores")
    parser.add_argument("--keep", action="store_true", help="keep the stores in the work folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--stage-options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    if args.stage:  # a child: one stage, its figures as a JSON line on stdout
        print(json.dumps(STAGES[args.stage](**json.loads(args.stage_options))))
        return 0

    results = run(args, workdir)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not args.keep:
        for store in workdir.glob("store-*"):
            shutil.rmtree(store, ignore_errors=True)
    return 0


def measure_pipelines(
    args: argparse.Namespace, workdir: Path, studies: Path, results: dict[str, Any]
) -> list[Measure]:
    """The pipelines asked for by ``--only``, printed as they finish, and their ratios.

    With ``--repeat N``, (a) and (b) run N rounds (the slices in the first only); each is then
    the run of median time, and the a/b of every round is printed and kept.
    """
    rounds = [
        pipelines(
            workdir,
            args.trials,
            args.seed,
            args.workers,
            with_b="b" in args.only,
            slices=args.slices if not done else (),
        )
        for done in range(args.repeat)
    ]
    measures = [_median_run([each[i] for each in rounds]) for i in range(len(rounds[0]))]
    if "b" in args.only:
        measures[1].extra["slices"] = rounds[0][1].extra["slices"]
    a = measures[0]
    print(_row("a trialkg: read, ground, map, store", a), flush=True)
    results["a"] = a.as_json()
    if "b" in args.only:
        b = measures[1]
        print(_row("b pyoxigraph bulk_load, same quads", b), flush=True)
        results["b"] = b.as_json()
        for point in b.extra["slices"]:
            print(
                f"  b in slices of {point['mb']:g} MB: {point['seconds']:.1f} s, "
                f"CPU {point['cpu_seconds']:.1f} s, peak RSS {_size(point['peak_rss'])}",
                flush=True,
            )
    c = None
    if "c" in args.only:
        limit = min(args.rdflib_trials, args.trials)
        c = run_stage(
            "rdflib",
            workdir,
            studies=str(studies),
            nquads=str(workdir / "rdflib.nq"),
            limit=limit,
        )
        c.name = "c"
        (workdir / "rdflib.nq").unlink(missing_ok=True)
        print(_row("c rdflib: same mapping, Dataset, N-Quads", c), flush=True)
        results["c"] = c.as_json()
    print(f"ontology index (DOID + CL), before the clock starts: {a.setup_seconds:.1f} s")
    if "b" in args.only:
        ratio = a.quads_per_second / b.quads_per_second
        results["a_over_b"] = round(ratio, 3)
        print(f"a/b in quads/s: {ratio:.2f} (goal >= 0.7)")
        if len(rounds) > 1:
            each = [ra.quads_per_second / rb.quads_per_second for ra, rb in rounds]
            results["a_over_b_rounds"] = [round(r, 3) for r in each]
            listed = ", ".join(f"{r:.2f}" for r in each)
            print(f"  a/b round by round: {listed} (median {statistics.median(each):.2f})")
    if c is not None:
        ratio = a.quads_per_second / c.quads_per_second
        results["a_over_c"] = round(ratio, 1)
        print(f"a/c in quads/s: {ratio:.1f} (goal >= 10)")
        if "b" in args.only:
            # (a) stores through the same bulk loader as (b): a/c cannot pass b/c.
            ceiling = b.quads_per_second / c.quads_per_second
            results["b_over_c"] = round(ceiling, 1)
            print(f"b/c in quads/s: {ceiling:.1f} (the most a/c can be: a stores as b does)")
    compactions = [f"{m.name} {m.extra['compaction_seconds']:.1f} s" for m in measures]
    print(f"then compacting the store (optimize; not in the rates): {', '.join(compactions)}")
    if "b" in args.only:
        with_compaction = (b.seconds + b.extra["compaction_seconds"]) / (
            a.seconds + a.extra["compaction_seconds"]
        )
        results["a_over_b_with_compaction"] = round(with_compaction, 3)
        print(f"a/b counting the compaction in both: {with_compaction:.2f}")
    return measures


def _median_run(runs: Sequence[Measure]) -> Measure:
    """The run of median time (the lower middle one for an even number of runs)."""
    ordered = sorted(runs, key=lambda m: m.seconds)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.extra["runs_seconds"] = [round(m.seconds, 2) for m in runs]
    return chosen


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Every stage asked for, printed as it finishes; :returns: the figures for ``--json``."""
    info = machine.describe()
    print(machine.summary(info))
    results: dict[str, Any] = {"machine": info, "trials": args.trials, "seed": args.seed}
    studies = studies_file(workdir, args.trials, args.seed)
    print(
        f"input: {args.trials:,} synthetic studies (seed {args.seed}), "
        f"{_size(studies.stat().st_size)} of JSON Lines"
    )
    measured: list[Measure] = []
    if args.only:
        print(HEADER, flush=True)
        measured = measure_pipelines(args, workdir, studies, results)

    if args.changed and args.only:
        big = incremental(workdir, args.trials, args.seed, args.changed)
        small_size = args.changed
        pipelines(workdir, small_size, args.seed, args.workers, with_b=False)  # as many trials
        small = incremental(workdir, small_size, args.seed, args.changed)
        print(
            f"incremental: {big.trials:,} changed trials reloaded into the {args.trials:,}-trial "
            f"store in {big.seconds:.2f} s ({big.trials_per_second:,.0f} trials/s), into a "
            f"{small_size:,}-trial store in {small.seconds:.2f} s; ratio "
            f"{big.seconds / small.seconds:.2f} (1.0: cost independent of the store's size); "
            f"graphs before/after {big.extra['graphs_before']:,}/{big.extra['graphs_after']:,}"
        )
        results["incremental"] = {"large": big.as_json(), "small": small.as_json()}

    if args.curve:
        print("scaling curve (a and b); seconds per 1,000 trials should stay flat:")
        curve = []
        for size in CURVE:
            if size == args.trials and len(measured) == 2:
                ca, cb = measured
            else:
                ca, cb = pipelines(workdir, size, args.seed, args.workers)
            ratio = ca.quads_per_second / cb.quads_per_second
            print(
                f"  {size:>9,} trials: a {ca.seconds:8.1f} s ({1000 * ca.seconds / size:.2f} s/1k, "
                f"peak RSS {_size(ca.peak_rss)}), b {cb.seconds:8.1f} s "
                f"({1000 * cb.seconds / size:.2f} s/1k), a/b {ratio:.2f}",
                flush=True,
            )
            curve.append({"trials": size, "a": ca.as_json(), "b": cb.as_json()})
        per_1k = [1000 * point["a"]["seconds"] / point["trials"] for point in curve]
        results["curve"] = curve
        print(f"  a: s/1k at largest over smallest: {per_1k[-1] / per_1k[0]:.2f}")

    if args.end_to_end:
        e2e = end_to_end(workdir, args.trials, args.seed)
        print(
            f"end to end: trialkg build of {args.trials:,} studies with DOID and CL: "
            f"{e2e.seconds / 60:.1f} min, peak RSS {_size(e2e.peak_rss)}, "
            f"peak PSS {_size(e2e.peak_pss)}"
        )
        results["end_to_end"] = e2e.as_json()

    if args.load_memory:
        print("trialkg load into a built store (seed, DOID, CL), one process each:", flush=True)
        loads = load_memory(workdir, args.load_memory, args.seed)
        results["load_memory"] = [m.as_json() for m in loads]
    return results


if __name__ == "__main__":
    sys.exit(main())
