"""The access log: one structured (JSON) line per request, on the ``kg.server.access`` logger."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["AccessLog"]

access_log = logging.getLogger("kg.server.access")


class AccessLog:
    """ASGI middleware logging each request's method, path, status, duration and client."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def record(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            client = scope.get("client") or ("-", 0)
            access_log.info(
                json.dumps(
                    {
                        "method": scope["method"],
                        "path": scope["path"],
                        "query": scope.get("query_string", b"").decode("latin-1")[:200],
                        "status": status["code"],
                        "ms": round((time.perf_counter() - start) * 1000, 1),
                        "client": client[0],
                    }
                )
            )
