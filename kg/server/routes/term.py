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
    page = _page_number(asked)
    if page is None:
        return error(400, f"page must be a whole number from 1; found {asked[:40]!r}")
    listing = await run_in_threadpool(shared.terms.listing, term.curie, page)
    if listing is None:
        return error(404, f"{term.curie} has no page {asked[:40]} of trials")
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


#: A page number with more digits is past the last page of any term.
_PAGE_DIGITS = 12


def _page_number(asked: str) -> int | None:
    """The page ``?page=`` names, written in ASCII digits, from 1; None for anything else. A
    number of more than ``_PAGE_DIGITS`` digits comes back as ``10**_PAGE_DIGITS``, past the
    last page of every term all the same.

    ``int()`` also reads "٣" (Arabic-Indic), "４" (fullwidth), " 7" and "+7", and raises on "²"
    though ``str.isdigit()`` accepts it; a number of thousands of digits it refuses outright.

    >>> [_page_number(p) for p in ("1", "0002", "0", "-1", "+1", "²", "٣", "1e3", "")]
    [1, 2, None, None, None, None, None, None, None]
    >>> _page_number("9" * 5000) == 10**_PAGE_DIGITS
    True
    """
    if not (asked.isascii() and asked.isdigit()):
        return None
    digits = asked.lstrip("0")
    if not digits:
        return None
    return int(digits) if len(digits) <= _PAGE_DIGITS else 10**_PAGE_DIGITS
