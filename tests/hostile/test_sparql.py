"""The SPARQL endpoint against a hostile client: queries that crash the engine, never end,
reach for private graphs or other servers, or flood it. Loopback only, bounded in time.

The live tests run ``trialkg serve`` as a process, as an operator would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kg.load.build import build
from kg.server import ServerConfig, create_app
from kg.server.sparql import Limits, scan
from kg.store import Store

from conftest import CL_EDIT_OWL, DOID_NCIT_2026, SEED

pytestmark = pytest.mark.slow

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PRIVATE = "https://w3id.org/trialkg/graph/private/hpscreg/48"
PUBLIC = "https://w3id.org/trialkg/graph/hpscreg/48"


def _nested(depth: int) -> str:
    return "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def contacts_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed built with its contact persons (private graphs)."""
    path = tmp_path_factory.mktemp("contacts") / "kg.db"
    build(path, [SEED], [DOID_NCIT_2026, CL_EDIT_OWL], include_contacts=True)
    return path


@pytest.fixture(scope="module")
def client(contacts_store: Path) -> Iterator[TestClient]:
    config = ServerConfig(workers=2, limits=Limits(timeout=3))
    with TestClient(create_app(Store.open_read_only(contacts_store), config)) as test_client:
        yield test_client


def _select(client: TestClient, query: str, **params: str) -> list[dict[str, dict[str, str]]]:
    response = client.get("/sparql", params={"query": query, **params})
    assert response.status_code == 200, response.text
    bindings: list[dict[str, dict[str, str]]] = response.json()["results"]["bindings"]
    return bindings


# -- the lexical scan ---------------------------------------------------------------------------


def test_the_scan_skips_strings_iris_and_comments() -> None:
    found = scan(
        "PREFIX p: <http://x/>\n# FROM <http://comment/>\nSELECT * FROM p:g FROM NAMED <http://n/> "
        'WHERE { ?s ?p "FROM <http://string/> {{{" . FILTER(?o < 3) }'
    )
    assert found.from_graphs == ["http://x/g"]
    assert found.from_named == ["http://n/"]
    assert found.depth == 2
    assert scan("SELECT * WHERE { SERVICE SILENT ?endpoint { ?s ?p ?o } }").services == [None]
    assert scan("SELECT ?from WHERE { ?from <http://x/service> ?o }").services == []


# -- private graphs ----------------------------------------------------------------------------


def test_the_store_does_hold_contacts(contacts_store: Path) -> None:
    store = Store.open_read_only(contacts_store)
    assert any(g.value == PRIVATE for g in store.named_graphs())
    store.close()


VCARD = 'FILTER(STRSTARTS(STR(?p), "http://www.w3.org/2006/vcard/"))'


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT ?p ?o WHERE {{ ?s ?p ?o {VCARD} }}",
        f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {VCARD} }}",
        f"SELECT ?p ?o WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}",
        'SELECT ?p ?o WHERE { ?s ?p ?o FILTER(STR(?o) = "+8617503296371") }',
    ],
)
def test_no_query_reaches_a_contact(client: TestClient, query: str) -> None:
    assert _select(client, query) == []


def test_private_graphs_are_not_in_the_dataset(client: TestClient) -> None:
    graphs = _select(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert PUBLIC in {b["g"]["value"] for b in graphs}
    assert PRIVATE not in {b["g"]["value"] for b in graphs}


def test_describe_does_not_reach_a_contact(client: TestClient) -> None:
    described = client.get(
        "/sparql",
        params={"query": "DESCRIBE <https://w3id.org/trialkg/trial/NCT03877471>"},
        headers={"Accept": "application/n-triples"},
    )
    assert described.status_code == 200
    assert "NCT03877471" in described.text
    assert "vcard" not in described.text and "8617503296371" not in described.text


@pytest.mark.parametrize(
    "params",
    [{"named-graph-uri": PRIVATE}, {"default-graph-uri": PRIVATE}],
)
def test_a_private_graph_named_by_the_protocol_is_refused(
    client: TestClient, params: dict[str, str]
) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }", **params})
    assert response.status_code == 403
    assert "private" in response.text


@pytest.mark.parametrize("clause", ["FROM", "FROM NAMED"])
def test_a_private_graph_named_by_the_query_is_refused(client: TestClient, clause: str) -> None:
    query = f"SELECT * {clause} <{PRIVATE}> WHERE {{ ?s ?p ?o }}"
    assert client.get("/sparql", params={"query": query}).status_code == 403
    prefixed = f"PREFIX g: <https://w3id.org/trialkg/graph/> SELECT * {clause} g:private\\/x {{}}"
    assert client.get("/sparql", params={"query": prefixed}).status_code == 403


# -- FROM ---------------------------------------------------------------------------------------


def test_from_is_honoured(client: TestClient) -> None:
    count = "SELECT (COUNT(*) AS ?n) {from} WHERE {{ ?s ?p ?o }}"
    everything = int(_select(client, count.format(**{"from": ""}))[0]["n"]["value"])
    nothing = _select(client, count.format(**{"from": "FROM <https://nowhere.example/g>"}))
    trial = _select(client, count.format(**{"from": f"FROM <{PUBLIC}>"}))
    assert int(nothing[0]["n"]["value"]) == 0
    assert 0 < int(trial[0]["n"]["value"]) < everything
    # The protocol's default-graph-uri overrides the query's FROM (SPARQL 1.1 Protocol 2.1.4).
    override = _select(
        client,
        count.format(**{"from": "FROM <https://nowhere.example/g>"}),
        **{"default-graph-uri": PUBLIC},
    )
    assert override == trial


# -- SERVICE ------------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback socket that records whatever connects to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                received.append(conn.recv(1024))

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/sparql", received
    stop.set()
    thread.join(2)
    sock.close()


@pytest.mark.parametrize("silent", ["", "SILENT "])
def test_service_is_refused_and_sends_nothing(
    client: TestClient, listener: tuple[str, list[bytes]], silent: str
) -> None:
    url, received = listener
    query = f"SELECT * WHERE {{ SERVICE {silent}<{url}> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 403
    assert "SERVICE" in response.text
    time.sleep(0.3)
    assert received == []


def test_service_to_an_allowed_endpoint_passes_the_check(contacts_store: Path) -> None:
    allowed = "http://127.0.0.1:9/sparql"  # port 9: refused by the engine itself, no traffic
    config = ServerConfig(workers=1, services=(allowed,))
    with TestClient(create_app(Store.open_read_only(contacts_store), config)) as test_client:
        query = f"SELECT * WHERE {{ SERVICE SILENT <{allowed}> {{ ?s ?p ?o }} }}"
        assert test_client.get("/sparql", params={"query": query}).status_code != 403


# -- malformed requests -------------------------------------------------------------------------


def test_a_body_that_is_not_utf8_gets_400(client: TestClient) -> None:
    for content_type in ("application/sparql-query", "application/x-www-form-urlencoded"):
        body = b"SELECT * WHERE { ?s ?p \xff }" if "sparql" in content_type else b"query=%FF%FE"
        response = client.post("/sparql", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 400, content_type


def test_too_deep_a_query_gets_400_before_the_engine_sees_it(client: TestClient) -> None:
    response = client.post(
        "/sparql", content=_nested(3_000), headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 400
    assert "nests" in response.text
    assert _select(client, _nested(20) + " LIMIT 5")  # ordinary nesting still works


# -- streaming ----------------------------------------------------------------------------------


def test_a_large_answer_streams_whole(client: TestClient) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20000"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200
    assert len(response.content) > 1_000_000  # larger than a worker holds before it streams
    assert len(response.json()["results"]["bindings"]) == 20000
    csv = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert csv.text.count("\r\n") == 20001


def test_the_result_limit_still_answers_413(contacts_store: Path) -> None:
    config = ServerConfig(workers=1, limits=Limits(max_results=10))
    with TestClient(create_app(Store.open_read_only(contacts_store), config)) as small:
        response = small.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert response.status_code == 413


# -- the live server ----------------------------------------------------------------------------


class Server(str):
    """The base URL of a running server, and its process id."""

    pid: int


@pytest.fixture(scope="module")
def server(contacts_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``trialkg serve`` over the store, with a 2 s limit and two workers."""
    port = _free_port()
    command = [
        sys.executable, "-m", "kg.cli", "serve", "--store", str(contacts_store),
        "--port", str(port), "--timeout", "2", "--workers", "2",
    ]  # fmt: skip
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        base = Server(f"http://127.0.0.1:{port}")
        base.pid = process.pid
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/health", timeout=1)
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        try:
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert process.returncode in (0, -signal.SIGTERM), log.read_text()


def _get(url: str, timeout: float = 30) -> tuple[int, bytes, float]:
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), time.monotonic() - start
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read(), time.monotonic() - start


def _query_url(base: str, query: str) -> str:
    return f"{base}/sparql?" + urllib.parse.urlencode({"query": query})


def _health_ms(base: str, times: int = 10) -> float:
    """The slowest of ``times`` /health requests, in milliseconds."""
    return max(_get(f"{base}/health", timeout=5)[2] for _ in range(times)) * 1000


def _workers_of(pid: int) -> list[int]:
    """The query worker processes of the server ``pid`` (Linux /proc)."""
    tasks = Path(f"/proc/{pid}/task")
    if not tasks.exists():
        pytest.skip("needs Linux /proc to list the workers")
    children = {int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()}
    workers = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            workers.append(child)
    return workers


def test_a_nested_query_leaves_the_server_up(server: str) -> None:
    status, body, _ = _get(_query_url(server, _nested(3_000)))
    assert status == 400, body
    for depth in (3_000, 100_000):
        request = urllib.request.Request(
            f"{server}/sparql",
            data=_nested(depth).encode(),
            headers={"Content-Type": "application/sparql-query"},
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
        with caught.value:
            assert caught.value.code == 400
    assert _get(f"{server}/health")[0] == 200


def test_slow_queries_are_stopped_and_their_workers_replaced(server: Server) -> None:
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(_get(_query_url(server, SLOW))[0]))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses and set(statuses) == {503}
    assert len(_workers_of(server.pid)) <= 2  # killed, not left running
    # The server answers at once, and fast queries run again.
    assert _health_ms(server) < 100
    nct = "SELECT ?id WHERE { ?t <https://w3id.org/trialkg/vocab#nctId> ?id }"
    status, body, _ = _get(_query_url(server, nct))
    assert status == 200
    assert json.loads(body)["results"]["bindings"][0]["id"]["value"] == "NCT03877471"


_FLOOD = """
import json, sys, threading, time, urllib.error, urllib.parse, urllib.request
base, seconds, queries = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
stop = time.monotonic() + seconds
counts = {}
def client(number):
    url = base + "/sparql?" + urllib.parse.urlencode({"query": queries[number % len(queries)]})
    while time.monotonic() < stop:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            with exc:
                status = exc.code
        except OSError:
            status = 0
        counts[status] = counts.get(status, 0) + 1
threads = [threading.Thread(target=client, args=(n,)) for n in range(64)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(counts))
"""


def test_a_flood_of_clients_leaves_health_fast(server: Server) -> None:
    # 64 clients in another process (so their threads do not slow this one's measurements),
    # sending slow queries, queries too deep to parse and ordinary ones.
    seconds = float(os.environ.get("TRIALKG_FLOOD_SECONDS", "8"))
    queries = [SLOW, _nested(3_000), "SELECT * WHERE { ?s ?p ?o } LIMIT 500"]
    flood = subprocess.Popen(
        [sys.executable, "-c", _FLOOD, server, str(seconds), json.dumps(queries)],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)  # let the flood build up
    latencies = []
    stop = time.monotonic() + seconds - 1.5
    while time.monotonic() < stop:
        latencies.append(_get(f"{server}/health", timeout=5)[2] * 1000)
        time.sleep(0.1)
    out, _ = flood.communicate(timeout=60)
    counts = {int(status): n for status, n in json.loads(out).items()}
    latencies.sort()
    assert latencies[len(latencies) // 2] < 100, latencies  # median under 100 ms
    assert counts.get(200) and not counts.get(0) and not counts.get(500), counts
    assert _health_ms(server) < 100


def test_a_worker_that_dies_is_replaced(server: Server) -> None:
    assert _get(_query_url(server, "ASK { ?s ?p ?o }"))[0] == 200
    workers = _workers_of(server.pid)
    assert 1 <= len(workers) <= 2
    for worker in workers:
        os.kill(worker, signal.SIGKILL)
    time.sleep(0.5)
    assert _get(_query_url(server, "ASK { ?s ?p ?o }"))[0] == 200
    assert set(_workers_of(server.pid)).isdisjoint(workers)
