"""What describes the dataset: its VoID, the trialkg vocabulary, the JSON-LD context that
documents name, and the health check."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg.server.context import context
from kg.server.responses import (
    DEFAULT_RDF_TYPE,
    DOCUMENT_TYPES,
    HTML,
    RDF_FORMATS,
    origin,
    preferred,
    rdf_response,
)

__all__ = ["health", "jsonld_context", "vocab", "void"]


async def vocab(request: Request) -> Response:
    """``/vocab``, the document of the vocabulary's hash IRIs (``/vocab#condition``): RDF or
    a page."""
    shared = context(request)
    media = preferred(request, DOCUMENT_TYPES) or DEFAULT_RDF_TYPE
    triples = await run_in_threadpool(shared.dataset.vocabulary)
    if media == HTML:
        terms = shared.dataset.vocabulary_table(triples)
        return shared.templates.TemplateResponse(request, "vocab.html", {"terms": terms})
    return rdf_response(request, triples, media)


async def void(request: Request) -> Response:
    """The VoID description of the dataset."""
    media = preferred(request, list(RDF_FORMATS)) or DEFAULT_RDF_TYPE
    triples = await run_in_threadpool(context(request).dataset.void, origin(request))
    return rdf_response(request, triples, media)


async def jsonld_context(request: Request) -> Response:
    """The JSON-LD context that the server's JSON-LD documents name: its prefixes."""
    prefixes = context(request).config.prefixes
    return Response(json.dumps({"@context": prefixes}, indent=2), media_type="application/ld+json")


async def health(request: Request) -> Response:
    """Whether the server answers, and how many statements its store holds."""
    return JSONResponse({"status": "ok", "quads": len(context(request).store)})
