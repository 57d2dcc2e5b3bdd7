"""Named queries: their headers, parameter binding, and each one run on the seed."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import QueryError
from kg.load import load_into
from kg.queries import Parameter, bind, bound_sparql, load_queries, run_named
from kg.rdf.vocab import PREFIXES, TRIALKG
from kg.store import Store
from kg.store.sparql_text import counted

from conftest import SEED

QUERIES = load_queries()


@pytest.fixture(scope="module")
def store(seed_store_path: Path) -> Store:
    return Store.open_read_only(seed_store_path)


def _ids(result: object) -> list[str]:
    assert isinstance(result, ox.QuerySolutions)
    return [row["id"].value for row in result]


def test_the_named_queries_the_cli_promises_exist() -> None:
    assert {
        "trials-by-condition",
        "trials-by-cell-type",
        "trial",
        "trials-by-phase",
        "ungrounded-mentions",
        "dose-arms",
    } <= set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_has_a_summary_and_an_example(name: str) -> None:
    query = QUERIES[name]
    assert query.summary and not query.summary.startswith("param")
    assert query.example and query.example.startswith(f"trialkg query {name}")


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_runs_on_the_seed(store: Store, name: str) -> None:
    query = QUERIES[name]
    examples = {"term": "DOID:1100", "trial": "NCT03877471", "phase": "PHASE1"}
    params = {p.name: examples[p.kind] for p in query.parameters if not p.optional}
    if name == "trials-by-cell-type":
        params = {"cell_type": "CL:0000048"}
    result = run_named(store, query, params)
    assert isinstance(result, ox.QuerySolutions)
    rows = list(result)
    assert (len(rows) == 0) == (name in {"ungrounded-mentions", "conflicts", "mesh-disagreements"})
    # Counted (as the query benchmark splits a slow case), the same query gives its row count.
    (number,) = store.query(counted(bound_sparql(query, params)), prefixes=PREFIXES)
    assert int(number["n"].value) == len(rows)


def test_trials_by_condition_walks_down_the_hierarchy(store: Store) -> None:
    query = QUERIES["trials-by-condition"]
    assert _ids(run_named(store, query, {"condition": "DOID:1100"})) == ["NCT03877471"]
    assert _ids(run_named(store, query, {"condition": "DOID:4"})) == ["NCT03877471"]
    assert _ids(run_named(store, query, {"condition": "DOID:1612"})) == []


def test_trials_by_phase_without_a_phase_lists_every_trial(store: Store) -> None:
    assert _ids(run_named(store, QUERIES["trials-by-phase"], {})) == ["NCT03877471"]
    assert _ids(run_named(store, QUERIES["trials-by-phase"], {"phase": "2"})) == []


def test_parameter_text_is_never_pasted_into_the_query(store: Store) -> None:
    sneaky = "DOID:1100> } UNION { ?trial ?p ?o } #"
    with pytest.raises(QueryError):
        run_named(store, QUERIES["trials-by-condition"], {"condition": sneaky})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PHASE1", TRIALKG.Phase1),
        ("1", TRIALKG.Phase1),
        ("Phase 2", TRIALKG.Phase2),
        ("early phase 1", TRIALKG.EarlyPhase1),
        ("NA", TRIALKG.PhaseNotApplicable),
    ],
)
def test_phase_values_bind_to_vocabulary_terms(text: str, expected: ox.NamedNode) -> None:
    assert bind(Parameter("phase", "phase", True, ""), text) == expected


def test_unknown_phase_lists_the_known_ones() -> None:
    with pytest.raises(QueryError, match="known: EARLY_PHASE1, PHASE1"):
        bind(Parameter("phase", "phase", True, ""), "phase 9")


def test_trial_parameter_takes_nct_key_or_iri() -> None:
    p = Parameter("trial", "trial", False, "")
    assert bind(p, "NCT03877471") == bind(p, "https://w3id.org/trialkg/trial/NCT03877471")
    assert bind(p, "hpscreg-48").value == "https://w3id.org/trialkg/trial/hpscreg-48"


def test_unknown_parameter_lists_the_known_ones(store: Store) -> None:
    with pytest.raises(QueryError, match="its parameters: condition"):
        run_named(store, QUERIES["trials-by-condition"], {"disease": "DOID:1100"})


def test_queries_load_from_any_folder(tmp_path: Path) -> None:
    (tmp_path / "count.rq").write_text(
        "# How many statements there are.\n# example: trialkg query count\n"
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n"
    )
    assert load_queries(tmp_path)["count"].summary == "How many statements there are."


def test_conflicts_lists_only_the_fields_two_sources_disagree_on(
    tmp_path: Path, seed_store_copy: Path
) -> None:
    other = tmp_path / "hpscreg-481.txt"
    other.write_text(
        SEED.read_text(encoding="utf-8")
        .replace("2019-04-03", "2019-04-01")
        .replace("participants 28", "participants 18"),
        encoding="utf-8",
    )
    load_into(seed_store_copy, [other])
    store = Store.open_read_only(seed_store_copy)
    result = run_named(store, QUERIES["conflicts"], {"trial": "NCT03877471"})
    assert isinstance(result, ox.QuerySolutions)
    rows = {(r["property"].value, r["source"].value, r["value"].value) for r in result}
    assert rows == {
        ("startDate", "hpscreg:48", "2019-04-03"),
        ("startDate", "hpscreg:481", "2019-04-01"),
        ("targetEnrollment", "hpscreg:48", "28"),
        ("targetEnrollment", "hpscreg:481", "18"),
    }
    everywhere = run_named(store, QUERIES["conflicts"], {})  # every trial two sources describe
    assert isinstance(everywhere, ox.QuerySolutions)
    assert {(r["property"].value, r["source"].value, r["value"].value) for r in everywhere} == rows
