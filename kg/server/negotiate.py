"""Content negotiation: pick a media type from an Accept header, with q-values and wildcards."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["choose"]


def _parse(accept: str) -> list[tuple[str, float, int]]:
    ranges = []
    for order, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
                # Weights run from 0 to 1; NaN or a negative weight counts as 0.
                q = min(q, 1.0) if q >= 0.0 else 0.0
        ranges.append((media, q, order))
    return ranges


def choose(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers; ``offered[0]`` when it accepts anything.

    >>> choose("text/html;q=0.9, text/turtle", ["application/ld+json", "text/turtle", "text/html"])
    'text/turtle'
    >>> choose("image/png", ["text/turtle"]) is None
    True
    """
    if not accept or not accept.strip():
        return offered[0]
    best: tuple[float, int, int] | None = None
    chosen = None
    for index, media in enumerate(offered):
        major = media.split("/")[0]
        for pattern, q, _order in _parse(accept):
            exact = pattern == media
            if not (exact or pattern == "*/*" or pattern == f"{major}/*") or q <= 0:
                continue
            # Prefer higher q, then an exact match over a wildcard, then our own order.
            rank = (q, 2 if exact else (1 if pattern != "*/*" else 0), -index)
            if best is None or rank > best:
                best, chosen = rank, media
    return chosen
