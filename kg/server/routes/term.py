"""``/term/<curie>``: an ontology term's page, listing the trials on it or anything below it."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg.server.context import context
from kg.server.responses import HTML, error, preferred

__all__ = ["term_page"]


async def term_page(request: Request) -> Response:
    """One page of a term's trials (``?page=N``, from 1), as HTML or JSON; ``Link`` headers
    point at the pages before and after it."""
    shared = context(request)
    given = request.path_params["curie"]
    curie = given if ":" in given else given.replace("_", ":", 1)  # DOID:5426 or DOID_5426
    term = shared.terms.index.get(curie)
    if term is None:
        return error(404, f"no term {curie} in the loaded ontologies")
    asked = request.query_params.get("page", "1")
    if not asked.isdigit() or int(asked) < 1:
        return error(400, f"page must be a whole number from 1; found {asked!r}")
    listing = await run_in_threadpool(shared.terms.listing, term.curie, int(asked))
    if listing is None:
        return error(404, f"{term.curie} has no page {asked} of trials")
    trials = listing.pop("trials")
    link = ", ".join(f'<{listing[rel]}>; rel="{rel}"' for rel in ("prev", "next") if listing[rel])
    headers = {"Link": link} if link else None
    if preferred(request, [HTML, "application/json"]) == "application/json":
        return JSONResponse(
            {"term": term.curie, "label": term.label, "iri": term.iri, **listing, "trials": trials},
            headers=headers,
        )
    return shared.templates.TemplateResponse(
        request,
        "term.html",
        {"term": term, "trials": trials, "index": shared.terms.index, "listing": listing},
        headers=headers,
    )
