"""Trials, the Cool URIs way: ``/trial/<key>`` (the trial) answers ``303 See Other`` to one of
its documents, ``/doc/trial/<key>.<extension>``: RDF in each served format, or a page."""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from kg.server.context import context
from kg.server.responses import DOCUMENT_TYPES, HTML, RDF_FORMATS, error, preferred, rdf_response

__all__ = ["trial", "trial_document"]

#: A trial's documents by file extension: the served RDF formats, then the page.
_EXTENSIONS: dict[str, str] = {
    **{fmt.suffix: media for media, fmt in RDF_FORMATS.items()},
    "html": HTML,
}
_EXTENSION_OF = {media: extension for extension, media in _EXTENSIONS.items()}


async def trial(request: Request) -> Response:
    """Redirect to the trial's document in the format the client prefers.

    The redirect carries that document too, so a client that does not follow it still gets
    the data.
    """
    key = request.path_params["key"]
    iri = _trial_iri(request, key)
    if iri is None:
        return _not_a_key(key)
    media = preferred(request, DOCUMENT_TYPES)
    if media is None:
        return error(406, f"documents come as {', '.join(DOCUMENT_TYPES)}")
    response = await _document(request, key, iri, media)
    if response.status_code != 200:
        return response
    response.status_code = 303
    response.headers["location"] = f"/doc/trial/{quote(key)}.{_EXTENSION_OF[media]}"
    response.headers["vary"] = "Accept"
    return response


async def trial_document(request: Request) -> Response:
    """The trial's document in the format its extension names."""
    key = request.path_params["key"]
    iri = _trial_iri(request, key)
    if iri is None:
        return _not_a_key(key)
    media = _EXTENSIONS.get(request.path_params["ext"])
    if media is None:
        return error(404, f"no such document format; known: {', '.join(_EXTENSIONS)}")
    return await _document(request, key, iri, media)


def _trial_iri(request: Request, key: str) -> ox.NamedNode | None:
    """The IRI of the trial with this key; None when no IRI can end with it (a space, a quote,
    a brace or an angle bracket), so no trial has it."""
    try:
        return ox.NamedNode(f"{context(request).config.base}trial/{key}")
    except ValueError:
        return None


def _not_a_key(key: str) -> Response:
    return error(
        400, f"not a trial key: {key!r} (an NCT number, or a registry key such as hpscreg-48)"
    )


async def _document(request: Request, key: str, iri: ox.NamedNode, media: str) -> Response:
    """What the trial's sources say of it, as ``media``, linking its other documents."""
    shared = context(request)
    triples = await run_in_threadpool(shared.trials.describe, iri)
    if not triples:
        return error(404, f"no trial {key} in this graph")
    links = {f"/doc/trial/{quote(key)}.{ext}": m for ext, m in _EXTENSIONS.items()}
    headers = {
        "link": ", ".join(f'<{url}>; rel="alternate"; type="{m}"' for url, m in links.items())
    }
    if media == HTML:
        page = await run_in_threadpool(shared.trials.page, iri, triples)
        return shared.templates.TemplateResponse(
            request, "trial.html", {"trial": page, "key": key, "links": links}, headers=headers
        )
    return rdf_response(request, triples, media, headers=headers)
