"""Hostile requests to the web server: malformed paths and parameters get a precise 4xx (never a
500 with a traceback), an unexpected error a plain 500, every response the security headers,
and no document names the host a client claims to have asked."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import rdflib
import uvicorn
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from kg.cli import main
from kg.ids import DEFAULT_BASE_IRI
from kg.server import ServerConfig, create_app
from kg.server.context import Context
from kg.server.security import MAX_TARGET, SERVER_OPTIONS
from kg.store import Store

HTML = {"Accept": "text/html"}
TURTLE = {"Accept": "text/turtle"}
JSON = {"Accept": "application/json"}
FORGED = "evil.example"
SEED_TRIAL = "/trial/NCT03877471"


@pytest.fixture(scope="module")
def client(seed_store_path: Path) -> TestClient:
    return TestClient(create_app(Store.open_read_only(seed_store_path)))


def _refused(response: Any, status: int = 400) -> None:
    """The response is a one-line plain-text ``status``, with no traceback in it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert "Traceback" not in response.text and 'File "' not in response.text


# -- 6. malformed requests get a 4xx ------------------------------------------------------------

# Each route that reads a path segment or a parameter, asked as a browser and as an RDF client.
MALFORMED = [
    "/trial/a%20b",
    "/trial/a%00b",
    "/trial/%00",
    "/trial/a%3Cb%3E",
    "/trial/a%22b%7Bc%7D",
    "/doc/trial/a%00b.ttl",
    "/doc/trial/a%20b.html",
    "/doc/trial/NCT03877471.t%00l",
    "/term/%00",
    "/term/DOID%00:1100",
    "/search?q=%00",
    "/search?q=ovarian%00",
    "/api/suggest?q=ov%00",
    "/sparql?query=ASK%7B%7D%00",
    "/static/style.css%00",
    "/vocab?x=%00",
]


@pytest.mark.parametrize("headers", [HTML, TURTLE, JSON], ids=["html", "turtle", "json"])
@pytest.mark.parametrize("path", MALFORMED)
def test_malformed_paths_and_nul_bytes_get_400(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    _refused(client.get(path, headers=headers, follow_redirects=False))


# Invalid UTF-8 once percent-decoded: a lone continuation byte, a cut sequence, an overlong
# encoding of "/", a UTF-16 surrogate.
NOT_UTF8 = ["%FF", "%C3%28", "%E2%82", "%C0%AF", "%ED%A0%80"]


@pytest.mark.parametrize("bad", NOT_UTF8)
@pytest.mark.parametrize(
    "template",
    [
        "/search?q={}",
        "/api/suggest?q=ab{}",
        "/term/DOID:1100?page={}",
        "/sparql?query={}",
        "/trial/NCT03877471?x={}",
        "/doc/trial/NCT03877471.ttl?{}",
        "/.well-known/void?x={}",
        "/health?{}",
        "/trial/{}",
        "/doc/trial/{}.html",
        "/term/DOID:{}",
    ],
)
def test_invalid_utf8_in_a_query_string_or_path_gets_400(
    client: TestClient, template: str, bad: str
) -> None:
    response = client.get(template.format(bad), headers=HTML, follow_redirects=False)
    _refused(response)
    assert "UTF-8" in response.text


# Digits Python's int() or str.isdigit() accept but a page number is not written with: superscript
# two, Arabic-Indic three, fullwidth four, Devanagari one.
@pytest.mark.parametrize(
    "page", ["²", "٣", "４", "१", "-1", "0", "+1", " 1", "1.0", "1e3", "0x1", ""]
)
@pytest.mark.parametrize("headers", [HTML, JSON], ids=["html", "json"])
def test_page_numbers_not_written_in_ascii_digits_from_1_get_400(
    client: TestClient, page: str, headers: dict[str, str]
) -> None:
    response = client.get("/term/DOID:1100", params={"page": page}, headers=headers)
    _refused(response)
    assert "page" in response.text


@pytest.mark.parametrize("page", ["2", "9" * 30, "9" * 5000, "0" * 40 + "2"])
def test_page_numbers_past_the_last_page_get_404(client: TestClient, page: str) -> None:
    response = client.get("/term/DOID:1100", params={"page": page}, headers=JSON)
    _refused(response, 404)
    assert "no page" in response.text


def test_leading_zeros_still_name_the_page(client: TestClient) -> None:
    response = client.get("/term/DOID:1100", params={"page": "0001"}, headers=JSON)
    assert response.status_code == 200
    assert response.json()["page"] == 1


@pytest.mark.parametrize("page", ["²", "-1", "9" * 5000])
def test_search_ignores_a_page_it_does_not_take(client: TestClient, page: str) -> None:
    # Search shows one page of terms; like any unknown parameter, page= is not read.
    response = client.get("/search", params={"q": "ovarian", "page": page})
    assert response.status_code == 200
    assert "ovarian disease" in response.text


def test_a_request_target_past_the_limit_gets_414(client: TestClient) -> None:
    response = client.get("/search", params={"q": "a" * MAX_TARGET})
    _refused(response, 414)
    assert "POST" in response.text


def test_header_fields_past_the_limit_get_431(client: TestClient) -> None:
    response = client.get("/health", headers={f"x-filler-{i}": "a" * 1000 for i in range(80)})
    _refused(response, 431)


# Any text at all in each path segment and parameter: some 4xx or a page, never a 500.
ROUTE_TEMPLATES = [
    "/trial/{}",
    "/doc/trial/{}.ttl",
    "/doc/trial/{}.html",
    "/doc/trial/NCT03877471.{}",
    "/term/{}",
    "/term/DOID:1100?page={}",
    "/search?q={}",
    "/api/suggest?q={}",
    "/sparql?query={}",
    "/sparql?query=ASK%7B%7D&default-graph-uri={}",
    "/vocab?{}",
]


@settings(max_examples=150, deadline=None)
@given(
    template=st.sampled_from(ROUTE_TEMPLATES),
    value=st.one_of(st.text(max_size=40), st.binary(max_size=40)),
    accept=st.sampled_from(["text/html", "text/turtle", "application/ld+json", "*/*", ""]),
)
def test_any_value_in_any_parameter_is_answered_without_a_server_error(
    client: TestClient, template: str, value: str | bytes, accept: str
) -> None:
    target = template.format(quote(value, safe=""))
    response = client.get(target, headers={"Accept": accept}, follow_redirects=False)
    assert response.status_code < 500, (target, response.text)


@pytest.mark.parametrize(
    "accept",
    ["text/html;q=nan", "text/turtle;q=inf, text/html", "*/*;q=-1", ";;,,", "text/html;q=1e999"],
)
def test_odd_accept_headers_are_negotiated_without_a_server_error(
    client: TestClient, accept: str
) -> None:
    response = client.get(SEED_TRIAL, headers={"Accept": accept}, follow_redirects=False)
    assert response.status_code in (303, 406)


def test_an_unexpected_error_is_a_plain_500_with_the_traceback_in_the_log(
    seed_store_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Store.open_read_only(seed_store_path))
    shared = app.state.context
    assert isinstance(shared, Context)

    def broken() -> dict[str, int]:
        raise RuntimeError("secret detail of a broken store")

    monkeypatch.setattr(shared.dataset, "stats", broken)
    with caplog.at_level(logging.ERROR, logger="kg.server"):
        response = TestClient(app).get("/")
    _refused(response, 500)
    assert "secret detail" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "GET '/'" in logged[0].getMessage()
    assert "secret detail" in caplog.text and "Traceback" in caplog.text


# -- 6. a huge request head over a real socket --------------------------------------------------


@pytest.fixture(scope="module")
def server(seed_store_path: Path) -> Iterator[int]:
    """uvicorn on a free loopback port, run with the options ``trialkg serve`` gives it."""
    app = create_app(Store.open_read_only(seed_store_path))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="critical", lifespan="off", **SERVER_OPTIONS
    )
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield int(uvicorn_server.servers[0].sockets[0].getsockname()[1])
    uvicorn_server.should_exit = True
    thread.join(10)


def _exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` whole, then read the answer: status, header fields, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        status_line, *fields = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
        while len(body) < int(headers["content-length"]) and (chunk := sock.recv(65536)):
            body += chunk
    return int(status_line.split()[1]), headers, body


def test_a_1_mb_request_line_gets_414_over_a_real_socket(server: int) -> None:
    request = b"GET /search?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    status, headers, body = _exchange(server, request)
    assert status == 414
    assert headers["x-content-type-options"] == "nosniff"
    assert b"POST" in body


def test_1_mb_of_header_fields_gets_431_over_a_real_socket(server: int) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 1_000_000 + b"\r\n\r\n"
    status, _, _ = _exchange(server, request)
    assert status == 431


def test_a_request_line_past_the_limit_in_one_piece_gets_414_over_a_real_socket(
    server: int,
) -> None:
    # Small enough for the HTTP parser to take whole: the application refuses it.
    request = b"GET /search?q=" + b"a" * (MAX_TARGET + 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    status, _, _ = _exchange(server, request)
    assert status == 414


def test_the_server_answers_after_refusing_a_huge_request(server: int) -> None:
    _exchange(server, b"GET /?" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = _exchange(
        server, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 200 and b'"ok"' in body


def test_serve_runs_uvicorn_with_the_guarded_protocol(
    seed_store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(options))
    access = logging.getLogger("kg.server.access")
    level = access.level
    try:
        result = CliRunner().invoke(main, ["serve", "--store", str(seed_store_path)])
    finally:
        access.setLevel(level)
    assert result.exit_code == 0, result.output
    assert SERVER_OPTIONS.items() <= ran.items()


# -- 7. security headers ------------------------------------------------------------------------

EVERY_KIND_OF_RESPONSE = [
    ("GET", "/", HTML),
    ("GET", "/search?q=ovarian", HTML),
    ("GET", "/api/suggest?q=ovarian", JSON),
    ("GET", "/sparql?query=ASK%7B%7D", {}),
    ("GET", "/sparql", TURTLE),
    ("GET", SEED_TRIAL, TURTLE),
    ("GET", SEED_TRIAL, HTML),
    ("GET", "/doc/trial/NCT03877471.jsonld", {}),
    ("GET", "/term/DOID:1100", HTML),
    ("GET", "/term/DOID:1100", JSON),
    ("GET", "/vocab", HTML),
    ("GET", "/.well-known/void", TURTLE),
    ("GET", "/context.jsonld", {}),
    ("GET", "/health", {}),
    ("GET", "/static/style.css", {}),
    ("GET", "/static/suggest.js", {}),
    ("GET", "/no/such/page", HTML),
    ("GET", "/trial/NCT00000000", HTML),
    ("GET", "/trial/a%00b", HTML),
    ("POST", "/vocab", {}),
    ("OPTIONS", "/sparql", {"Origin": "https://x.org", "Access-Control-Request-Method": "POST"}),
]


@pytest.mark.parametrize(("method", "path", "headers"), EVERY_KIND_OF_RESPONSE)
def test_every_response_says_nosniff_and_html_has_a_content_security_policy(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = client.request(method, path, headers=headers, follow_redirects=False)
    assert response.headers["x-content-type-options"] == "nosniff"
    if response.headers.get("content-type", "").startswith("text/html"):
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy


# The pages the policy must not break: each one the server renders.
PAGES = ["/", "/search?q=ovarian", "/search?q=zzzz", "/doc/trial/NCT03877471.html"]
PAGES += ["/term/DOID:1100", "/vocab"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_scripts_and_styles_only_from_files_the_policy_allows(
    client: TestClient, path: str
) -> None:
    page = client.get(path, headers=HTML).text
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", page), "an inline script"
    assert not re.search(r"\son[a-z]+=", page), "an inline event handler"
    for url in re.findall(r'(?:src|rel="stylesheet" href)="([^"]+)"', page):
        assert url.startswith("/static/")
        assert client.get(url).status_code == 200


# -- 7. the Host header never reaches a document ------------------------------------------------


def test_json_ld_names_the_context_under_the_configured_base_not_the_host(
    client: TestClient,
) -> None:
    response = client.get("/doc/trial/NCT03877471.jsonld", headers={"Host": FORGED})
    assert response.json()["@context"] == f"{DEFAULT_BASE_IRI}context.jsonld"
    assert FORGED not in response.text


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (SEED_TRIAL, TURTLE),
        (SEED_TRIAL, {"Accept": "application/ld+json"}),
        (SEED_TRIAL, HTML),
        ("/doc/trial/NCT03877471.rdf", {}),
        ("/.well-known/void", TURTLE),
        ("/.well-known/void", {"Accept": "application/ld+json"}),
        ("/sparql", TURTLE),
        (
            "/sparql?query=CONSTRUCT%7B%3Fs%20%3Fp%20%3Fo%7DWHERE%7B%3Fs%20%3Fp%20%3Fo%7DLIMIT%201",
            {"Accept": "application/ld+json"},
        ),
        ("/term/DOID:1100?page=1", JSON),
        ("/term/DOID:1100", HTML),
        ("/vocab", HTML),
        ("/", HTML),
        ("/sparql/", {}),  # Starlette's redirect to the path without its last slash
        ("/trial/NCT03877471/", TURTLE),
    ],
)
def test_a_forged_host_appears_in_no_document_or_header(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    for host in (FORGED, f"{FORGED}:8443"):
        response = client.get(path, headers={**headers, "Host": host}, follow_redirects=False)
        assert response.status_code < 400, response.text
        assert FORGED not in response.text
        assert FORGED not in json.dumps(dict(response.headers))


def test_absolute_urls_in_documents_follow_the_configured_base(seed_store_path: Path) -> None:
    base = "https://kg.example.org/"
    client = TestClient(create_app(Store.open_read_only(seed_store_path), ServerConfig(base=base)))
    void = rdflib.Graph().parse(
        data=client.get("/.well-known/void", headers={**TURTLE, "Host": FORGED}).text,
        format="turtle",
    )
    endpoint = rdflib.URIRef("http://rdfs.org/ns/void#sparqlEndpoint")
    assert set(void.objects(None, endpoint)) == {rdflib.URIRef(f"{base}sparql")}
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1"
    document = client.get(
        "/sparql",
        params={"query": construct},
        headers={"Accept": "application/ld+json", "Host": FORGED},
    ).json()
    assert document["@context"] == f"{base}context.jsonld"
