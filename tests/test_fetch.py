"""``trialkg fetch`` against a ClinicalTrials.gov API v2 stand-in served on loopback.

The stand-in pages its studies with opaque ``pageToken`` cursors as the real API does, filters
on ``filter.advanced`` date ranges, answers ``countTotal``, rejects tokens it never gave, and
fails on request: HTTP 429 with ``Retry-After``, 503, a body cut short, or a page that fails
every time (until it is told to stop failing).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import gzip
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import FetchError
from kg.load.inputs import iter_trials
from kg.sources.ctgov import StudyQuery, fetch_studies

FIXTURE = Path(__file__).parent / "readers" / "fixtures" / "ctgov-NCT03877471.json"
_RANGE = re.compile(r"AREA\[LastUpdatePostDate\]RANGE\[(\d{4}-\d{2}-\d{2}),MAX\]")


def _studies(n: int) -> list[dict[str, Any]]:
    """``n`` studies made from a real record: new NCT numbers, one update date a day."""
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))
    studies = []
    for i in range(n):
        study = copy.deepcopy(base)
        study["protocolSection"]["identificationModule"]["nctId"] = f"NCT9{i:07d}"
        day = dt.date(2026, 1, 1) + dt.timedelta(days=i)
        study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {
            "date": day.isoformat(),
            "type": "ACTUAL",
        }
        studies.append(study)
    return studies


@dataclass
class FakeAPI:
    """What the stand-in serves and how it misbehaves; ``requests`` logs what it was asked."""

    studies: list[dict[str, Any]]
    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)
    #: Answers to give, in order, before serving normally: (status, body, headers).
    faults: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    #: A page (by offset) that fails with HTTP 500 every time it is asked for.
    broken_offset: int | None = None

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        self.requests.append(query)
        if path != "/api/v2/studies":
            return 404, b"Not Found", {}
        if self.faults:
            return self.faults.pop(0)
        if query.get("format") != "json":
            return 400, b"format must be json here", {}
        size = int(query.get("pageSize", "10"))
        token = query.get("pageToken")
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except ValueError:
            return 400, b"Invalid pageToken", {"Content-Type": "text/plain"}
        if offset == self.broken_offset:
            return 500, b"internal error", {}
        selected = self.studies
        if "filter.advanced" in query:
            match = _RANGE.fullmatch(query["filter.advanced"])
            if not match:
                return 400, b"Invalid filter.advanced", {}
            selected = [s for s in selected if _updated(s) >= match.group(1)]
        body: dict[str, Any] = {"studies": selected[offset : offset + size]}
        if offset + size < len(selected):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
        if query.get("countTotal") == "true":
            body["totalCount"] = len(selected)
        return 200, json.dumps(body).encode(), {"Content-Type": "application/json"}


def _updated(study: dict[str, Any]) -> str:
    return str(study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"])


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    fake = FakeAPI(_studies(23))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            status, body, headers = fake.answer(parts.path, query)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _ids(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return [
        json.loads(line)["protocolSection"]["identificationModule"]["nctId"]
        for line in data.splitlines()
    ]


def _fetch(out: Path, api: FakeAPI, **kwargs: Any) -> Any:
    kwargs.setdefault("page_size", 5)
    return fetch_studies(out, api=api.url, pause=0, **kwargs)


def _interrupt(out: Path, api: FakeAPI) -> None:
    """A download into ``out`` that stops at page 3 (two whole pages saved); the API then mends."""
    api.broken_offset = 10
    with pytest.raises(FetchError):
        _fetch(out, api, tries=1)
    api.broken_offset = None


def test_every_page_is_followed_and_each_study_is_one_line(tmp_path: Path, api: FakeAPI) -> None:
    out = tmp_path / "all.jsonl"
    report = _fetch(out, api)
    assert _ids(out) == [f"NCT9{i:07d}" for i in range(23)]
    assert (report.studies, report.pages, report.total) == (23, 5, 23)
    assert report.newest_update == "2026-01-23"
    assert report.size == out.stat().st_size and not report.resumed
    assert [q.get("pageToken") is None for q in api.requests] == [True] + [False] * 4
    assert [q.get("countTotal") for q in api.requests] == ["true"] + [None] * 4
    assert {q["pageSize"] for q in api.requests} == {"5"}
    assert not list(tmp_path.glob(".*")), "the part file and the saved progress are cleaned up"
    # each line is the study as the API gave it
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert first == api.studies[0]


def test_a_gz_target_is_one_gzip_member_per_page_that_reads_whole(
    tmp_path: Path, api: FakeAPI
) -> None:
    out = tmp_path / "all.jsonl.gz"
    _fetch(out, api)
    assert _ids(out) == [f"NCT9{i:07d}" for i in range(23)]
    trials = list(iter_trials([out]))
    assert [t.source.record_id for t in trials] == [f"NCT9{i:07d}" for i in range(23)]


def test_updated_since_query_and_condition_become_the_api_parameters(
    tmp_path: Path, api: FakeAPI
) -> None:
    query = StudyQuery(
        updated_since=dt.date(2026, 1, 20), term="AREA[Phase]PHASE1", condition="ovarian"
    )
    report = _fetch(tmp_path / "changed.jsonl", api, query=query)
    assert report.studies == 4 and report.newest_update == "2026-01-23"
    asked = api.requests[0]
    assert asked["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2026-01-20,MAX]"
    assert asked["query.term"] == "AREA[Phase]PHASE1"
    assert asked["query.cond"] == "ovarian"
    assert asked["format"] == "json"


def test_limit_stops_inside_a_page(tmp_path: Path, api: FakeAPI) -> None:
    out = tmp_path / "few.jsonl"
    report = _fetch(out, api, limit=7)
    assert _ids(out) == [f"NCT9{i:07d}" for i in range(7)]
    assert (report.studies, report.pages) == (7, 2)
    api.requests.clear()
    report = _fetch(tmp_path / "three.jsonl", api, limit=3, page_size=1000)
    assert report.studies == 3 and api.requests[0]["pageSize"] == "3"


def test_failures_that_pass_are_retried_honouring_retry_after(tmp_path: Path, api: FakeAPI) -> None:
    api.faults = [
        (429, b"Too Many Requests", {"Retry-After": "7"}),
        (503, b"Service Unavailable", {}),
        (200, b'{"studies": [', {"Content-Type": "application/json"}),  # cut short
    ]
    waits: list[float] = []
    out = tmp_path / "all.jsonl"
    report = fetch_studies(out, api=api.url, page_size=5, pause=0.5, sleep=waits.append)
    assert _ids(out) == [f"NCT9{i:07d}" for i in range(23)]
    assert report.retries == 3
    assert 7.0 in waits, "Retry-After is honoured"
    assert len(api.requests) == 5 + 3


def test_a_refusal_names_the_url_the_page_and_the_api_message(tmp_path: Path, api: FakeAPI) -> None:
    api.faults = [(400, b"Unknown parameter query.bogus", {"Content-Type": "text/plain"})]
    out = tmp_path / "all.jsonl"
    with pytest.raises(FetchError) as caught:
        _fetch(out, api)
    message = str(caught.value)
    assert message.startswith(f"{api.url}/studies?")
    assert "page 1: HTTP 400 Bad Request: Unknown parameter query.bogus" in message
    assert not out.exists()


def test_a_cursor_the_api_refuses_says_to_restart(tmp_path: Path, api: FakeAPI) -> None:
    out = tmp_path / "all.jsonl"
    _interrupt(out, api)
    api.faults = [(400, b"Invalid pageToken", {"Content-Type": "text/plain"})]
    with pytest.raises(
        FetchError,
        match=r"page 3 \(pageToken .*\): HTTP 400 Bad Request: "
        r"Invalid pageToken \(run again with --restart to start over\)",
    ):
        _fetch(out, api)
    report = _fetch(out, api, restart=True)
    assert report.studies == 23 and not report.resumed


def test_an_answer_without_studies_is_refused(tmp_path: Path, api: FakeAPI) -> None:
    api.faults = [(200, b'{"error": "gone"}', {"Content-Type": "application/json"})]
    with pytest.raises(FetchError, match=r"page 1: expected a JSON object with a 'studies' array"):
        _fetch(tmp_path / "all.jsonl", api)


def test_an_interrupted_download_carries_on_and_ends_as_a_whole_one(
    tmp_path: Path, api: FakeAPI
) -> None:
    clean = tmp_path / "clean.jsonl.gz"
    _fetch(clean, api)
    api.requests.clear()

    api.broken_offset = 15  # page 4 fails every time
    out = tmp_path / "all.jsonl.gz"
    with pytest.raises(
        FetchError, match=r"page 4 \(pageToken .*\): HTTP 500: internal error \(3 tries\)"
    ):
        _fetch(out, api, tries=3)
    assert not out.exists()
    assert (tmp_path / ".all.jsonl.gz.part").exists()
    saved = json.loads((tmp_path / ".all.jsonl.gz.part.json").read_text(encoding="utf-8"))
    assert (saved["pages"], saved["studies"]) == (3, 15)
    # a crash between writing a page and saving the progress leaves extra bytes: cut back
    with (tmp_path / ".all.jsonl.gz.part").open("ab") as part:
        part.write(b"half a page")

    api.broken_offset = None
    api.requests.clear()
    report = _fetch(out, api)
    assert report.resumed and (report.studies, report.pages) == (23, 5)
    assert api.requests[0]["pageToken"], "carried on from the saved cursor, not from page 1"
    assert len(api.requests) == 2
    assert _ids(out) == _ids(clean)
    assert gzip.decompress(out.read_bytes()) == gzip.decompress(clean.read_bytes())


def test_another_query_or_restart_starts_over(tmp_path: Path, api: FakeAPI) -> None:
    out = tmp_path / "all.jsonl"
    _interrupt(out, api)
    api.requests.clear()
    report = _fetch(out, api, query=StudyQuery(updated_since=dt.date(2026, 1, 1)))
    assert not report.resumed and "pageToken" not in api.requests[0]
    assert report.studies == 23

    _interrupt(out, api)
    api.requests.clear()
    report = _fetch(out, api, restart=True)
    assert not report.resumed and "pageToken" not in api.requests[0]


def test_cli_fetch_then_load_keeps_a_store_current(
    tmp_path: Path, api: FakeAPI, seed_path: Path
) -> None:
    runner = CliRunner()
    store = tmp_path / "kg.db"
    out = tmp_path / "records" / "ctgov.jsonl.gz"
    fetched = runner.invoke(
        main,
        ["fetch", "--api", api.url, "--out", str(out), "--page-size", "10", "--pause", "0"],
        catch_exceptions=False,
    )
    assert fetched.exit_code == 0, fetched.output
    assert f"fetched 23 of 23 studies in 3 pages into {out}" in fetched.stderr
    assert "trialkg fetch --updated-since 2026-01-23" in fetched.stderr
    built = runner.invoke(main, ["build", str(seed_path), str(out), "--store", str(store)])
    assert built.exit_code == 0, built.output

    # one study changes upstream; fetch what changed since the store's newest update, load it
    changed = api.studies[22]
    changed["protocolSection"]["identificationModule"]["briefTitle"] = "A changed title"
    changed["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2026-02-01"
    delta = tmp_path / "records" / "changed.jsonl"
    api.requests.clear()
    since_store = ["--since-store", "--store", str(store)]
    fetched = runner.invoke(
        main,
        ["fetch", "--api", api.url, "--out", str(delta), "--pause", "0", *since_store],
        catch_exceptions=False,
    )
    assert fetched.exit_code == 0, fetched.output
    assert "newest update posted 2026-01-23; fetching from 2026-01-23" in fetched.stderr
    assert api.requests[0]["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2026-01-23,MAX]"
    assert "fetched 1 of 1 studies in 1 pages" in fetched.stderr
    loaded = runner.invoke(main, ["load", str(delta), "--store", str(store)])
    assert loaded.exit_code == 0, loaded.output
    answer = runner.invoke(
        main,
        [
            "query",
            "trial",
            "--param",
            "trial=NCT90000022",
            "--format",
            "json",
            "--store",
            str(store),
        ],
    )
    assert answer.exit_code == 0, answer.output
    assert "A changed title" in answer.stdout
    assert "Like Cell Transplantation in Women" not in answer.stdout, "the old graph is gone"


def test_cli_fetch_failure_is_one_line_and_exit_1(tmp_path: Path, api: FakeAPI) -> None:
    api.faults = [(400, b"Invalid pageSize", {})]
    result = CliRunner().invoke(
        main,
        ["fetch", "--api", api.url, "--out", str(tmp_path / "x.jsonl"), "--pause", "0"],
    )
    assert result.exit_code == 1
    assert "Error: " in result.stderr and "page 1: HTTP 400 Bad Request: Invalid pageSize" in (
        result.stderr
    )


def test_cli_since_store_needs_a_store_that_says_when(tmp_path: Path, seed_path: Path) -> None:
    runner = CliRunner()
    store = tmp_path / "kg.db"
    assert runner.invoke(main, ["build", str(seed_path), "--store", str(store)]).exit_code == 0
    out = str(tmp_path / "x.jsonl")
    result = runner.invoke(main, ["fetch", "--since-store", "--store", str(store), "--out", out])
    assert result.exit_code == 1
    assert "no ClinicalTrials.gov record in the store says when it was last updated" in (
        result.stderr
    )
    both = ["fetch", "--since-store", "--updated-since", "2026-01-01", "--store", str(store)]
    result = runner.invoke(main, [*both, "--out", out])
    assert result.exit_code == 2 and "not both" in result.stderr
