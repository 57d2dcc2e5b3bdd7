"""Download ClinicalTrials.gov studies from its API v2 into a JSON Lines file.

This is network code, run only by ``trialkg fetch``. It pages through
``GET {api}/studies?format=json&pageSize=N`` following ``nextPageToken`` (the API's cursor:
each next page is asked for with the same parameters and the token), and writes each study
as one line of JSON, the form ``trialkg build`` streams and ``trialkg load`` reads. A file
ending in ``.gz`` is written as one gzip member per page (a valid gzip file that any reader
decompresses whole).

The download is restartable. Pages go into ``.<name>.part`` beside the target, and after each
page the cursor, the counts and the byte size reached are written to ``.<name>.part.json``. A
run that stops (a network failure, Ctrl-C) leaves both; the same command again cuts the part
file back to the last whole page and carries on from the saved cursor. Only a complete
download is moved onto the target name, so the target is never half written.

Requests are spaced by ``pause`` seconds (ClinicalTrials.gov asks for about 50 requests a
minute). Failures that may pass (no connection, a timeout, HTTP 429 or 5xx, a body cut short)
are retried with growing waits, honouring ``Retry-After``; any other answer stops the run
with a :class:`~kg.errors.FetchError` naming the URL, the page and the API's message.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import httpx

from kg.errors import FetchError

__all__ = ["API", "FetchReport", "StudyQuery", "fetch_studies"]

logger = logging.getLogger(__name__)

#: The ClinicalTrials.gov API v2.
API = "https://clinicaltrials.gov/api/v2"
#: The largest page the API serves.
MAX_PAGE_SIZE = 1000
#: HTTP statuses worth asking again for.
_TRANSIENT = {408, 425, 429, 500, 502, 503, 504}
#: The longest wait between two tries of one page, in seconds.
_MAX_WAIT = 120.0

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class StudyQuery:
    """Which studies to download; every field left empty asks for all of them."""

    #: Only studies whose last update was posted on or after this day.
    updated_since: dt.date | None = None
    #: An Essie expression for the API's ``query.term`` (e.g. ``AREA[Phase]PHASE1``).
    term: str | None = None
    #: Words for the API's ``query.cond`` (conditions, with their synonyms).
    condition: str | None = None

    def params(self) -> dict[str, str]:
        """The API parameters that select the studies (the same for every page)."""
        params: dict[str, str] = {}
        if self.term:
            params["query.term"] = self.term
        if self.condition:
            params["query.cond"] = self.condition
        if self.updated_since:
            day = self.updated_since.isoformat()
            params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{day},MAX]"
        return params


@dataclass
class FetchReport:
    """What a download wrote."""

    path: Path
    studies: int = 0
    pages: int = 0
    #: How many studies the API said match (asked on the first page), if it said.
    total: int | None = None
    #: The newest ``lastUpdatePostDateStruct.date`` among the studies written.
    newest_update: str | None = None
    #: Requests tried again after a failure that may pass.
    retries: int = 0
    #: Bytes of the file written.
    size: int = 0
    #: True when the run carried on from an earlier, interrupted one.
    resumed: bool = False


@dataclass
class _State:
    """The saved progress of a download: enough to carry on after the last whole page."""

    url: str
    #: The API parameters of every page (page size included).
    params: dict[str, str]
    limit: int | None
    next_token: str | None = None
    studies: int = 0
    pages: int = 0
    total: int | None = None
    newest_update: str | None = None
    size: int = 0

    def same_request(self, other: _State) -> bool:
        return (self.url, self.params, self.limit) == (other.url, other.params, other.limit)


def _user_agent() -> str:
    try:
        return f"trialkg/{version('trialkg')}"
    except PackageNotFoundError:  # pragma: no cover - running from a tree without metadata
        return "trialkg"


def _part_paths(out: Path) -> tuple[Path, Path]:
    return out.with_name(f".{out.name}.part"), out.with_name(f".{out.name}.part.json")


def _load_state(path: Path) -> _State | None:
    try:
        return _State(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("%s: cannot read the saved progress (%s); starting over", path, exc)
        return None


def _save_state(path: Path, state: _State) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _newest_update(study: Mapping[str, Any]) -> str | None:
    try:
        day = study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
    except (KeyError, TypeError):
        return None
    return day if isinstance(day, str) else None


def _retry_after(response: httpx.Response | None, tries: int, pause: float) -> float:
    """Seconds to wait before the next try: the server's ``Retry-After``, else doubling."""
    if response is not None:
        value = response.headers.get("Retry-After", "")
        if value.strip().isdigit():
            return min(float(value), _MAX_WAIT)
    return min(max(pause, 1.0) * 2 ** (tries - 1), _MAX_WAIT) if pause else 0.0


def _message(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:300] + ("…" if len(text) > 300 else "")


class _Pages:
    """The pages of one query, asked for one at a time with retries and spacing."""

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        params: Mapping[str, str],
        *,
        pause: float,
        tries: int,
        sleep: Callable[[float], None],
    ) -> None:
        self._client = client
        self._url = url
        self._params = dict(params)
        self._pause = pause
        self._tries = tries
        self._sleep = sleep
        self._last = 0.0
        self.retries = 0

    def get(self, number: int, token: str | None, *, count_total: bool) -> dict[str, Any]:
        params = dict(self._params)
        if token:
            params["pageToken"] = token
        if count_total:
            params["countTotal"] = "true"
        where = f"page {number}" + (f" (pageToken {token})" if token else "")
        problem = ""
        for attempt in range(1, self._tries + 1):
            wait = self._last + self._pause - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            self._last = time.monotonic()
            response: httpx.Response | None = None
            try:
                response = self._client.get(self._url, params=params)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code in _TRANSIENT:
                    problem = f"HTTP {response.status_code}: {_message(response)}"
                elif response.is_error:
                    # a saved cursor the API no longer knows: say how to start over
                    stale = " (run again with --restart to start over)" if token else ""
                    raise FetchError(
                        str(response.url),
                        f"{where}: HTTP {response.status_code} {response.reason_phrase}: "
                        f"{_message(response)}{stale}",
                    )
                else:
                    try:
                        body = response.json()
                    except ValueError as exc:
                        problem = f"the answer is not JSON ({exc})"
                    else:
                        if not isinstance(body, dict) or not isinstance(body.get("studies"), list):
                            raise FetchError(
                                str(response.url),
                                f"{where}: expected a JSON object with a 'studies' array; "
                                f"found {_message(response)}",
                            )
                        return body
            if attempt < self._tries:
                delay = _retry_after(response, attempt, self._pause)
                logger.info("%s %s: %s; trying again in %.1f s", self._url, where, problem, delay)
                self.retries += 1
                self._sleep(delay)
        raise FetchError(self._url, f"{where}: {problem} ({self._tries} tries)")


def _lines(studies: list[Any]) -> Iterator[bytes]:
    for study in studies:
        yield json.dumps(study, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def fetch_studies(
    out: Path,
    query: StudyQuery = StudyQuery(),
    *,
    api: str = API,
    page_size: int = MAX_PAGE_SIZE,
    limit: int | None = None,
    pause: float = 1.3,
    tries: int = 6,
    restart: bool = False,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 120.0,
) -> FetchReport:
    """Download the studies ``query`` selects into ``out``, one JSON object a line.

    :param api: the API's base URL (a mirror, or a test server).
    :param limit: stop after this many studies.
    :param pause: least seconds between two requests.
    :param tries: tries per page before giving up on a failure that may pass.
    :param restart: ignore an interrupted earlier run of the same download.
    :param progress: called after each page with the studies written and the API's total.
    :raises FetchError: the API refused or kept failing; progress so far is kept for a rerun.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}; found {page_size}")
    if limit is not None:
        page_size = min(page_size, limit)  # no larger pages than the studies wanted
    url = api.rstrip("/") + "/studies"
    params = {"format": "json", "pageSize": str(page_size), **query.params()}
    part, state_path = _part_paths(out)
    fresh = _State(url=url, params=params, limit=limit)
    saved = None if restart else _load_state(state_path)
    resumed = saved is not None and saved.same_request(fresh) and part.exists()
    if saved is not None and not resumed:
        logger.warning("%s: an earlier download of other studies is discarded", part)
    state = saved if resumed and saved is not None else fresh
    out.parent.mkdir(parents=True, exist_ok=True)
    compress = out.name.lower().endswith(".gz")
    report = FetchReport(out, resumed=resumed)
    with (
        httpx.Client(
            headers={"User-Agent": _user_agent(), "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            follow_redirects=True,
            transport=transport,
        ) as client,
        part.open("r+b" if resumed else "wb") as sink,
    ):
        if resumed:
            sink.truncate(state.size)
            sink.seek(state.size)
            logger.info(
                "%s: carrying on after %d studies in %d pages", out, state.studies, state.pages
            )
        pages = _Pages(client, url, params, pause=pause, tries=tries, sleep=sleep)
        done = state.pages > 0 and state.next_token is None
        while not done and (limit is None or state.studies < limit):
            body = pages.get(state.pages + 1, state.next_token, count_total=state.pages == 0)
            studies = body["studies"]
            if limit is not None:
                studies = studies[: limit - state.studies]
            data = b"".join(_lines(studies))
            sink.write(gzip.compress(data, compresslevel=5, mtime=0) if compress else data)
            sink.flush()
            os.fsync(sink.fileno())
            state.pages += 1
            state.studies += len(studies)
            if state.pages == 1 and isinstance(body.get("totalCount"), int):
                state.total = body["totalCount"]
            for study in studies:
                day = _newest_update(study)
                if day and (state.newest_update is None or day > state.newest_update):
                    state.newest_update = day
            token = body.get("nextPageToken")
            token = token if isinstance(token, str) and token else None
            if token is not None and token == state.next_token:
                raise FetchError(url, f"page {state.pages}: the API gave the same pageToken again")
            state.next_token = token
            state.size = sink.tell()
            _save_state(state_path, state)
            done = state.next_token is None
            if progress:
                progress(state.studies, state.total)
    os.replace(part, out)
    state_path.unlink(missing_ok=True)
    report.studies, report.pages, report.total = state.studies, state.pages, state.total
    report.newest_update, report.retries = state.newest_update, pages.retries
    report.size = out.stat().st_size
    logger.info(
        "fetched %d studies in %d pages into %s (%d bytes)",
        report.studies,
        report.pages,
        out,
        report.size,
    )
    return report
