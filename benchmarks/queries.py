"""Named-query benchmark: latency of every query in queries/ at N trials, and rdflib beside it.

Every named query (the ``.rq`` files in ``queries/``) runs as ``trialkg query`` runs it,
:func:`kg.queries.run_named` on the embedded Oxigraph store, with parameters taken from the
store: the query's own example (its trial swapped for one in the store when the store lacks
it), for a class parameter also the class most trials link to and the class with the most
trials below it (roots left out), and for optional parameters also none. Each runs once to warm
up, then ``--repeat`` times (fewer when a case would take more than ``--budget`` seconds, but at
least three), every value of every row read. The table gives the median and p95 (nearest rank)
latency, the rows, and whether the median meets the goal of 0.5 s. Each case over the goal
runs again counted (``SELECT (COUNT(*) AS ?n) WHERE { { the query } }``, up to five times): the
engine's joins, ``DISTINCT`` and ``ORDER BY`` without reading a row; the rest of its median is
reading the rows' values, which no plan can save while the query returns those rows.

Then the term pages of ``trialkg serve`` (``/term/CURIE?page=N``), as the server reads them
(:class:`kg.server.views.terms.TermListings`: the count of trials, then one page of 100): the
term page's example, the DOID classes most trials link to and with the most trials below them,
the root "disease" (every trial with a condition in DOID), the CL class with the most trials
below it; the first page of each, and the last page of the largest. Each case starts on a
server just started, so its first request (the ``first`` column) reads the count, and for a term
with many trials ranks them all, which the server keeps for the requests after it.

Then the same query texts through rdflib's SPARQL engine, as a comparison: an ``rdflib.Dataset``
(union default graph, as trialkg queries Oxigraph) loaded from the N-Quads dump of a store of
``--rdflib-trials`` trials, trials and ontologies; parameters bound with ``initBindings``. Each
case runs ``--rdflib-repeat`` times and is stopped after ``--rdflib-timeout`` seconds; Oxigraph's
median on the same store stands beside it.

Studies come from benchmarks/generate.py, stores from :func:`kg.load.build.build` with the DOID
and CL releases in ../shared/ontologies/, both cached in the work folder (delete them to
rebuild).

    python benchmarks/queries.py --trials 100000
    python benchmarks/queries.py --trials 1000 --repeat 5 --rdflib-trials 1000 --json out.json
    python benchmarks/queries.py --trials 100000 --parts pages
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import math
import shlex
import signal
import statistics
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
for _folder in (PROJECT, PROJECT / "benchmarks"):  # this checkout's kg, and its neighbours
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

import generate  # noqa: E402  (benchmarks/generate.py and machine.py, beside this file)
import machine  # noqa: E402
import pyoxigraph as ox  # noqa: E402
import rdflib  # noqa: E402

from kg.ids import DEFAULT_BASE_IRI  # noqa: E402
from kg.load import build  # noqa: E402
from kg.ontology.terms import TermIndex  # noqa: E402
from kg.queries import NamedQuery, bind, bound_sparql, load_queries, run_named  # noqa: E402
from kg.rdf.vocab import PREFIXES  # noqa: E402
from kg.server.views.terms import TERM_PAGE_SIZE, TermListings  # noqa: E402
from kg.store import Store  # noqa: E402
from kg.store.sparql_text import counted  # noqa: E402

DEFAULT_WORKDIR = PROJECT / "benchmarks" / ".work"
#: The goal: no named query slower than this (median) at 100,000 trials.
GOAL_SECONDS = 0.5
#: How trials reach the classes a term parameter names, by the parameter's CURIE prefix.
TERM_LINKS = {
    "DOID": "trialkg:condition",
    "CL": "trialkg:intervention/trialkg:cellType",
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


#: The ontologies stores are built with (and studies drawn from).
DEFAULT_ONTOLOGIES: tuple[Path, ...] = (generate.DOID_FILE, generate.CL_FILE)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def _quiet_kg() -> Iterator[None]:
    """Keep kg's warnings (ungrounded mentions, skipped imports) off the terminal."""
    kg_logger = logging.getLogger("kg")
    level = kg_logger.level
    kg_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        kg_logger.setLevel(level)


# -- inputs: studies and stores, cached in the work folder -------------------------------------


def _tag(ontologies: Sequence[Path]) -> str:
    """A file name suffix for ontologies other than the default ones ('' for those)."""
    if tuple(ontologies) == DEFAULT_ONTOLOGIES:
        return ""
    names = "\n".join(sorted(str(Path(o).resolve()) for o in ontologies))
    return "-" + hashlib.sha256(names.encode()).hexdigest()[:8]


def _kg_version() -> str:
    """A digest of what decides a store's contents: the kg package and the vocabulary."""
    digest = hashlib.sha256()
    for path in sorted([*(PROJECT / "kg").rglob("*.py"), *(PROJECT / "ontologies").glob("*.ttl")]):
        digest.update(path.relative_to(PROJECT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def studies_file(
    workdir: Path, trials: int, seed: int, ontologies: Sequence[Path] = DEFAULT_ONTOLOGIES
) -> Path:
    """``trials`` synthetic studies as JSON Lines, generated once into ``workdir``."""

    def vocabulary() -> generate.Vocabulary:
        with _quiet_kg():
            return generate.vocabulary_of(TermIndex.from_files(*ontologies))

    return generate.cached_file(
        workdir, trials, seed=seed, vocabulary=vocabulary, tag=_tag(ontologies)
    )


def store_dir(
    workdir: Path, trials: int, seed: int, ontologies: Sequence[Path] = DEFAULT_ONTOLOGIES
) -> Path:
    """A store of ``trials`` studies and the ontologies, built once into ``workdir``.

    Built as ``trialkg build`` builds (:func:`kg.load.build.build`), which moves the store into
    place only when it is complete, so a store found there is whole. The name carries the
    generator's version and a digest of trialkg's code and vocabulary, so a store built by
    other code is never reused.
    """
    path = workdir / (
        f"queries-store-{trials}-seed{seed}{_tag(ontologies)}-g{generate.VERSION}-k{_kg_version()}"
    )
    if path.exists():
        return path
    studies = studies_file(workdir, trials, seed, ontologies)
    _say(f"building {path} from {studies.name} ...")
    began = time.perf_counter()
    with _quiet_kg():
        report = build(path, [studies], list(ontologies))
    _say(
        f"  {report.load.trials_loaded:,} trials, {report.store_quads:,} quads "
        f"in {time.perf_counter() - began:.0f} s"
    )
    return path


# -- what to ask: parameters taken from the store ----------------------------------------------


@dataclass(frozen=True)
class Case:
    """One named query with one set of parameter values, and where the values come from."""

    query: str
    params: dict[str, str]
    why: str

    @property
    def label(self) -> str:
        """``name=value ...`` (or ``-``), for tables."""
        return " ".join(f"{k}={v}" for k, v in self.params.items()) or "-"


def _rows(store: Store, sparql: str) -> list[ox.QuerySolution]:
    result = store.query(sparql, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    return list(result)


def example_params(query: NamedQuery) -> dict[str, str]:
    """The ``--param`` values of a query's ``# example:`` line.

    >>> from kg.queries import load_queries
    >>> example_params(load_queries()["trials-by-condition"])
    {'condition': 'DOID:1100'}
    """
    words = shlex.split(query.example or "")
    return dict(
        words[i + 1].split("=", 1)
        for i, word in enumerate(words[:-1])
        if word == "--param" and "=" in words[i + 1]
    )


def busiest_classes(store: Store, prefix: str) -> tuple[str, str] | None:
    """Two classes of ``prefix`` (e.g. ``DOID``) to ask for, as CURIEs, from the store's links.

    :returns: the class most trials link to directly, and the class with the most trial links
        at or below it, roots left out (a root: no superclass of the same prefix); None when
        no trial links to a class of ``prefix``. Ties go to the smallest IRI.
    """
    namespace = f"http://purl.obolibrary.org/obo/{prefix}_"
    direct: Counter[str] = Counter()
    for row in _rows(
        store,
        f"SELECT ?class (COUNT(DISTINCT ?trial) AS ?trials) "
        f"WHERE {{ ?trial {TERM_LINKS[prefix]} ?class }} GROUP BY ?class",
    ):
        if row["class"].value.startswith(namespace):
            direct[row["class"].value] = int(row["trials"].value)
    if not direct:
        return None
    parents: dict[str, set[str]] = defaultdict(set)
    for row in _rows(
        store,
        "SELECT DISTINCT ?sub ?super WHERE { ?sub rdfs:subClassOf ?super "
        f'FILTER(STRSTARTS(STR(?sub), "{namespace}") && STRSTARTS(STR(?super), "{namespace}")) }}',
    ):
        parents[row["sub"].value].add(row["super"].value)
    below: Counter[str] = Counter()
    for linked, trials in direct.items():
        seen = {linked}
        todo = [linked]
        while todo:
            for parent in parents[todo.pop()] - seen:
                seen.add(parent)
                todo.append(parent)
        for ancestor in seen:
            below[ancestor] += trials

    def busiest(counts: Counter[str]) -> str:
        return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]

    below = Counter({iri: n for iri, n in below.items() if parents[iri]}) or direct
    return _curie(busiest(direct), prefix), _curie(busiest(below), prefix)


def _curie(iri: str, prefix: str) -> str:
    return f"{prefix}:{iri.rsplit('_', 1)[1]}"


def sample_trial(store: Store, wanted: str | None) -> str | None:
    """A trial to ask about: ``wanted`` (an identifier) when the store holds it.

    Otherwise the trial the most sources describe (ties: the smallest identifier), so that a
    store with trials from two sources gives conflicts something to compare; None when empty.
    """
    if wanted and bool(
        store.query(f"ASK {{ ?t dcterms:identifier {ox.Literal(wanted)} }}", prefixes=PREFIXES)
    ):
        return wanted
    rows = _rows(
        store,
        "SELECT ?id (COUNT(DISTINCT ?graph) AS ?graphs) WHERE { "
        "?graph foaf:primaryTopic ?trial . ?trial dcterms:identifier ?id } "
        "GROUP BY ?id ORDER BY DESC(?graphs) ?id LIMIT 1",
    )
    return rows[0]["id"].value if rows else None


def cases_for(store: Store, queries: Mapping[str, NamedQuery]) -> list[Case]:
    """What to run on ``store``: for every query, its parameter sets (see the module's help)."""
    classes: dict[str, tuple[str, str] | None] = {}
    cases: list[Case] = []
    for name, query in sorted(queries.items()):
        example = example_params(query)
        params: dict[str, str] = {}
        why = "the query's example"
        for parameter in query.parameters:
            value = example.get(parameter.name)
            if parameter.kind == "trial":
                value = sample_trial(store, value)
                if value != example.get(parameter.name):
                    why = "the example, with a trial the store holds"
            if value is not None:
                params[parameter.name] = value
        cases.append(Case(name, params, why if params else "no parameters"))
        for parameter in query.parameters:
            value = params.get(parameter.name)
            prefix = value.partition(":")[0] if value else ""
            if parameter.kind == "term" and prefix in TERM_LINKS:
                if prefix not in classes:
                    classes[prefix] = busiest_classes(store, prefix)
                picked = classes[prefix]
                if picked is None:
                    continue
                for curie, reason in zip(
                    picked,
                    ("the class most trials link to", "the most trials below it"),
                    strict=True,
                ):
                    if curie != value:
                        cases.append(Case(name, {**params, parameter.name: curie}, reason))
        optional = [p.name for p in query.parameters if p.optional and p.name in params]
        if optional:
            rest = {k: v for k, v in params.items() if k not in optional}
            cases.append(Case(name, rest, f"without {', '.join(optional)}"))
    return cases


#: What a run measures: the named queries, the term pages, rdflib beside Oxigraph.
PARTS = ("queries", "pages", "rdflib")

#: The term page the server's help shows, and the root of DOID.
_PAGE_EXAMPLE = "DOID:1100"
_DOID_ROOT = "DOID:4"
PAGE = "term page"


def page_cases(listings: TermListings) -> list[Case]:
    """The term pages to time: ``{"term": CURIE, "page": N}`` (see the module's help)."""
    doid = busiest_classes(listings.store, "DOID")
    cl = busiest_classes(listings.store, "CL")
    terms = [(_PAGE_EXAMPLE, "the example")]
    if doid:
        terms += [(doid[0], "the class most trials link to"), (doid[1], "the most trials below")]
    terms.append((_DOID_ROOT, "disease: every trial with a DOID condition"))
    if cl:
        terms.append((cl[1], "the CL class with the most trials below"))
    cases: list[Case] = []
    for curie, why in terms:
        if all(c.params["term"] != curie for c in cases):
            cases.append(Case(PAGE, {"term": curie, "page": "1"}, why))
    counts = {c.params["term"]: listings.count_trials_under(c.params["term"]) for c in cases}
    largest = max(counts, key=lambda curie: counts[curie])
    pages = -(-counts[largest] // TERM_PAGE_SIZE)
    if pages > 1:
        cases.append(Case(PAGE, {"term": largest, "page": str(pages)}, "its last page"))
    return cases


def _page_run(listings: TermListings, params: Mapping[str, str]) -> int:
    """Read one term page as the server does: the count, then the page's trials."""
    listing = listings.listing(params["term"], int(params["page"]))
    assert listing is not None, params
    return len(listing["trials"])


# -- timing ------------------------------------------------------------------------------------


@dataclass
class Timing:
    """The runs of one case on one engine."""

    query: str
    params: dict[str, str]
    why: str
    rows: int | None = None
    #: Seconds of each timed run (the warm-up not included).
    seconds: list[float] = field(default_factory=list)
    #: Seconds of the warm-up run.
    first: float | None = None
    #: Set when a run was stopped at the timeout (rdflib); the runs after it are skipped.
    timed_out: bool = False
    #: Seconds of each run of the same query counted (:func:`kg.store.sparql_text.counted`): the
    #: engine's work without reading the rows' values; measured for the cases over the goal.
    counted_seconds: list[float] = field(default_factory=list)

    @property
    def counted_median(self) -> float | None:
        """Median seconds of the counted runs, or None when there were none."""
        return statistics.median(self.counted_seconds) if self.counted_seconds else None

    @property
    def median(self) -> float | None:
        """Median seconds, or None when nothing finished."""
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def p95(self) -> float | None:
        """95th percentile seconds, nearest rank (the largest run below 20 runs)."""
        if not self.seconds:
            return None
        ordered = sorted(self.seconds)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]

    @property
    def meets_goal(self) -> bool:
        """Whether the median is under the goal."""
        return self.median is not None and self.median < GOAL_SECONDS

    def as_json(self) -> dict[str, Any]:
        """The figures, rounded to the microsecond."""
        figures = asdict(self)
        figures["seconds"] = [round(s, 6) for s in self.seconds]
        figures["first"] = None if self.first is None else round(self.first, 6)
        figures["median"] = None if self.median is None else round(self.median, 6)
        figures["p95"] = None if self.p95 is None else round(self.p95, 6)
        figures["meets_goal"] = self.meets_goal
        figures["counted_seconds"] = [round(s, 6) for s in self.counted_seconds]
        median = self.counted_median
        figures["counted_median"] = None if median is None else round(median, 6)
        return figures


def _oxigraph_run(store: Store, query: NamedQuery, params: Mapping[str, str]) -> int:
    """Run the query as ``trialkg query`` does and read every value of every row."""
    result = run_named(store, query, params)
    assert isinstance(result, ox.QuerySolutions)
    rows = 0
    for row in result:
        tuple(row)
        rows += 1
    return rows


def _counted_run(store: Store, query: NamedQuery, params: Mapping[str, str]) -> int:
    """Run the query counted: every join, ``DISTINCT`` and ``ORDER BY``, but no row read."""
    result = store.query(counted(bound_sparql(query, params)), prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    (row,) = list(result)
    return int(row["n"].value)


def time_case(run: Callable[[], int], case: Case, repeat: int, budget: float) -> Timing:
    """One warm-up run, then ``repeat`` timed runs (fewer past ``budget`` s, at least three)."""
    timing = Timing(case.query, case.params, case.why)
    began = time.perf_counter()
    timing.rows = run()
    timing.first = warm = time.perf_counter() - began
    runs = min(repeat, max(3, int(budget / warm))) if warm > 0 else repeat
    for _ in range(runs):
        began = time.perf_counter()
        rows = run()
        timing.seconds.append(time.perf_counter() - began)
        assert rows == timing.rows, f"{case.query} {case.label}: {rows} rows, then {timing.rows}"
    return timing


def bench_oxigraph(
    store: Store,
    queries: Mapping[str, NamedQuery],
    cases: Sequence[Case],
    *,
    repeat: int,
    budget: float,
    report: Callable[[Timing], None] | None = None,
) -> list[Timing]:
    """Time every case on the embedded store; ``report`` is called as each one finishes."""
    timings = []
    for case in cases:
        query = queries[case.query]
        timing = time_case(partial(_oxigraph_run, store, query, case.params), case, repeat, budget)
        timings.append(timing)
        if report:
            report(timing)
    return timings


def count_slow(
    store: Store,
    queries: Mapping[str, NamedQuery],
    timings: Sequence[Timing],
    *,
    repeat: int,
    budget: float,
) -> list[Timing]:
    """Time the cases over the goal once more, counted: what the engine spends before the rows.

    The difference from the case's own median is what reading its rows' values costs, a bound
    no join order or plan can take away while the query returns those rows.
    """
    slow = [t for t in timings if not t.meets_goal]
    for timing in slow:
        case = Case(timing.query, timing.params, timing.why)
        run = partial(_counted_run, store, queries[timing.query], timing.params)
        again = time_case(run, case, repeat, budget)
        assert again.rows == timing.rows, f"{case.label}: counted {again.rows}, read {timing.rows}"
        timing.counted_seconds = again.seconds
    return slow


# -- rdflib --------------------------------------------------------------------------------------


class QueryTimeout(Exception):
    """A query ran past its time."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`QueryTimeout` in the main thread after ``seconds`` (SIGALRM).

    rdflib evaluates in Python, so the signal stops it between two steps.
    """

    def expired(signum: int, frame: FrameType | None) -> None:
        raise QueryTimeout(f"stopped after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_rdflib(store: Store) -> rdflib.Dataset:
    """The whole store (trials and ontologies) in an rdflib Dataset, read from its N-Quads dump.

    ``default_union``: the default graph is the union of the named graphs, as trialkg queries
    Oxigraph (:meth:`kg.store.Store.query`, ``use_default_graph_as_union``).
    """
    dump = io.BytesIO()
    store.dump(dump, ox.RdfFormat.N_QUADS)
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(data=dump.getvalue(), format="nquads")
    return dataset


def rdflib_term(term: ox.NamedNode | ox.Literal) -> rdflib.URIRef | rdflib.Literal:
    """The rdflib form of a bound parameter (a plain string stays without datatype, as parsed).

    >>> rdflib_term(ox.NamedNode("http://x/a"))
    rdflib.term.URIRef('http://x/a')
    >>> rdflib_term(ox.Literal("PHASE1"))
    rdflib.term.Literal('PHASE1')
    """
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return rdflib.Literal(term.value, datatype=None if datatype == _XSD_STRING else datatype)


def _rdflib_run(dataset: rdflib.Dataset, query: NamedQuery, params: Mapping[str, str]) -> int:
    """Run the query text with rdflib, parameters as ``initBindings``; read every row."""
    known = {p.name: p for p in query.parameters}
    bindings = {name: rdflib_term(bind(known[name], value)) for name, value in params.items()}
    rows = 0
    with warnings.catch_warnings():  # rdflib 7.6 warns about its own use of Dataset.contexts
        warnings.filterwarnings("ignore", "Dataset.contexts is deprecated", DeprecationWarning)
        for row in dataset.query(query.sparql, initNs=PREFIXES, initBindings=bindings):
            tuple(row)  # type: ignore[arg-type]
            rows += 1
    return rows


def bench_rdflib(
    dataset: rdflib.Dataset,
    queries: Mapping[str, NamedQuery],
    cases: Sequence[Case],
    *,
    repeat: int,
    timeout: float,
    report: Callable[[Timing], None] | None = None,
) -> list[Timing]:
    """Time every case with rdflib, ``repeat`` runs each; a run past ``timeout`` s ends the case."""
    with time_limit(timeout):  # rdflib sets its SPARQL parser up on the first query
        bool(dataset.query("ASK { ?s ?p ?o }"))
    timings = []
    for case in cases:
        timing = Timing(case.query, case.params, case.why)
        for _ in range(repeat):
            began = time.perf_counter()
            try:
                with time_limit(timeout):
                    timing.rows = _rdflib_run(dataset, queries[case.query], case.params)
            except QueryTimeout:
                timing.timed_out = True
                break
            timing.seconds.append(time.perf_counter() - began)
        timings.append(timing)
        if report:
            report(timing)
    return timings


# -- the report --------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


OXIGRAPH_HEADER = (
    f"{'query':<20} {'parameters':<34} {'rows':>8} {'median':>10} {'p95':>10} "
    f"{'us/row':>7} {'runs':>4}  goal  (parameters from)"
)
PAGES_HEADER = OXIGRAPH_HEADER.replace("  goal", f" {'first':>10}  goal")


def oxigraph_row(t: Timing, *, first: bool = False) -> str:
    """One line of the Oxigraph table (with ``first``: of the term pages' table)."""
    per_row = f"{t.median * 1e6 / t.rows:.0f}" if t.rows and t.median is not None else "-"
    label = Case(t.query, t.params, t.why).label
    shown_first = f" {_seconds(t.first):>10}" if first else ""
    return (
        f"{t.query:<20} {label:<34} {t.rows or 0:>8,} {_seconds(t.median):>10} "
        f"{_seconds(t.p95):>10} {per_row:>7} {len(t.seconds):>4}{shown_first}  "
        f"{'ok  ' if t.meets_goal else 'SLOW'}  ({t.why})"
    )


COUNTED_HEADER = (
    f"{'query':<20} {'parameters':<34} {'rows':>8} {'median':>10} {'counted':>10} "
    f"{'reading':>10} {'us/row':>7}"
)


def counted_row(t: Timing) -> str:
    """A slow case split: its median, the same query counted, and the rest (reading the rows)."""
    label = Case(t.query, t.params, t.why).label
    reading = None
    if t.median is not None and t.counted_median is not None:
        reading = max(t.median - t.counted_median, 0.0)
    per_row = f"{reading * 1e6 / t.rows:.0f}" if reading is not None and t.rows else "-"
    return (
        f"{t.query:<20} {label:<34} {t.rows or 0:>8,} {_seconds(t.median):>10} "
        f"{_seconds(t.counted_median):>10} {_seconds(reading):>10} {per_row:>7}"
    )


RDFLIB_HEADER = (
    f"{'query':<20} {'parameters':<34} {'rows':>8} {'oxigraph':>10} {'rdflib':>10} "
    f"{'ratio':>7}  rdflib rows"
)


def rdflib_row(rdf: Timing, oxi: Timing) -> str:
    """One line of the comparison: rdflib's median beside Oxigraph's on the same store."""
    label = Case(rdf.query, rdf.params, rdf.why).label
    if rdf.timed_out and not rdf.seconds:
        shown, ratio = "timeout", "-"
    else:
        shown = _seconds(rdf.median)
        ratio = f"{rdf.median / oxi.median:.0f}x" if rdf.median and oxi.median else "-"
    same = "-" if rdf.rows is None else ("same" if rdf.rows == oxi.rows else f"{rdf.rows:,}!")
    return (
        f"{rdf.query:<20} {label:<34} {oxi.rows or 0:>8,} {_seconds(oxi.median):>10} "
        f"{shown:>10} {ratio:>7}  {same}"
    )


# -- the run -------------------------------------------------------------------------------------


def run(
    workdir: Path,
    *,
    trials: int,
    seed: int = 1,
    repeat: int = 20,
    budget: float = 60.0,
    rdflib_trials: int = 10_000,
    rdflib_repeat: int = 3,
    rdflib_timeout: float = 60.0,
    ontologies: Sequence[Path] = DEFAULT_ONTOLOGIES,
    queries_folder: Path | None = None,
    parts: Sequence[str] = PARTS,
) -> dict[str, Any]:
    """The whole benchmark, printed as it goes; :returns: the figures (for ``--json``)."""
    info = machine.describe()
    print(machine.summary(info), flush=True)
    queries = load_queries(queries_folder)
    results: dict[str, Any] = {"machine": info, "goal_seconds": GOAL_SECONDS, "seed": seed}

    path = store_dir(workdir, trials, seed, ontologies)
    store = Store.open_read_only(path)
    if "queries" in parts:
        cases = cases_for(store, queries)
        print(
            f"\nOxigraph, {trials:,} trials ({len(store):,} quads, {path}): one warm-up, then "
            f"up to {repeat} runs (about {budget:g} s a case at most), every row read; goal: "
            f"median < {GOAL_SECONDS} s",
            flush=True,
        )
        print(OXIGRAPH_HEADER, flush=True)
        oxigraph = bench_oxigraph(
            store,
            queries,
            cases,
            repeat=repeat,
            budget=budget,
            report=lambda t: print(oxigraph_row(t), flush=True),
        )
        slow = count_slow(store, queries, oxigraph, repeat=min(repeat, 5), budget=budget)
        print(f"{len(oxigraph) - len(slow)} of {len(oxigraph)} cases meet the goal", flush=True)
        if slow:
            print(
                "the cases over the goal, counted (the same query, its joins, DISTINCT and "
                "ORDER BY, returning only the number of rows), and reading their rows (the "
                "rest of the median: the values of every row):",
                flush=True,
            )
            print(COUNTED_HEADER, flush=True)
            for timing in slow:
                print(counted_row(timing), flush=True)
        results["oxigraph"] = {
            "trials": trials,
            "quads": len(store),
            "store": str(path),
            "results": [t.as_json() for t in oxigraph],
        }

    if "pages" in parts:
        began = time.perf_counter()
        with _quiet_kg():
            index = TermIndex.from_store(store)
        print(
            f"\nterm pages of trialkg serve, {trials:,} trials: the count, then a page of "
            f"{TERM_PAGE_SIZE} trials (rows: trials on the page); the server's term index "
            f"read from the store in {time.perf_counter() - began:.1f} s at its start; "
            f"each case on a server just started (first: its first request)",
            flush=True,
        )
        print(PAGES_HEADER, flush=True)
        pages = []
        for case in page_cases(TermListings(store, index, DEFAULT_BASE_IRI)):
            # As the server keeps what it reads of a store only it can change.
            listings = TermListings(store, index, DEFAULT_BASE_IRI, remember=True)
            timing = time_case(partial(_page_run, listings, case.params), case, repeat, budget)
            pages.append(timing)
            print(oxigraph_row(timing, first=True), flush=True)
        results["pages"] = [t.as_json() for t in pages]
    del store

    if rdflib_trials > 0 and "rdflib" in parts:
        path = store_dir(workdir, rdflib_trials, seed, ontologies)
        small = Store.open_read_only(path)
        small_cases = cases_for(small, queries)
        began = time.perf_counter()
        dataset = load_rdflib(small)
        loaded = time.perf_counter() - began
        print(
            f"\nrdflib {rdflib.__version__}, {rdflib_trials:,} trials ({len(dataset):,} triples "
            f"loaded from the N-Quads dump in {loaded:.0f} s): median of {rdflib_repeat} runs, "
            f"each stopped after {rdflib_timeout:g} s; Oxigraph's median on the same store "
            f"beside it",
            flush=True,
        )
        print(RDFLIB_HEADER, flush=True)
        small_oxigraph = bench_oxigraph(
            small, queries, small_cases, repeat=rdflib_repeat, budget=budget
        )
        by_case = {(t.query, tuple(t.params.items())): t for t in small_oxigraph}
        rdf = bench_rdflib(
            dataset,
            queries,
            small_cases,
            repeat=rdflib_repeat,
            timeout=rdflib_timeout,
            report=lambda t: print(
                rdflib_row(t, by_case[(t.query, tuple(t.params.items()))]), flush=True
            ),
        )
        results["rdflib"] = {
            "trials": rdflib_trials,
            "triples": len(dataset),
            "load_seconds": round(loaded, 3),
            "timeout_seconds": rdflib_timeout,
            "results": [t.as_json() for t in rdf],
            "oxigraph_results": [t.as_json() for t in small_oxigraph],
        }
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=100_000, help="trials (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs a case (default 20)")
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds a case at most, roughly (default 60)"
    )
    parser.add_argument(
        "--rdflib-trials", type=int, default=10_000, help="rdflib's store; 0: none (default 10000)"
    )
    parser.add_argument("--rdflib-repeat", type=int, default=3, help="rdflib runs (default 3)")
    parser.add_argument(
        "--rdflib-timeout", type=float, default=60.0, help="rdflib run limit, s (default 60)"
    )
    parser.add_argument(
        "--ontology",
        type=Path,
        action="append",
        help="an ontology to build with (repeat; default: the DOID and CL releases in ../shared)",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="cache and stores")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"what to measure, comma-separated (default {','.join(PARTS)})",
    )
    args = parser.parse_args(argv)
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    if unknown := sorted(set(parts) - set(PARTS)):
        parser.error(f"unknown part {', '.join(unknown)}; known: {', '.join(PARTS)}")

    args.workdir.mkdir(parents=True, exist_ok=True)
    results = run(
        args.workdir,
        trials=args.trials,
        seed=args.seed,
        repeat=args.repeat,
        budget=args.budget,
        rdflib_trials=args.rdflib_trials,
        rdflib_repeat=args.rdflib_repeat,
        rdflib_timeout=args.rdflib_timeout,
        ontologies=args.ontology or DEFAULT_ONTOLOGIES,
        parts=parts,
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
