"""The RDF formats trialkg writes: one table that export, the command line and the server read.

Adding an output format is one row here. Each row names the format as the command line does,
the pyoxigraph format that writes it, its media type and its file suffix, whether it holds
named graphs (a dataset) and whether the server offers it for documents and CONSTRUCT results.

>>> by_name("turtle").media_type
'text/turtle'
>>> by_media_type("application/n-triples").name, by_suffix("rdf").name
('ntriples', 'rdfxml')
>>> [f.name for f in FORMATS if f.datasets]
['nquads', 'trig']
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

__all__ = ["FORMATS", "NAMES", "SERVED", "Format", "by_media_type", "by_name", "by_suffix"]


@dataclass(frozen=True, slots=True)
class Format:
    """One RDF format trialkg writes."""

    #: The name the command line takes (``--format turtle``).
    name: str
    #: The pyoxigraph format that writes it. JSON-LD is written compact, through rdflib.
    oxigraph: ox.RdfFormat
    #: The media type the server answers with and negotiates on.
    media_type: str
    #: The file suffix, without the dot; also the server's ``/trial/<id>.<suffix>``.
    suffix: str
    #: Whether it holds named graphs (an export keeps each trial's graph).
    datasets: bool
    #: Whether the server offers it for trial documents and CONSTRUCT/DESCRIBE results.
    served: bool

    @property
    def is_jsonld(self) -> bool:
        """JSON-LD is written compact, with a context, through rdflib."""
        return self.oxigraph == ox.RdfFormat.JSON_LD


#: Every format, in the order the command line lists them; the first is the default.
FORMATS: tuple[Format, ...] = (
    Format("turtle", ox.RdfFormat.TURTLE, "text/turtle", "ttl", datasets=False, served=True),
    Format("ntriples", ox.RdfFormat.N_TRIPLES, "application/n-triples", "nt", False, served=True),
    Format("nquads", ox.RdfFormat.N_QUADS, "application/n-quads", "nq", True, served=False),
    Format("trig", ox.RdfFormat.TRIG, "application/trig", "trig", True, served=False),
    Format("rdfxml", ox.RdfFormat.RDF_XML, "application/rdf+xml", "rdf", False, served=True),
    Format("jsonld", ox.RdfFormat.JSON_LD, "application/ld+json", "jsonld", False, served=True),
)

#: The command line's names, in order.
NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS)

#: What the server offers for documents and CONSTRUCT results, the default first.
SERVED: tuple[Format, ...] = tuple(f for f in FORMATS if f.served)


def by_name(name: str) -> Format:
    """The format the command line calls ``name``. :raises KeyError: for an unknown name."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise KeyError(f"unknown RDF format {name!r}; known: {', '.join(NAMES)}")


def by_media_type(media_type: str) -> Format | None:
    """The format of a media type (``;charset`` and such ignored), if trialkg writes it."""
    bare = media_type.split(";", 1)[0].strip().lower()
    return next((f for f in FORMATS if f.media_type == bare), None)


def by_suffix(suffix: str) -> Format | None:
    """The format of a file suffix (``ttl`` or ``.ttl``), if trialkg writes it."""
    bare = suffix.removeprefix(".").lower()
    return next((f for f in FORMATS if f.suffix == bare), None)
