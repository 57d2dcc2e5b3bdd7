"""Pages for people looking for trials: the home page (a search form), search results, and
the form's type-ahead suggestions."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg.server.context import context

__all__ = ["home", "search", "suggest"]


async def home(request: Request) -> Response:
    """The search form, with how much the store holds."""
    shared = context(request)
    stats = await run_in_threadpool(shared.dataset.stats)
    return shared.templates.TemplateResponse(request, "index.html", {"stats": stats})


async def search(request: Request) -> Response:
    """The terms matching ``?q=``, each with the first of its trials."""
    shared = context(request)
    q = request.query_params.get("q", "").strip()
    results = await run_in_threadpool(shared.search.search, q) if q else []
    return shared.templates.TemplateResponse(request, "search.html", {"q": q, "results": results})


async def suggest(request: Request) -> Response:
    """Terms whose label or a synonym contains ``?q=`` (two characters at least), as JSON."""
    q = request.query_params.get("q", "").strip()
    return JSONResponse(context(request).search.suggest(q) if len(q) >= 2 else [])
