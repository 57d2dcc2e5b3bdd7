"""The web application, through Starlette's test client (no socket)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from starlette.testclient import TestClient

from kg.load.build import build
from kg.server import ServerConfig, create_app
from kg.server.sparql import Limits
from kg.store import Store

from conftest import DOID_NCIT_2026, SEED

TURTLE = {"Accept": "text/turtle"}


@pytest.fixture(scope="module")
def store_path(seed_store_path: Path) -> Path:
    return seed_store_path


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    return TestClient(create_app(Store.open_read_only(store_path)))


def _graph(text: str, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format=fmt)


# -- SPARQL protocol ------------------------------------------------------------------------------

SELECT = "SELECT ?id WHERE { ?t <https://w3id.org/trialkg/vocab#nctId> ?id }"


def test_get_query_gives_sparql_json_by_default(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    bindings = response.json()["results"]["bindings"]
    assert [b["id"]["value"] for b in bindings] == ["NCT03877471"]


@pytest.mark.parametrize(
    ("accept", "marker"),
    [
        ("application/sparql-results+xml", b"<sparql"),
        ("text/csv", b"id\r\nNCT03877471"),
        ("text/tab-separated-values", b'?id\n"NCT03877471"'),
    ],
)
def test_results_formats_by_accept(client: TestClient, accept: str, marker: bytes) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert marker in response.content


def test_post_form_and_post_sparql_query(client: TestClient) -> None:
    form = client.post("/sparql", data={"query": SELECT})
    direct = client.post(
        "/sparql", content=SELECT, headers={"Content-Type": "application/sparql-query"}
    )
    assert form.json() == direct.json()


def test_ask_query(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert response.json()["boolean"] is True


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_construct_formats(client: TestClient, accept: str, fmt: str) -> None:
    query = (
        "CONSTRUCT { ?t ?p ?o } WHERE { ?t a <http://purl.obolibrary.org/obo/OBI_0003699> ; ?p ?o }"
    )
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    if fmt == "json-ld":
        context = client.get("/context.jsonld").json()
        document = response.json()
        assert document["@context"].endswith("/context.jsonld")
        document["@context"] = context["@context"]
        graph = rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
    else:
        graph = _graph(response.text, fmt)
    assert len(graph) > 10


def test_default_graph_uri_restricts_the_dataset(client: TestClient) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    whole = client.get("/sparql", params={"query": count}).json()
    one = client.get(
        "/sparql",
        params={"query": count, "default-graph-uri": "https://w3id.org/trialkg/graph/hpscreg/48"},
    ).json()
    n_whole = int(whole["results"]["bindings"][0]["n"]["value"])
    n_one = int(one["results"]["bindings"][0]["n"]["value"])
    assert 0 < n_one < n_whole


def test_malformed_query_is_400_with_the_parser_message(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELEKT ?x"})
    assert response.status_code == 400
    assert "SPARQL syntax error" in response.text


def test_update_is_refused_by_default(client: TestClient) -> None:
    response = client.post("/sparql", data={"update": "INSERT DATA { <x:a> <x:b> <x:c> }"})
    assert response.status_code == 403
    direct = client.post(
        "/sparql",
        content="INSERT DATA { <x:a> <x:b> <x:c> }",
        headers={"Content-Type": "application/sparql-update"},
    )
    assert direct.status_code == 403


def test_unacceptable_format_is_406(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_result_size_limit(store_path: Path) -> None:
    small = TestClient(
        create_app(Store.open_read_only(store_path), ServerConfig(limits=Limits(max_results=5)))
    )
    response = small.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 413
    assert "limit of 5 results" in response.text


def test_time_limit(store_path: Path) -> None:
    hasty = TestClient(
        create_app(Store.open_read_only(store_path), ServerConfig(limits=Limits(timeout=0.2)))
    )
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    response = hasty.get("/sparql", params={"query": slow})
    assert response.status_code == 503
    assert "longer than the server's limit" in response.text


def test_service_description_without_a_query(client: TestClient) -> None:
    response = client.get("/sparql", headers=TURTLE)
    graph = _graph(response.text, "turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, rdflib.RDF.type, sd.Service) in graph


def test_cors_headers(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Origin": "https://x.org"})
    assert response.headers["access-control-allow-origin"] == "*"


# -- linked data ----------------------------------------------------------------------------------


def test_trial_iri_redirects_to_a_document_and_carries_the_turtle(client: TestClient) -> None:
    response = client.get("/trial/NCT03877471", headers=TURTLE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/doc/trial/NCT03877471.ttl"
    graph = _graph(response.text, "turtle")
    obo = rdflib.Namespace("http://purl.obolibrary.org/obo/")
    vocab = rdflib.Namespace("https://w3id.org/trialkg/vocab#")
    trial = rdflib.URIRef("https://w3id.org/trialkg/trial/NCT03877471")
    assert (trial, vocab.condition, obo.DOID_5426) in graph
    assert obo.CL_0000134 in set(graph.objects(None, vocab.cellType))


@pytest.mark.parametrize(
    ("accept", "ext", "fmt"),
    [
        ("application/n-triples", "nt", "nt"),
        ("application/rdf+xml", "rdf", "xml"),
        ("text/turtle", "ttl", "turtle"),
    ],
)
def test_content_negotiation_on_a_trial(
    client: TestClient, accept: str, ext: str, fmt: str
) -> None:
    response = client.get("/trial/NCT03877471", headers={"Accept": accept})
    assert response.url.path == f"/doc/trial/NCT03877471.{ext}"
    assert len(_graph(response.text, fmt)) > 50


def test_trial_as_json_ld_with_the_published_context(client: TestClient) -> None:
    response = client.get("/trial/NCT03877471", headers={"Accept": "application/ld+json"})
    document = response.json()
    document["@context"] = client.get("/context.jsonld").json()["@context"]
    assert len(rdflib.Graph().parse(data=json.dumps(document), format="json-ld")) > 50


def test_private_contacts_are_never_served(client: TestClient) -> None:
    response = client.get("/doc/trial/NCT03877471.nt")
    assert "+8617503296371" not in response.text


def test_trial_html_page(client: TestClient) -> None:
    response = client.get("/trial/NCT03877471", headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = response.text
    assert "primary ovarian insufficiency" in page
    assert 'href="/term/DOID:5426"' in page and "http://purl.obolibrary.org/obo/DOID_5426" in page
    assert "2019-04-03 (estimated)" in page
    assert "2,000,000" in page and "per ovary" in page
    assert "Chinese Academy of Sciences" in page
    assert "/doc/trial/NCT03877471.ttl" in page


def test_unknown_trial_is_404(client: TestClient) -> None:
    assert client.get("/trial/NCT00000000", headers=TURTLE).status_code == 404


def test_term_page_lists_trials_on_it_or_below(client: TestClient) -> None:
    response = client.get("/term/DOID:1100", headers={"Accept": "application/json"})
    assert [t["id"] for t in response.json()["trials"]] == ["NCT03877471"]
    assert client.get("/term/DOID_1100").status_code == 200
    assert client.get("/term/DOID:99999999").status_code == 404


def test_vocabulary_resolves(client: TestClient) -> None:
    graph = _graph(client.get("/vocab", headers=TURTLE).text, "turtle")
    vocab = rdflib.Namespace("https://w3id.org/trialkg/vocab#")
    assert graph.value(vocab.condition, rdflib.RDFS.label) is not None
    assert 'id="condition"' in client.get("/vocab", headers={"Accept": "text/html"}).text


def test_void_description(client: TestClient) -> None:
    graph = _graph(client.get("/.well-known/void", headers=TURTLE).text, "turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    (dataset,) = graph.subjects(rdflib.RDF.type, void.Dataset)
    assert int(graph.value(dataset, void.entities)) == 1
    assert str(graph.value(dataset, void.sparqlEndpoint)).endswith("/sparql")
    assert graph.value(dataset, rdflib.DCTERMS.license) is not None


# -- pages and operations -------------------------------------------------------------------------


def test_search_is_hierarchy_aware(client: TestClient) -> None:
    page = client.get("/search", params={"q": "ovarian"}).text
    assert "ovarian disease" in page and "/trial/NCT03877471" in page


def test_suggest_gives_terms_by_label_or_synonym(client: TestClient) -> None:
    terms = client.get("/api/suggest", params={"q": "premature ovarian"}).json()
    assert any(t["curie"] == "DOID:5426" for t in terms)


def test_index_page_and_health(client: TestClient) -> None:
    assert "Clinical trials by condition and cell type" in client.get("/").text
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/static/style.css").status_code == 200


def test_the_trial_page_says_when_the_source_last_updated_the_record(tmp_path: Path) -> None:
    study = json.loads(
        (
            Path(__file__).parent.parent / "readers" / "fixtures" / "ctgov-NCT03877471.json"
        ).read_text(encoding="utf-8")
    )
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {
        "date": "2026-11-27",
        "type": "ACTUAL",
    }
    record = tmp_path / "NCT03877471.json"
    record.write_text(json.dumps(study), encoding="utf-8")
    build(tmp_path / "kg.db", [SEED, record], [DOID_NCIT_2026])
    with TestClient(create_app(Store.open_read_only(tmp_path / "kg.db"))) as client:
        page = client.get("/trial/NCT03877471", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "updated at the source 2026-11-27, loaded" in page.text
    assert page.text.count("updated at the source") == 1, "the registry page says no date"
