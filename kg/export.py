"""Export the graph as RDF files: Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD.

Graph formats (Turtle, N-Triples, RDF/XML, JSON-LD) merge the selected named graphs into one
graph; dataset formats (N-Quads, TriG) keep each named graph. Private graphs (contact
persons) are never exported.

Oxigraph writes every format as it goes except JSON-LD, which rdflib writes compacted with
the project's prefixes as its ``@context`` (so it holds the selection in memory).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import IO

import pyoxigraph as ox

import kg.formats as formats
from kg.errors import TrialkgError
from kg.ids import DEFAULT_BASE_IRI
from kg.rdf.vocab import PREFIXES
from kg.store import Counted, QuadStore

__all__ = ["SELECTIONS", "export", "jsonld", "select_graphs"]

logger = logging.getLogger(__name__)

#: Which named graphs an export takes.
SELECTIONS = ("trials", "ontologies", "all")


def select_graphs(
    store: QuadStore, selection: str, *, base: str = DEFAULT_BASE_IRI
) -> list[ox.NamedNode]:
    """The named graphs of a selection: ``trials``, ``ontologies`` (with the vocabulary) or ``all``.

    Private graphs are in no selection.
    """
    if selection not in SELECTIONS:
        raise TrialkgError(f"unknown graph selection {selection!r}; known: {', '.join(SELECTIONS)}")
    chosen = []
    for graph in sorted(store.named_graphs(), key=lambda g: g.value):
        iri = graph.value
        if iri.startswith(f"{base}graph/private/"):
            continue
        is_ontology = iri == f"{base}graph/vocab" or iri.startswith(
            (f"{base}graph/ontology/", f"{base}graph/inferred/")
        )
        if selection == "all" or (selection == "ontologies") == is_ontology:
            chosen.append(graph)
    return chosen


def _quads(store: QuadStore, graphs: list[ox.NamedNode]) -> Iterator[ox.Quad]:
    for graph in graphs:
        yield from store.quads(graph=graph)


def export(
    store: QuadStore,
    output: IO[bytes],
    fmt: str = "turtle",
    *,
    selection: str = "trials",
    base: str = DEFAULT_BASE_IRI,
) -> int:
    """Write the selected graphs to ``output`` in format ``fmt`` (a name of :mod:`kg.formats`).

    :returns: the number of statements written.
    :raises TrialkgError: for an unknown format or selection, listing the known ones.
    """
    try:
        rdf_format = formats.by_name(fmt)
    except KeyError:
        raise TrialkgError(
            f"unknown export format {fmt!r}; known: {', '.join(formats.NAMES)}"
        ) from None
    graphs = select_graphs(store, selection, base=base)
    counter = Counted(_quads(store, graphs))
    quads = iter(counter)
    prefixes = {**PREFIXES, "trial": f"{base}trial/"}
    if rdf_format.is_jsonld:
        _jsonld(quads, output, prefixes)
    elif rdf_format.datasets:
        ox.serialize(quads, output, rdf_format.oxigraph, prefixes=prefixes)
    else:
        triples = (q.triple for q in quads)
        ox.serialize(triples, output, rdf_format.oxigraph, prefixes=prefixes)
    logger.info("exported %d statements from %d graphs as %s", counter.count, len(graphs), fmt)
    return counter.count


def jsonld(
    triples: Iterable[ox.Triple], prefixes: dict[str, str], *, context_url: str | None = None
) -> bytes:
    """Triples as compact JSON-LD (rdflib), the prefixes as its context.

    :param context_url: write this URL as ``@context`` instead of the inline prefixes (a server
        that publishes the same context as a document).
    """
    import json

    import rdflib

    nt = ox.serialize(triples, None, ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    graph.parse(data=nt.decode("utf-8") if nt else "", format="nt")
    text = graph.serialize(format="json-ld", context=prefixes, auto_compact=True)
    if context_url is None:
        return text.encode("utf-8")
    document = json.loads(text)
    document["@context"] = context_url
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def _jsonld(quads: Iterator[ox.Quad], output: IO[bytes], prefixes: dict[str, str]) -> None:
    output.write(jsonld((q.triple for q in quads), prefixes))
