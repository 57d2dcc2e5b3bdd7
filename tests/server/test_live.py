"""Real SPARQL clients against a running server on loopback."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
import uvicorn
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from kg.queries import load_queries
from kg.server import create_app
from kg.store import Store


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint(seed_store_path: Path) -> Iterator[str]:
    app = create_app(Store.open_read_only(seed_store_path))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_sparqlwrapper_gets_the_seed_from_trials_by_condition(endpoint: str) -> None:
    # The named query, with the parameter written into the text as a remote client would.
    query = (
        load_queries()["trials-by-condition"]
        .sparql.replace(" ?condition WHERE", " WHERE")
        .replace("?condition", "<http://purl.obolibrary.org/obo/DOID_1100>")
    )
    client = SPARQLWrapper(f"{endpoint}/sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    bindings = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [b["id"]["value"] for b in bindings] == ["NCT03877471"]


def test_sparqlwrapper_construct_as_turtle(endpoint: str) -> None:
    client = SPARQLWrapper(f"{endpoint}/sparql")
    client.setQuery("CONSTRUCT WHERE { ?t <https://w3id.org/trialkg/vocab#condition> ?c }")
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert len(graph) == 1


def test_sparqlwrapper_bad_query_and_refused_update(endpoint: str) -> None:
    client = SPARQLWrapper(f"{endpoint}/sparql")
    client.setQuery("SELECT ?x WHERE { ?x ?y }")
    with pytest.raises(QueryBadFormed, match="SPARQL syntax error") as bad:
        client.query()
    _close_responses(bad.value)
    updater = SPARQLWrapper(f"{endpoint}/sparql")
    updater.setMethod(POST)
    updater.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(urllib.error.HTTPError) as caught:
        updater.query()
    assert caught.value.code == 403
    _close_responses(caught.value)


def _close_responses(error: BaseException | None) -> None:
    """Close the HTTP responses urllib's errors hold (SPARQLWrapper raises its own error from
    them): left to the garbage collector, their sockets warn in whichever test runs then."""
    while error is not None:
        if isinstance(error, urllib.error.HTTPError):
            error.close()
        error = error.__cause__ or error.__context__


# rdflib's SPARQLStore leaves its HTTP response unclosed (a ResourceWarning of rdflib's own).
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_rdflib_sparqlstore_reads_the_graph(endpoint: str) -> None:
    graph = rdflib.Graph(store=SPARQLStore(f"{endpoint}/sparql", returnFormat="json"))
    rows = list(
        graph.query(
            "SELECT ?label WHERE { <http://purl.obolibrary.org/obo/DOID_5426> "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
        )
    )
    assert [str(r[0]) for r in rows] == ["primary ovarian insufficiency"]


def test_curl_style_turtle_on_the_trial_iri(endpoint: str) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"{endpoint}/trial/NCT03877471", headers={"Accept": "text/turtle"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # follows the 303
        assert response.url.endswith("/doc/trial/NCT03877471.ttl")
        text = response.read().decode("utf-8")
    assert "obo:DOID_5426" in text and "obo:CL_0000134" in text


def test_health_over_http(endpoint: str, tmp_path: Path) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{endpoint}/health", timeout=10) as response:
        assert json.loads(response.read())["status"] == "ok"
