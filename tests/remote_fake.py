"""An in-process SPARQL store for the remote store's tests: pyoxigraph behind httpx's MockTransport.

:class:`FakeStore` answers as ``oxigraph serve`` lays out its endpoints (``/query``,
``/update``, ``/store``), records every request, and can misbehave the ways real stores do:
answer as Virtuoso (its ``Server`` header, ``nodeID://`` blank nodes, booleans as 1/0, a row
cap flagged by ``X-SPARQL-MaxRows``), flag answers partial, shuffle pages, or take bodies and
store nothing. Virtuoso's ``DEFINE`` lines are dropped before pyoxigraph reads a text.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
import pyoxigraph as ox

BASE = "http://store.test:7878"
VIRTUOSO_SERVER = "Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu"
JSON = "application/sparql-results+json"


@dataclass
class FakeStore:
    """A SPARQL store in this process; ``transport`` goes to :class:`RemoteStore`."""

    #: The ``Server`` header of every answer (None: none).
    server: str | None = None
    #: The most rows of an answer; more are cut and the answer says so (X-SPARQL-MaxRows).
    row_cap: int | None = None
    #: Write answers as Virtuoso does (nodeID:// labels, 1/0 booleans, 2e+06 doubles).
    virtuoso_answers: bool = False
    #: Accept writes but store nothing (as Virtuoso does with a chunked body).
    lose_writes: bool = False
    #: Flag every SELECT answer partial (X-SQL-State).
    partial: bool = False
    #: Answer LIMIT/OFFSET pages in a new order each time.
    shuffle_pages: bool = False
    #: Answer this instead, when it returns a response.
    intercept: Callable[[httpx.Request], httpx.Response | None] | None = None
    store: ox.Store = field(default_factory=ox.Store)
    seen: list[httpx.Request] = field(default_factory=list)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def writes(self) -> list[httpx.Request]:
        """The requests that wrote (updates and GSP requests)."""
        return [r for r in self.seen if not r.url.path.endswith("/query")]

    def queries(self) -> list[str]:
        """The text of every query asked, in order."""
        return [
            parse_qs(r.content.decode())["query"][0]
            for r in self.seen
            if r.url.path.endswith("/query")
        ]

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.seen.append(request)
        if self.intercept is not None and (answer := self.intercept(request)) is not None:
            return answer
        headers = {"server": self.server} if self.server else {}
        path = request.url.path
        try:
            if path.endswith("/query"):
                return self._query(request, headers)
            if path.endswith("/update"):
                if not self.lose_writes:
                    self.store.update(_without_defines(request.content.decode()))
                return httpx.Response(204, headers=headers)
            if path.endswith("/store"):
                return self._graph_store(request, headers)
        except SyntaxError as exc:
            return httpx.Response(400, text=str(exc), headers=headers)
        return httpx.Response(404, headers=headers)

    def _graph_store(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Response:
        graph = ox.NamedNode(request.url.params["graph"])
        exists = any(True for _ in self.store.quads_for_pattern(None, None, None, graph))
        if request.method == "DELETE":
            if not exists:
                return httpx.Response(404, headers=headers)
            self.store.remove_graph(graph)
            return httpx.Response(204, headers=headers)
        if self.lose_writes:
            return httpx.Response(201, headers=headers)
        if request.method == "PUT" and exists:
            self.store.remove_graph(graph)
        self.store.load(request.content, format=ox.RdfFormat.TURTLE, to_graph=graph)
        return httpx.Response(204 if exists else 201, headers=headers)

    def _query(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Response:
        form = parse_qs(request.content.decode())
        text = _without_defines(form["query"][0])
        page = re.search(r" LIMIT (\d+) OFFSET (\d+)$", text) if self.shuffle_pages else None
        if page:
            text = text[: page.start()]
        union = form.get("union-default-graph") == ["true"] or self.virtuoso_answers
        defaults = [ox.NamedNode(g) for g in form.get("default-graph-uri", [])]
        result = self.store.query(
            text,
            use_default_graph_as_union=union and not defaults,
            default_graph=defaults or None,
        )
        if isinstance(result, ox.QueryTriples):
            body = result.serialize(format=ox.RdfFormat.N_TRIPLES)
            return httpx.Response(
                200, content=body, headers={**headers, "content-type": "application/n-triples"}
            )
        answer = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
        if "results" in answer:
            rows = answer["results"]["bindings"]
            if page:
                random.shuffle(rows)
                limit, offset = int(page.group(1)), int(page.group(2))
                rows[:] = rows[offset : offset + limit]
            if self.row_cap is not None and len(rows) >= self.row_cap:
                del rows[self.row_cap :]
                headers["x-sparql-maxrows"] = str(self.row_cap)
            if self.partial:
                headers["x-sql-state"] = "S1TAT"
                headers["x-sql-message"] = "RC...: Returning incomplete results"
            if self.virtuoso_answers:
                for row in rows:
                    for term in row.values():
                        _as_virtuoso_writes(term)
        return httpx.Response(
            200, content=json.dumps(answer).encode(), headers={**headers, "content-type": JSON}
        )


def _without_defines(sparql: str) -> str:
    """The text without Virtuoso's DEFINE lines, which only Virtuoso reads."""
    return re.sub(r"\ADEFINE [^\n]*\n", "", sparql)


def _as_virtuoso_writes(term: dict[str, str]) -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    if term["type"] == "bnode":
        term["value"] = "nodeID://" + term["value"]
    elif term.get("datatype") == f"{xsd}boolean":
        term["value"] = "1" if term["value"] == "true" else "0"
    elif term.get("datatype") == f"{xsd}double":
        term["value"] = f"{float(term['value']):g}"
    elif term.get("datatype") == f"{xsd}duration" and term["value"] == "P18Y":
        term["value"] = "216"
