"""A graph's triples as the bodies of write requests, each of a bounded size.

:class:`GraphLines` holds one graph's triples as N-Triples text and cuts them into
:class:`Piece`\\ s of at most :data:`BATCH_BYTES`, keeping every blank node's triples (and those
of each blank node linked to it) in one piece: a store makes one node of a label only within one
request. :func:`packed` gathers pieces into requests; :func:`update_text` writes a request as a
SPARQL update, within the limits of the engine (:mod:`kg.store.engines`); :meth:`Piece.turtle`
as a Graph Store Protocol body.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.errors import StoreError
from kg.store.engines import Engine

__all__ = ["BATCH_BYTES", "BlankTriple", "GraphLines", "Piece", "packed", "update_text"]

#: About the most bytes of triples in one request body.
BATCH_BYTES = 4_000_000

#: A triple with a blank node, as its subject, predicate and object in N-Triples.
BlankTriple = tuple[str, str, str]


@dataclass(slots=True)
class Piece:
    """Part of one graph's content, to go in one request; ``drop`` replaces the graph."""

    graph: ox.NamedNode
    drop: bool
    ground: list[str] = field(default_factory=list)
    blank: list[list[BlankTriple]] = field(default_factory=list)
    size: int = 0

    def turtle(self) -> bytes:
        """The piece as a Turtle (N-Triples) document: blank-node labels are its own."""
        blank = "".join(f"{s} {p} {o} .\n" for group in self.blank for s, p, o in group)
        return ("".join(self.ground) + blank).encode("utf-8")


class GraphLines:
    """One graph's triples as N-Triples, split into pieces of at most ``BATCH_BYTES``.

    Triples without blank nodes go in any piece; those with blank nodes are held until the
    last pieces, grouped so that every triple of a blank node, and of each blank node linked
    to it, lands in one piece (a store makes one node of a label only within one request).
    """

    def __init__(self, graph: ox.NamedNode) -> None:
        self.graph = graph
        #: How many quads were given, and the bytes of the triples not yet sent.
        self.given = 0
        self.size = 0
        self._ground: list[str] = []
        self._blank: list[BlankTriple] = []
        self._labels: list[tuple[str, ...]] = []
        self._distinct: set[int] = set()
        self._replace = True

    @property
    def distinct(self) -> int:
        """How many distinct triples were given: what the store must hold."""
        return len(self._distinct)

    def add(self, quad: ox.Quad) -> None:
        if quad.graph_name != self.graph:
            raise StoreError(f"quad for graph {quad.graph_name} given to replace {self.graph}")
        s, p, o = str(quad.subject), str(quad.predicate), str(quad.object)
        self._distinct.add(hash((s, p, o)))
        self.given += 1
        labels = tuple(t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode))
        if labels:
            self._blank.append((s, p, o))
            self._labels.append(labels)
        else:
            line = f"{s} {p} {o} .\n"
            self._ground.append(line)
            self.size += len(line)

    def pieces(self, *, final: bool) -> list[Piece]:
        """The triples not yet taken, as pieces (``final``: with those of blank nodes)."""
        pieces: list[Piece] = []
        piece = Piece(self.graph, drop=False)
        for line in self._ground:
            if piece.size and piece.size + len(line) > BATCH_BYTES:
                pieces.append(piece)
                piece = Piece(self.graph, drop=False)
            piece.ground.append(line)
            piece.size += len(line)
        self._ground, self.size = [], 0
        if final:
            for group in self._blank_groups():
                size = sum(len(s) + len(p) + len(o) + 4 for s, p, o in group)
                if piece.size and piece.size + size > BATCH_BYTES:
                    pieces.append(piece)
                    piece = Piece(self.graph, drop=False)
                piece.blank.append(group)
                piece.size += size
            self._blank, self._labels = [], []
        if piece.ground or piece.blank or (final and self._replace and not pieces):
            pieces.append(piece)
        if pieces and self._replace:
            pieces[0].drop = True
            self._replace = False
        return pieces

    def _blank_groups(self) -> list[list[BlankTriple]]:
        """The triples with blank nodes, grouped by linked blank nodes (union-find)."""
        parent: dict[str, str] = {}

        def root(label: str) -> str:
            while (up := parent.setdefault(label, label)) != label:
                parent[label] = parent.setdefault(up, up)
                label = up
            return label

        for labels in self._labels:
            first = root(labels[0])
            for other in labels[1:]:
                parent[root(other)] = first
        groups: dict[str, list[BlankTriple]] = {}
        for triple, labels in zip(self._blank, self._labels, strict=True):
            groups.setdefault(root(labels[0]), []).append(triple)
        return list(groups.values())


def packed(pieces: list[Piece]) -> Iterator[list[Piece]]:
    """Pieces gathered into requests of at most about ``BATCH_BYTES`` (whole pieces)."""
    request: list[Piece] = []
    size = 0
    for piece in pieces:
        if request and size + piece.size > BATCH_BYTES:
            yield request
            request, size = [], 0
        request.append(piece)
        size += piece.size
    if request:
        yield request


def update_text(pieces: list[Piece], engine: Engine) -> bytes:
    """One SPARQL update writing ``pieces``: drops, one ``INSERT DATA`` of the triples without
    blank nodes (``GRAPH`` blocks of at most ``engine.block_triples``), then ``INSERT {...}
    WHERE {}`` templates of at most ``engine.template_triples`` for those with blank nodes,
    whose labels are made unique to each operation (stores refuse a label in two)."""
    operations = [f"DROP SILENT GRAPH {piece.graph}" for piece in pieces if piece.drop]
    blocks = [
        f"GRAPH {piece.graph} {{\n{''.join(piece.ground[i : i + engine.block_triples])}}}"
        for piece in pieces
        for i in range(0, len(piece.ground), engine.block_triples)
    ]
    if blocks:
        operations.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
    template: dict[ox.NamedNode, list[str]] = {}
    count = 0

    def close_template() -> None:
        blocks = "".join(f"GRAPH {g} {{\n{''.join(lines)}}}\n" for g, lines in template.items())
        operations.append(f"INSERT {{\n{blocks}}} WHERE {{ }}")

    for piece in pieces:
        for group in piece.blank:
            if template and count + len(group) > engine.template_triples:
                close_template()
                template, count = {}, 0
            suffix = f"x{len(operations)}"
            template.setdefault(piece.graph, []).extend(
                f"{_relabelled(s, suffix)} {p} {_relabelled(o, suffix)} .\n" for s, p, o in group
            )
            count += len(group)
    if template:
        close_template()
    return (engine.update_prologue + " ;\n".join(operations)).encode("utf-8")


def _relabelled(term: str, suffix: str) -> str:
    return term + suffix if term.startswith("_:") else term
