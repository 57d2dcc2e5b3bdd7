"""The remote store's HTTP side: endpoints, credentials, batching, and errors that say where."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from remote_fake import VIRTUOSO_SERVER, FakeStore

from kg.cli import main
from kg.errors import QueryError, StoreError
from kg.store import Store, bodies, open_store
from kg.store.engines import STANDARD, VIRTUOSO
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
    fake = FakeStore()
    with RemoteStore.from_env(Endpoints.from_base(BASE), transport=fake.transport) as store:
        store.replace_graph(G, [_quad("a")])
    expected = "Basic " + base64.b64encode(b"ann:pw:1").decode()
    assert fake.writes() and {r.headers["authorization"] for r in fake.seen} == {expected}


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


def _updates(fake: FakeStore) -> list[str]:
    return [r.content.decode() for r in fake.writes() if r.url.path.endswith("/update")]


def test_graph_replacements_are_batched_into_one_update() -> None:
    fake = FakeStore()
    graphs = [ox.NamedNode(f"https://example.org/graph/{i}") for i in range(3)]
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        for graph in graphs:
            store.replace_graph(graph, [_quad("a", graph)])
        assert fake.writes() == []
        store.flush()
    (body,) = _updates(fake)
    assert body.count("DROP SILENT GRAPH") == 3
    assert body.count("INSERT DATA") == 1


def test_a_graph_replaced_twice_in_one_batch_keeps_the_last_content() -> None:
    fake = FakeStore()
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        store.replace_graph(G, [_quad("first")])
        store.replace_graph(G, [_quad("second")])
    (body,) = _updates(fake)
    assert '"second"' in body and '"first"' not in body


def test_queued_writes_go_out_before_a_read() -> None:
    fake = FakeStore()
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        store.replace_graph(G, [_quad("a")])
        assert store.has_graph(G)
    paths = [r.url.path for r in fake.seen]
    asked = fake.queries()
    assert paths.index("/update") < len(paths) - 1 and asked[-1].startswith("ASK { GRAPH")


def test_every_body_is_sent_whole_with_its_length() -> None:
    """Virtuoso 7 answers 201 to a chunked body and stores nothing: never send one."""
    fake = FakeStore()
    quads = [_quad(str(i)) for i in range(20_000)]
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        store.replace_graph_large(G, quads)
        store.replace_graph(ox.NamedNode("https://example.org/graph/2"), [])
    for request in fake.seen:
        assert "transfer-encoding" not in request.headers
        assert int(request.headers["content-length"]) == len(request.content)


def test_without_an_update_endpoint_graphs_are_put_through_the_graph_store_protocol() -> None:
    fake = FakeStore()
    endpoints = Endpoints(query=f"{BASE}/query", gsp=f"{BASE}/store")
    with RemoteStore(endpoints, transport=fake.transport) as store:
        assert store.replace_graph(G, [_quad("a"), _quad("b")]) == 2
    (put,) = fake.writes()
    assert put.method == "PUT" and put.url.params["graph"] == G.value
    assert len(list(ox.parse(put.content, ox.RdfFormat.N_TRIPLES))) == 2


def test_large_graphs_go_to_the_graph_store_protocol_in_bounded_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bodies, "BATCH_BYTES", 50_000)
    fake = FakeStore()
    quads = [_quad(str(i)) for i in range(5000)]
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        assert store.replace_graph_large(G, quads) == 5000
    writes = fake.writes()
    assert [r.method for r in writes] == ["PUT"] + ["POST"] * (len(writes) - 1)
    assert len(writes) > 3 and all(len(r.content) < 60_000 for r in writes)
    assert len(list(fake.store.quads_for_pattern(None, None, None, G))) == 5000


def _linked_blank_nodes(count: int, graph: ox.NamedNode = G) -> list[ox.Quad]:
    """``count`` OWL-restriction-like groups: S -> b1 -> b2 -> literal, each its own."""
    quads = []
    for i in range(count):
        outer, inner = ox.BlankNode(), ox.BlankNode()
        quads += [
            ox.Quad(S, P, outer, graph),
            ox.Quad(outer, P, inner, graph),
            ox.Quad(inner, P, ox.Literal(f"value {i}"), graph),
        ]
    random.Random(5).shuffle(quads)  # a blank node's triples far apart, as in a real file
    return quads


def _chains(fake: FakeStore, graph: ox.NamedNode = G) -> set[str]:
    rows = fake.store.query(
        f"SELECT ?v WHERE {{ GRAPH {graph} {{ {S} ?p ?b1 . ?b1 ?p ?b2 . ?b2 ?p ?v }} }}"
    )
    return {row["v"].value for row in rows}


@pytest.mark.parametrize("gsp", [True, False], ids=["graph store protocol", "update"])
def test_a_blank_nodes_triples_never_straddle_two_requests(
    monkeypatch: pytest.MonkeyPatch, gsp: bool
) -> None:
    monkeypatch.setattr(bodies, "BATCH_BYTES", 20_000)
    fake = FakeStore()
    endpoints = Endpoints.from_base(BASE)
    if not gsp:
        endpoints = Endpoints(query=endpoints.query, update=endpoints.update)
    with RemoteStore(endpoints, transport=fake.transport) as store:
        store.replace_graph_large(G, _linked_blank_nodes(600))
    assert len(fake.writes()) > 3
    assert _chains(fake) == {f"value {i}" for i in range(600)}


def test_virtuoso_gets_small_update_blocks_and_blank_nodes_in_templates() -> None:
    fake = FakeStore(server=VIRTUOSO_SERVER)
    endpoints = Endpoints(query=f"{BASE}/query", update=f"{BASE}/update")
    quads = [_quad(str(i)) for i in range(2500)] + _linked_blank_nodes(400)
    with RemoteStore(endpoints, transport=fake.transport) as store:
        store.replace_graph(G, quads)
    assert store.engine is VIRTUOSO
    (body,) = [r.content.decode() for r in fake.writes()]
    assert body.startswith("DEFINE sql:big-data-const 1")
    assert body.count(f"GRAPH {G} {{") == 3 + body.count("WHERE { }") == 3 + 3
    assert len(list(fake.store.quads_for_pattern(None, None, None, G))) == 2500 + 1200
    assert len(_chains(fake)) == 400


def test_virtuoso_gets_graphs_through_the_graph_store_protocol_when_it_has_one() -> None:
    """Its updates refuse day-time durations and blank nodes; its GSP takes both."""
    fake = FakeStore(server=VIRTUOSO_SERVER)
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        for i in range(3):
            graph = ox.NamedNode(f"https://example.org/graph/{i}")
            store.replace_graph(graph, [_quad("a", graph)])
    assert [r.method for r in fake.writes()] == ["PUT"] * 3


def test_a_store_that_stores_less_than_it_was_sent_fails_loudly() -> None:
    fake = FakeStore(lose_writes=True)
    store = RemoteStore(Endpoints.from_base(BASE), transport=fake.transport)
    store.replace_graph(G, [_quad("a"), _quad("b")])
    with pytest.raises(StoreError, match=r"graph/1 was sent 2 distinct quads but .* holds 0"):
        store.close()
    with (
        RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as large,
        pytest.raises(StoreError, match="holds 0"),
    ):
        large.replace_graph_large(G, [_quad("a")])


def test_digest_authentication_sends_every_body_again_after_the_challenge() -> None:
    """A streamed body cannot be sent twice (httpx.StreamConsumed); a whole one can."""
    fake = FakeStore()
    challenged: set[str] = set()

    def challenge(request: httpx.Request) -> httpx.Response | None:
        if "authorization" in request.headers:
            return None
        challenged.add(request.method)
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Digest realm="SPARQL", nonce="abc", qop="auth"'}
        )

    fake.intercept = challenge
    with RemoteStore(
        Endpoints.from_base(BASE), auth=httpx.DigestAuth("ann", "pw"), transport=fake.transport
    ) as store:
        store.replace_graph_large(G, [_quad(str(i)) for i in range(3000)])
        store.replace_graph(ox.NamedNode("https://example.org/graph/2"), [_quad("x", G2)])
    assert "POST" in challenged or "PUT" in challenged
    assert len(list(fake.store.quads_for_pattern(None, None, None, G))) == 3000


G2 = ox.NamedNode("https://example.org/graph/2")


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


# -- reading ----------------------------------------------------------------------------------


def _filled(fake: FakeStore, count: int, graph: ox.NamedNode = G) -> None:
    fake.store.extend(_quad(str(i), graph) for i in range(count))


def test_the_engine_is_told_by_the_server_header() -> None:
    fake = FakeStore(server=VIRTUOSO_SERVER)
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        assert store.engine is VIRTUOSO
        store.has_graph(G)
    asked = parse_qs(fake.seen[-1].content.decode())["query"][0]
    # Joins in the text's order: Virtuoso's own order joins a property path wrongly.
    assert asked.startswith('DEFINE sql:select-option "order"\nASK')
    with RemoteStore(Endpoints.from_base(BASE), transport=FakeStore().transport) as store:
        assert store.engine is STANDARD


def test_a_query_answer_cut_at_the_row_cap_is_an_error() -> None:
    fake = FakeStore(row_cap=100)
    _filled(fake, 150)
    with (
        RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store,
        pytest.raises(StoreError, match=r"cut its answer at 100 rows.*ResultSetMaxRows"),
    ):
        store.query("SELECT * WHERE { ?s ?p ?o }")


def test_whole_graph_reads_page_past_the_row_cap() -> None:
    fake = FakeStore(row_cap=100)
    _filled(fake, 250)
    _filled(fake, 120, G2)
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        assert {q.object.value for q in store.quads(graph=G)} == {str(i) for i in range(250)}
        assert len(list(store.quads())) == 370
        assert sorted(g.value for g in store.named_graphs()) == [G.value, G2.value]
        assert len(store) == 370
    assert any(text.endswith("LIMIT 100 OFFSET 200") for text in fake.queries())


def test_pages_that_overlap_are_an_error() -> None:
    fake = FakeStore(row_cap=100, shuffle_pages=True)
    _filled(fake, 250)
    random.seed(1)
    with (
        RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store,
        pytest.raises(StoreError, match=r"overlap|counts"),
    ):
        list(store.quads(graph=G))


def test_a_partial_answer_is_an_error() -> None:
    fake = FakeStore(partial=True)
    _filled(fake, 3)
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        with pytest.raises(StoreError, match=r"partial result.*S1TAT"):
            store.query("SELECT * WHERE { ?s ?p ?o }")
        with pytest.raises(StoreError, match="partial result"):
            list(store.quads(graph=G))


def test_virtuosos_answers_read_as_oxigraph_writes_them() -> None:
    fake = FakeStore(server=VIRTUOSO_SERVER, virtuoso_answers=True)
    xsd = "http://www.w3.org/2001/XMLSchema#"
    node = ox.BlankNode()
    literals = [
        ox.Literal("true", datatype=ox.NamedNode(f"{xsd}boolean")),
        ox.Literal("2000000", datatype=ox.NamedNode(f"{xsd}double")),
        ox.Literal("P18Y", datatype=ox.NamedNode(f"{xsd}duration")),
    ]
    fake.store.extend([ox.Quad(S, P, node, G)] + [ox.Quad(node, P, lit, G) for lit in literals])
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        read = list(store.quads(graph=G))
        rows = store.query("SELECT ?o WHERE { ?b ?p ?o FILTER(isLiteral(?o)) }")
    assert sorted(q.object.value for q in read if isinstance(q.object, ox.Literal)) == [
        "2000000",
        "P18Y",
        "true",
    ]
    assert {row["o"] for row in rows} == set(literals)
    (linked,) = [q.object for q in read if q.subject == S]
    assert isinstance(linked, ox.BlankNode)


def test_virtuosos_own_graphs_are_not_the_stores() -> None:
    fake = FakeStore(server=VIRTUOSO_SERVER)
    own = ox.NamedNode("http://www.openlinksw.com/schemas/virtrdf#")
    service = ox.NamedNode("http://localhost:8890/sparql")
    sd = ox.NamedNode("http://www.w3.org/ns/sparql-service-description#Service")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    fake.store.extend(
        [ox.Quad(own, P, ox.Literal("x"), own), ox.Quad(service, rdf_type, sd, service)]
    )
    _filled(fake, 2)
    with RemoteStore(Endpoints.from_base(BASE), transport=fake.transport) as store:
        assert [g.value for g in store.named_graphs()] == [G.value]
        assert len(store) == 2
        assert {q.graph_name for q in store.quads()} == {G}


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
    with pytest.raises(StoreError, match=r"graph/1.*answered HTTP 401 Unauthorized"):
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
