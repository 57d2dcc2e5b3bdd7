"""The remote store's HTTP side: endpoints, credentials, batching, and errors that say where."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import QueryError, StoreError
from kg.store import Store, open_store
from kg.store.remote import Endpoints, RemoteStore, auth_from_env

from conftest import free_port

G = ox.NamedNode("https://example.org/graph/1")
S = ox.NamedNode("https://example.org/s")
P = ox.NamedNode("https://example.org/p")
ASK_TRUE = b'{"head":{},"boolean":true}'
BASE = "http://store.test:7878"


def _quad(value: str, graph: ox.NamedNode = G) -> ox.Quad:
    return ox.Quad(S, P, ox.Literal(value), graph)


def _recording(
    seen: list[httpx.Request],
    answer: Callable[[httpx.Request], httpx.Response] | None = None,
) -> httpx.MockTransport:
    """A transport that records each request and answers ASK true (or as ``answer`` says)."""

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if answer is not None:
            return answer(request)
        if request.url.path.endswith("/query"):
            return httpx.Response(
                200, content=ASK_TRUE, headers={"content-type": "application/sparql-results+json"}
            )
        return httpx.Response(204)

    return httpx.MockTransport(handle)


# -- endpoints --------------------------------------------------------------------------------


def test_a_base_url_means_the_layout_of_oxigraph_serve() -> None:
    endpoints = Endpoints.from_base("http://127.0.0.1:7878/")
    assert (endpoints.query, endpoints.update, endpoints.gsp) == (
        "http://127.0.0.1:7878/query",
        "http://127.0.0.1:7878/update",
        "http://127.0.0.1:7878/store",
    )


def test_endpoints_can_be_named_one_by_one() -> None:
    endpoints = Endpoints.from_base("http://host:3030/ds").with_urls(gsp="http://host:3030/ds/data")
    assert endpoints.gsp == "http://host:3030/ds/data"
    assert endpoints.update == "http://host:3030/ds/update"


def test_an_endpoint_that_is_not_http_is_refused() -> None:
    with pytest.raises(StoreError, match="ftp://host/sparql"):
        Endpoints(query="ftp://host/sparql")


def test_a_folder_opens_the_embedded_store(tmp_path: Path) -> None:
    Store.open(tmp_path / "kg.db").close()  # open_store opens a store, never makes one
    store = open_store(tmp_path / "kg.db", read_only=False)
    assert isinstance(store, Store)
    store.close()


# -- credentials ------------------------------------------------------------------------------


def test_a_bearer_token_from_the_environment_is_sent() -> None:
    seen: list[httpx.Request] = []
    env = {"TRIALKG_STORE_TOKEN": "s3cret"}
    with RemoteStore.from_env(
        Endpoints.from_base(BASE), environ=env, transport=_recording(seen)
    ) as store:
        store.ping()
    assert seen[0].headers["authorization"] == "Bearer s3cret"


def test_basic_credentials_from_the_environment_are_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALKG_STORE_USER", "ann")
    monkeypatch.setenv("TRIALKG_STORE_PASSWORD", "pw:1")
    seen: list[httpx.Request] = []
    with RemoteStore.from_env(Endpoints.from_base(BASE), transport=_recording(seen)) as store:
        store.replace_graph(G, [_quad("a")])
    expected = "Basic " + base64.b64encode(b"ann:pw:1").decode()
    assert [r.headers["authorization"] for r in seen] == [expected]


def test_without_credentials_nothing_is_sent() -> None:
    seen: list[httpx.Request] = []
    with RemoteStore.from_env(
        Endpoints.from_base(BASE), environ={}, transport=_recording(seen)
    ) as store:
        store.ping()
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRIALKG_STORE_USER": "ann"}, "TRIALKG_STORE_PASSWORD is not"),
        ({"TRIALKG_STORE_PASSWORD": "pw"}, "TRIALKG_STORE_USER is not"),
        (
            {
                "TRIALKG_STORE_TOKEN": "t",
                "TRIALKG_STORE_USER": "ann",
                "TRIALKG_STORE_PASSWORD": "p",
            },
            "not both",
        ),
        (
            {"TRIALKG_STORE_USER": "a", "TRIALKG_STORE_PASSWORD": "p", "TRIALKG_STORE_AUTH": "x"},
            "basic or digest",
        ),
    ],
)
def test_incomplete_credentials_are_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(StoreError, match=message):
        auth_from_env(env)


def test_digest_auth_can_be_asked_for() -> None:
    env = {"TRIALKG_STORE_USER": "a", "TRIALKG_STORE_PASSWORD": "p", "TRIALKG_STORE_AUTH": "digest"}
    assert isinstance(auth_from_env(env), httpx.DigestAuth)


# -- writing ----------------------------------------------------------------------------------


def test_graph_replacements_are_batched_into_one_update() -> None:
    seen: list[httpx.Request] = []
    graphs = [ox.NamedNode(f"https://example.org/graph/{i}") for i in range(3)]
    with RemoteStore(Endpoints.from_base(BASE), transport=_recording(seen)) as store:
        for graph in graphs:
            store.replace_graph(graph, [_quad("a", graph)])
        assert seen == []
        store.flush()
    assert len(seen) == 1
    body = seen[0].content.decode()
    assert seen[0].url == f"{BASE}/update"
    assert body.count("DROP SILENT GRAPH") == 3
    assert body.count("INSERT DATA") == 1


def test_a_graph_replaced_twice_in_one_batch_keeps_the_last_content() -> None:
    seen: list[httpx.Request] = []
    with RemoteStore(Endpoints.from_base(BASE), transport=_recording(seen)) as store:
        store.replace_graph(G, [_quad("first")])
        store.replace_graph(G, [_quad("second")])
    body = seen[0].content.decode()
    assert '"second"' in body and '"first"' not in body


def test_queued_writes_go_out_before_a_read() -> None:
    seen: list[httpx.Request] = []
    with RemoteStore(Endpoints.from_base(BASE), transport=_recording(seen)) as store:
        store.replace_graph(G, [_quad("a")])
        store.has_graph(G)
    assert [r.url.path for r in seen] == ["/update", "/query"]


def test_without_an_update_endpoint_graphs_are_put_through_the_graph_store_protocol() -> None:
    seen: list[httpx.Request] = []
    endpoints = Endpoints(query=f"{BASE}/sparql", gsp=f"{BASE}/data")
    with RemoteStore(endpoints, transport=_recording(seen)) as store:
        assert store.replace_graph(G, [_quad("a"), _quad("b")]) == 2
    assert seen[0].method == "PUT"
    assert seen[0].url.params["graph"] == G.value
    assert len(list(ox.parse(seen[0].content, ox.RdfFormat.N_TRIPLES))) == 2


def test_large_graphs_are_streamed_to_the_graph_store_protocol() -> None:
    seen: list[httpx.Request] = []
    quads = [_quad(str(i)) for i in range(5000)]
    with RemoteStore(Endpoints.from_base(BASE), transport=_recording(seen)) as store:
        assert store.replace_graph_large(G, quads) == 5000
    assert (seen[0].method, seen[0].url.path) == ("PUT", "/store")
    assert len(list(ox.parse(seen[0].content, ox.RdfFormat.N_TRIPLES))) == 5000


def test_a_read_only_remote_store_refuses_writes() -> None:
    with (
        RemoteStore(Endpoints.from_base(BASE), read_only=True, transport=_recording([])) as store,
        pytest.raises(StoreError, match="read-only"),
    ):
        store.replace_graph(G, [_quad("a")])
        with pytest.raises(StoreError, match="read-only"):
            store.update("CLEAR ALL")


def test_a_query_only_store_says_which_endpoint_is_missing() -> None:
    endpoints = Endpoints(query=f"{BASE}/sparql")
    with (
        RemoteStore(endpoints, transport=_recording([])) as store,
        pytest.raises(StoreError, match="--store-update"),
    ):
        store.update("CLEAR ALL")


# -- errors -----------------------------------------------------------------------------------


def test_an_http_error_names_the_url_and_the_status() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="warming up")

    with (
        RemoteStore(Endpoints.from_base(BASE), transport=_recording([], fail)) as store,
        pytest.raises(StoreError, match=r"http://store.test:7878/query answered HTTP 503"),
    ):
        len(store)


def test_a_write_failure_names_the_graph_and_the_status() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, text="who are you?")

    store = RemoteStore(Endpoints.from_base(BASE), transport=_recording([], refuse))
    store.replace_graph(G, [_quad("a")])
    with pytest.raises(StoreError, match=r"graph/1.*update answered HTTP 401 Unauthorized"):
        store.close()


def test_a_rejected_query_is_a_query_error_with_the_stores_message() -> None:
    def reject(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="error at 1:6: expected [_]")

    with (
        RemoteStore(Endpoints.from_base(BASE), transport=_recording([], reject)) as store,
        pytest.raises(QueryError, match="expected"),
    ):
        store.query("SELEC")


def test_an_answer_that_is_not_sparql_results_is_explained() -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>login</html>", headers={"content-type": "text/html"})

    with (
        RemoteStore(Endpoints.from_base(BASE), transport=_recording([], html)) as store,
        pytest.raises(StoreError, match="text/html, expected SPARQL results"),
    ):
        store.ping()


def test_a_refused_connection_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=f"cannot connect to the SPARQL store at {url}/query"):
        open_store(url, read_only=True)


def test_the_command_line_reports_a_refused_connection_in_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        main, ["query", "trials-by-condition", "--param", "condition=DOID:1100", "--store", url]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and url in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_endpoint_options_need_a_url_not_a_folder() -> None:
    result = CliRunner().invoke(
        main, ["sparql", "ASK {}", "--store", "kg.db", "--store-gsp", f"{BASE}/store"]
    )
    assert result.exit_code == 2
    assert "--store must then be its URL" in result.stderr
