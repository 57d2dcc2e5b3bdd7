"""What guards the server against hostile requests, from the socket to the response headers.

- :class:`HTTPProtocol`: uvicorn's HTTP/1.1 protocol (h11), answering a request head too long to
  read with 414 or 431 that the client receives (uvicorn's own answer is lost in a reset when the
  client is still sending); :data:`SERVER_OPTIONS` puts it and its limit in uvicorn's options.
- :class:`RequestGuard`: refuses, before any route reads it, a request target longer than
  :data:`MAX_TARGET` (414), header fields past :data:`MAX_HEADERS` (431), and a path or query
  string that is not UTF-8 once percent-decoded or holds a control character (400).
- :class:`ServerErrors`: an unexpected exception becomes a plain 500 whose body says nothing of
  it; the traceback goes to the log.
- :class:`SecurityHeaders`: ``X-Content-Type-Options: nosniff`` on every response, a
  :data:`CONTENT_SECURITY_POLICY` on every page, and no ``Location`` naming the Host header a
  client sent.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE  # as uvicorn reads it
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from kg.server.responses import error

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "MAX_HEADERS",
    "MAX_TARGET",
    "SERVER_OPTIONS",
    "HTTPProtocol",
    "RequestGuard",
    "SecurityHeaders",
    "ServerErrors",
]

logger = logging.getLogger(__name__)

#: Bytes of a request target (path and query string). A SPARQL query longer than this goes by
#: POST, as the SPARQL Protocol advises for long queries.
MAX_TARGET = 32 * 1024
#: Bytes of a request's header fields, names and values.
MAX_HEADERS = 32 * 1024
#: How long a connection whose request head was refused reads and drops what the client still
#: sends, so that the client gets the answer instead of a reset.
DRAIN_SECONDS = 5.0

#: What pages may load: their own scripts, styles and images (files under /static; the pages
#: have no inline script, style or event handler), the type-ahead's fetch of /api/suggest, the
#: search form; nothing may frame them.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

#: The options ``trialkg serve`` gives ``uvicorn.run``: the guarded protocol, and how much of a
#: request head it buffers before it refuses the request (uvicorn's default is 16 KiB, less than
#: the target the application accepts).
SERVER_OPTIONS: dict[str, Any] = {
    "http": "kg.server.security:HTTPProtocol",
    "h11_max_incomplete_event_size": MAX_TARGET + MAX_HEADERS,
}


class HTTPProtocol(H11Protocol):
    """uvicorn's h11 protocol, answering a request head it cannot read with a status the client
    receives.

    uvicorn answers an unreadable head with 400 and closes the socket while the client may still
    be sending (a 1 MB request line): the unread bytes make the close a reset, and the client
    sees no status at all. Here a head past ``h11_max_incomplete_event_size`` gets 414 when its
    request line is the long part, 431 when its header fields are, any other malformed head 400;
    then the connection drops what the client still sends until it stops (at most
    :data:`DRAIN_SECONDS`) before closing.
    """

    _drain: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        if self._drain is None:
            super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._drain is not None:
            self._drain.cancel()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        status, text = self._head_problem()
        body = f"{text}\n".encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"x-content-type-options", b"nosniff"),
            (b"connection", b"close"),
        ]
        reason = HTTPStatus(status).phrase.encode("ascii")
        events = (
            h11.Response(status_code=status, headers=headers, reason=reason),
            h11.Data(data=body),
            h11.EndOfMessage(),
        )
        try:
            self.transport.write(b"".join(self.conn.send(event) or b"" for event in events))
        except h11.LocalProtocolError:  # a response is already under way: nothing can be said
            self.transport.close()
            return
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self._drain = self.loop.call_later(DRAIN_SECONDS, self.transport.close)

    def _head_problem(self) -> tuple[int, str]:
        """The status and message for the request head h11 refused."""
        head, _ = self.conn.trailing_data
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        if len(head) <= limit:
            return 400, "malformed HTTP request"
        line_end = head.find(b"\r\n")
        if line_end < 0 or line_end > MAX_TARGET:
            return 414, _target_too_long()
        return 431, _headers_too_large()


class RequestGuard:
    """ASGI middleware refusing what no route can read: a request target or header fields past
    their limits, a path or query string that is not UTF-8 or holds a control character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = _problem(scope) if scope["type"] == "http" else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, message = problem
        await error(status, message)(scope, receive, send)


class ServerErrors:
    """ASGI middleware answering an unexpected exception with a plain 500, its traceback logged
    (on ``kg.server.security``) and never sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:  # too late for a status: the server closes the connection
                raise
            logger.exception("unexpected error answering %s %r", scope["method"], scope["path"])
            answer = error(500, "internal server error (the server's log says more)")
            await answer(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware adding ``X-Content-Type-Options: nosniff`` to every response and the
    :data:`CONTENT_SECURITY_POLICY` to HTML; a ``Location`` on the host the client named
    becomes a path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _secured(list(message.get("headers", [])), scope)
            await send(message)

        await self.app(scope, receive, secure)


def _secured(headers: list[tuple[bytes, bytes]], scope: Scope) -> list[tuple[bytes, bytes]]:
    names = {name.lower() for name, _ in headers}
    if b"x-content-type-options" not in names:
        headers.append((b"x-content-type-options", b"nosniff"))
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    if content_type.lower().startswith(b"text/html") and b"content-security-policy" not in names:
        headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")))
    host = next((v for n, v in scope["headers"] if n == b"host"), None)
    if host is None:
        return headers
    return [(n, _on_this_server(v, host) if n.lower() == b"location" else v) for n, v in headers]


def _on_this_server(location: bytes, host: bytes) -> bytes:
    """``location`` as a path when it names ``host``, the Host header the client sent.

    Starlette's redirect of ``/sparql/`` to ``/sparql`` names the host from that header; a shared
    cache in front of the server could keep such a redirect, a forged host in it, for everyone.
    """
    url = urlsplit(location.decode("latin-1"))
    if url.scheme not in ("http", "https") or url.netloc.encode("latin-1") != host:
        return location
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return path.encode("latin-1")


def _problem(scope: Scope) -> tuple[int, str] | None:
    """Why no route can read the request, as a status and a message; None when one can."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    if len(raw_path) + len(query) > MAX_TARGET:
        return 414, _target_too_long()
    if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADERS:
        return 431, _headers_too_large()
    # A query string may carry a SPARQL query over several lines; a path has no line at all.
    for part, name, allowed in ((raw_path, "path", ""), (query, "query string", "\t\n\r")):
        decoded = unquote_to_bytes(part)
        try:
            text = decoded.decode("utf-8")
        except UnicodeDecodeError as exc:
            return 400, (
                f"the {name} is not UTF-8 once percent-decoded: byte {decoded[exc.start]:#04x} "
                f"at {exc.start} ({exc.reason})"
            )
        control = next(
            (c for c in text if unicodedata.category(c) == "Cc" and c not in allowed), None
        )
        if control is not None:
            return 400, f"the {name} holds a control character (U+{ord(control):04X})"
    return None


def _target_too_long() -> str:
    return (
        f"the request target (path and query) is longer than {MAX_TARGET:,} bytes; "
        "send a long SPARQL query by POST"
    )


def _headers_too_large() -> str:
    return f"the request's header fields are larger than {MAX_HEADERS:,} bytes"
