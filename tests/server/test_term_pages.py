"""Term pages list the trials on a term or below it, a page at a time, on a store of many trials."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from kg.ids import DEFAULT_BASE_IRI, to_curie
from kg.load.build import build
from kg.ontology.terms import TermIndex
from kg.rdf.vocab import PREFIXES
from kg.server import ServerConfig, cache, create_app
from kg.server.views import terms
from kg.store import Store
from kg.store.sparql_text import bind_values

from conftest import SEED, load_benchmark

JSON = {"Accept": "application/json"}

# The same question as a plain UNION, read whole, each linked class walked up to the term (the
# engine walks a bound end of a path downwards otherwise: the whole ontology below DOID:4).
_EVERY_TRIAL_UNDER = """
SELECT DISTINCT ?trial ?id WHERE {
  { ?trial trialkg:condition ?linked }
  UNION { ?trial trialkg:intervention/trialkg:cellType ?linked }
  FILTER EXISTS { ?linked rdfs:subClassOf* ?term }
  ?trial dcterms:identifier ?id .
}
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("term-pages")
    bench = load_benchmark("queries")  # synthetic studies over the full DOID and CL
    studies = bench.studies_file(workdir, 400, 7)
    path = workdir / "store"
    build(path, [SEED, studies], list(bench.DEFAULT_ONTOLOGIES))
    return path


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    store = Store.open_read_only(store_path)
    return TestClient(create_app(store))


def _expected(store_path: Path, curie: str) -> list[str]:
    store = Store.open_read_only(store_path)
    text = bind_values(_EVERY_TRIAL_UNDER, {"term": ox.NamedNode(_iri(curie))})
    rows = store.query(text, prefixes=PREFIXES)
    assert isinstance(rows, ox.QuerySolutions)
    return sorted(row["id"].value for row in rows)


def _iri(curie: str) -> str:
    prefix, local = curie.split(":")
    return f"http://purl.obolibrary.org/obo/{prefix}_{local}"


def _walk(client: TestClient, curie: str) -> tuple[list[str], list[dict[str, object]]]:
    ids: list[str] = []
    pages = []
    url: str | None = f"/term/{curie}"
    while url:
        response = client.get(url, headers=JSON)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        ids += [t["id"] for t in page["trials"]]
        url = page["next"]
        if url:
            assert f'<{url}>; rel="next"' in response.headers["link"]
    return ids, pages


# The CL class with the most trials at or below it, through the asserted hierarchy of the
# editors' file (which reaches CL:0000000 from only some classes).
_BUSIEST_CL = """
SELECT ?class (COUNT(DISTINCT ?trial) AS ?n) WHERE {
  ?trial trialkg:intervention/trialkg:cellType ?linked .
  ?linked rdfs:subClassOf* ?class .
  FILTER(STRSTARTS(STR(?class), "http://purl.obolibrary.org/obo/CL_"))
} GROUP BY ?class ORDER BY DESC(?n) ?class LIMIT 1
"""


def _busiest_cl(store_path: Path) -> str:
    rows = Store.open_read_only(store_path).query(_BUSIEST_CL, prefixes=PREFIXES)
    assert isinstance(rows, ox.QuerySolutions)
    (row,) = list(rows)
    return "CL:" + row["class"].value.rsplit("_", 1)[1]


@pytest.mark.parametrize(("curie", "size"), [("DOID:4", 25), ("DOID:162", 25), ("busiest CL", 2)])
def test_pages_walk_every_trial_once_in_identifier_order(
    client: TestClient, store_path: Path, curie: str, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if curie == "busiest CL":
        curie = _busiest_cl(store_path)
    monkeypatch.setattr(terms, "TERM_PAGE_SIZE", size)
    expected = _expected(store_path, curie)
    assert len(expected) > 2 * size  # three pages at least

    ids, pages = _walk(client, curie)

    assert ids == expected
    assert {p["total"] for p in pages} == {len(expected)}
    assert [p["page"] for p in pages] == list(range(1, len(pages) + 1))
    assert pages[0]["prev"] is None and pages[-1]["next"] is None
    assert pages[1]["first"] == size + 1


def test_both_plans_give_the_same_page(
    client: TestClient, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terms, "TERM_PAGE_SIZE", 9)
    looked_up = client.get("/term/DOID:4?page=2", headers=JSON).json()["trials"]
    monkeypatch.setattr(terms, "_LOOKUP_UP_TO", 0)  # join on every identifier instead
    fresh = TestClient(create_app(Store.open_read_only(store_path)))
    joined = fresh.get("/term/DOID:4?page=2", headers=JSON).json()["trials"]
    assert joined == looked_up and len(joined) == 9


@pytest.mark.parametrize("curie", ["DOID:4", "DOID:162"])
def test_a_kept_ranking_pages_as_the_store_does(
    store_path: Path, curie: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rankings are kept above _LOOKUP_UP_TO trials: every term here, with 0.
    monkeypatch.setattr(terms, "_LOOKUP_UP_TO", 0)
    monkeypatch.setattr(terms, "TERM_PAGE_SIZE", 25)
    store = Store.open_read_only(store_path)
    listings = terms.TermListings(
        store, TermIndex.from_store(store), DEFAULT_BASE_IRI, remember=True
    )
    listed: list[str] = []
    for page in range(1, 100):
        listing = listings.listing(curie, page)
        if listing is None:
            break
        listed += [t["id"] for t in listing["trials"]]
        assert list(listings.cache._ranked) == [curie]  # read once, on the first page
    assert listed == _expected(store_path, curie)

    listings.cache.forget()
    assert not listings.cache._ranked and not listings.cache._counts


def test_rankings_kept_stay_within_their_bound(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terms, "_LOOKUP_UP_TO", 0)
    store = Store.open_read_only(store_path)
    listings = terms.TermListings(
        store, TermIndex.from_store(store), DEFAULT_BASE_IRI, remember=True
    )
    every, cancer = len(_expected(store_path, "DOID:4")), len(_expected(store_path, "DOID:162"))
    monkeypatch.setattr(cache, "RANKED_TRIALS_KEPT", every + cancer - 1)

    first = listings.listing("DOID:4", 2)
    listings.listing("DOID:162", 1)  # both do not fit: the least recently used goes

    assert list(listings.cache._ranked) == ["DOID:162"]
    assert listings.listing("DOID:4", 2) == first
    assert list(listings.cache._ranked) == ["DOID:4"]
    # A term with more trials than the bound is paged by the store each time, never kept.
    monkeypatch.setattr(cache, "RANKED_TRIALS_KEPT", every - 1)
    listings.cache.forget()
    assert listings.listing("DOID:4", 2) == first
    assert not listings.cache._ranked


def test_an_update_through_the_server_drops_what_was_kept(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terms, "_LOOKUP_UP_TO", 0)
    shutil.copytree(store_path, tmp_path / "store")
    store = Store.open(tmp_path / "store")
    client = TestClient(create_app(store, ServerConfig(allow_update=True)))
    before = client.get("/term/DOID:4?page=2", headers=JSON).json()
    removed = before["trials"][0]["key"]

    response = client.post(
        "/sparql",
        content=f"DELETE WHERE {{ GRAPH ?g {{ <https://w3id.org/trialkg/trial/{removed}> "
        "<https://w3id.org/trialkg/vocab#condition> ?c } }",
        headers={"Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 204, response.text

    after = client.get("/term/DOID:4?page=2", headers=JSON).json()
    assert after["total"] == before["total"] - 1
    assert removed not in [t["key"] for t in after["trials"]]
    assert after["trials"][0] == before["trials"][1]


def test_each_trial_says_which_term_below_links_it(client: TestClient, store_path: Path) -> None:
    store = Store.open_read_only(store_path)
    for trial in client.get("/term/DOID:4", headers=JSON).json()["trials"][:20]:
        linked = {
            to_curie(q.object.value)
            for q in store.quads(
                subject=ox.NamedNode(f"https://w3id.org/trialkg/trial/{trial['key']}")
            )
            if q.predicate.value.endswith("#condition")
        }
        assert trial["via"] in linked, trial


def test_cell_types_list_trials_through_their_interventions(client: TestClient) -> None:
    page = client.get("/term/CL:0000048", headers=JSON).json()
    assert "NCT03877471" in [t["id"] for t in page["trials"]]
    assert all(t["via"].startswith("CL:") for t in page["trials"])


def test_html_page_links_the_next_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terms, "TERM_PAGE_SIZE", 5)
    html = client.get("/term/DOID:4?page=2").text
    assert '<link rel="next" href="/term/DOID:4?page=3">' in html
    assert '<link rel="prev" href="/term/DOID:4?page=1">' in html
    assert re.search(r"6–10, by identifier; page 2 of \d+", html)
    assert html.count('<li><a href="/trial/') == 5


@pytest.mark.parametrize(("page", "status"), [("0", 400), ("two", 400), ("-1", 400), ("999", 404)])
def test_pages_out_of_range_are_refused(client: TestClient, page: str, status: int) -> None:
    response = client.get(f"/term/DOID:4?page={page}")
    assert response.status_code == status
    assert "page" in response.text


def test_a_term_without_trials_has_one_empty_page(client: TestClient, store_path: Path) -> None:
    rows = Store.open_read_only(store_path).query(
        "SELECT ?c WHERE { ?c rdfs:subClassOf obo:DOID_4 FILTER NOT EXISTS "
        "{ ?t trialkg:condition ?d . ?d rdfs:subClassOf* ?c } } LIMIT 1",
        prefixes=PREFIXES,
    )
    assert isinstance(rows, ox.QuerySolutions)
    curie = to_curie(next(rows)["c"].value)
    page = client.get(f"/term/{curie}", headers=JSON).json()
    assert (page["total"], page["pages"], page["trials"], page["next"]) == (0, 1, [], None)


def test_search_shows_a_few_trials_per_term_most_first(
    client: TestClient, store_path: Path
) -> None:
    html = client.get("/search", params={"q": "cancer"}).text
    totals = [int(n.replace(",", "")) for n in re.findall(r">all ([\d,]+) trials</a>", html)]
    assert totals and totals == sorted(totals, reverse=True)
    assert totals[0] == len(_expected(store_path, "DOID:162"))  # "cancer" itself has the most
    assert html.count('<li><a href="/trial/') <= 5 * 25
