"""What routes answer with: RDF in a served format, plain-text errors; and the formats offered.

The RDF formats come from :data:`kg.formats.SERVED`, the project's one table of formats.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kg.export import jsonld
from kg.formats import SERVED, Format
from kg.server.context import context
from kg.server.negotiate import choose

__all__ = [
    "DEFAULT_RDF_TYPE",
    "DOCUMENT_TYPES",
    "HTML",
    "RDF_FORMATS",
    "error",
    "origin",
    "preferred",
    "rdf_response",
]

HTML = "text/html"
#: The RDF formats of documents and CONSTRUCT/DESCRIBE results, by media type, the default first.
RDF_FORMATS: dict[str, Format] = {fmt.media_type: fmt for fmt in SERVED}
#: The media type of RDF for a client that accepts none of the served ones.
DEFAULT_RDF_TYPE = SERVED[0].media_type
#: What a document comes as: RDF, or a page for people.
DOCUMENT_TYPES: tuple[str, ...] = (*RDF_FORMATS, HTML)


def origin(request: Request) -> str:
    """Where the absolute URLs the server writes into documents start: the configured base
    (``--base-iri``), without its last slash.

    Never the request's Host header: a client chooses it, and documents are kept and shared
    (caches, dumps), so a forged host must not reach them. The server answers at the base, as
    the trial IRIs there resolve to it (``/trial/...``).
    """
    return context(request).config.base.rstrip("/")


def preferred(request: Request, offered: Sequence[str]) -> str | None:
    """The offered media type the request's Accept header prefers (see :func:`choose`)."""
    return choose(request.headers.get("accept"), offered)


def error(status: int, message: str) -> PlainTextResponse:
    """An error answered as one line of plain text."""
    return PlainTextResponse(message + "\n", status_code=status)


def rdf_response(
    request: Request,
    triples: list[ox.Triple],
    media: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """``triples`` in the served RDF format of ``media``, written with the server's prefixes.

    JSON-LD names the server's published context (``/context.jsonld``, under the configured
    base) as its ``@context``.
    """
    prefixes = context(request).config.prefixes
    fmt = RDF_FORMATS[media]
    if fmt.is_jsonld:
        body = jsonld(triples, prefixes, context_url=f"{origin(request)}/context.jsonld")
    else:
        body = ox.serialize(triples, None, fmt.oxigraph, prefixes=prefixes) or b""
    return Response(body, media_type=media, headers=headers)
