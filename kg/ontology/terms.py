"""The term index: every class of the loaded ontologies, with lookup tables built once.

>>> from kg.store import Store
>>> index = TermIndex.from_store(Store.in_memory())
>>> index.get("DOID:5426") is None
True
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import UnknownTermError
from kg.ids import DEFAULT_BASE_IRI, normalise_prefix, to_curie, to_iri
from kg.ontology.load import OntologyRelease, load_ontology, read_releases
from kg.rdf.vocab import OBO, OBOINOWL, OWL, RDF, RDFS
from kg.store import QuadStore, Store

__all__ = ["Synonym", "Term", "TermIndex", "normalise_text"]

logger = logging.getLogger(__name__)

_IAO_DEFINITION = OBO.IAO_0000115
_IAO_REPLACED_BY = OBO.IAO_0100001
_SCOPES = {
    OBOINOWL.hasExactSynonym: "EXACT",
    OBOINOWL.hasNarrowSynonym: "NARROW",
    OBOINOWL.hasBroadSynonym: "BROAD",
    OBOINOWL.hasRelatedSynonym: "RELATED",
}
_SPACES = re.compile(r"\s+")


def _xref_key(xref: str) -> str:
    """``MSH:D016649`` and ``MESH:D016649`` alike: the Bioregistry prefix, no spaces, upper case."""
    prefix, sep, local = xref.replace(" ", "").partition(":")
    return f"{normalise_prefix(prefix)}:{local}".upper() if sep else xref.upper()


def normalise_text(text: str) -> str:
    """Unicode NFC, case folded, runs of white space made one space, trimmed.

    >>> normalise_text("  Primary  Ovarian\\nInsufficiency ")
    'primary ovarian insufficiency'
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


@dataclass(frozen=True, slots=True)
class Synonym:
    """A synonym of a term with its OBO scope."""

    text: str
    #: ``"EXACT"``, ``"NARROW"``, ``"BROAD"`` or ``"RELATED"``.
    scope: str


@dataclass(frozen=True, slots=True)
class Term:
    """One ontology class, as its release describes it."""

    #: e.g. ``"DOID:5426"``.
    curie: str
    #: e.g. ``"http://purl.obolibrary.org/obo/DOID_5426"``.
    iri: str
    label: str | None
    definition: str | None
    comment: str | None
    synonyms: tuple[Synonym, ...]
    #: Cross-references as the file writes them, e.g. ``"MESH:D016649"``.
    xrefs: tuple[str, ...]
    #: Alternative (merged) ids, as CURIEs.
    alt_ids: tuple[str, ...]
    obsolete: bool
    #: CURIEs of the terms that replace an obsolete one.
    replaced_by: tuple[str, ...]
    #: CURIEs an obsolete term suggests considering instead (no single replacement).
    consider: tuple[str, ...]
    #: CURIEs of the asserted named superclasses.
    parents: tuple[str, ...]
    #: Short name of the ontology release the term was read from.
    ontology: str


class _Builder:
    """Collects a term's facts while the graph streams by."""

    __slots__ = (
        "alt",
        "comment",
        "consider",
        "definition",
        "label",
        "obsolete",
        "parents",
        "replaced",
        "synonyms",
        "xrefs",
    )

    def __init__(self) -> None:
        self.label: str | None = None
        self.definition: str | None = None
        self.comment: str | None = None
        self.synonyms: list[Synonym] = []
        self.xrefs: list[str] = []
        self.alt: list[str] = []
        self.obsolete = False
        self.replaced: list[str] = []
        self.consider: list[str] = []
        self.parents: list[str] = []


class TermIndex:
    """All terms of the loaded ontologies, by id and by every name they go by.

    Lookups by CURIE (also by alternative id) and by IRI; lookup tables by label, synonym,
    definition and cross-reference, built once.
    """

    def __init__(self, terms: Iterable[Term], releases: Iterable[OntologyRelease] = ()) -> None:
        self._terms: dict[str, Term] = {}
        self._alt: dict[str, str] = {}
        #: The releases the terms came from.
        self.releases = tuple(releases)
        self._by_label: dict[str, list[str]] = defaultdict(list)
        self._by_synonym: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._by_definition: dict[str, list[str]] = defaultdict(list)
        self._by_xref: dict[str, list[str]] = defaultdict(list)
        self._children: dict[str, list[str]] = defaultdict(list)
        for term in terms:
            self._terms[term.curie] = term
        for term in self._terms.values():
            for alt in term.alt_ids:
                self._alt.setdefault(alt, term.curie)
            if term.label:
                # Obsolete terms keep their old words: "obsolete mixed-type liposarcoma".
                label = term.label.removeprefix("obsolete ") if term.obsolete else term.label
                self._by_label[normalise_text(label)].append(term.curie)
            for syn in term.synonyms:
                self._by_synonym[syn.scope][normalise_text(syn.text)].append(term.curie)
            if term.definition:
                self._by_definition[normalise_text(term.definition)].append(term.curie)
            for xref in term.xrefs:
                self._by_xref[_xref_key(xref)].append(term.curie)
            for parent in term.parents:
                self._children[parent].append(term.curie)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_store(cls, store: QuadStore, *, base: str = DEFAULT_BASE_IRI) -> TermIndex:
        """Build the index from every ontology graph in the store (one pass per graph)."""
        releases = read_releases(store, base=base)
        terms: list[Term] = []
        for release in releases:
            graphs = [ox.NamedNode(release.graph)]
            inferred = ox.NamedNode(f"{base}graph/inferred/{release.name}")
            if store.has_graph(inferred):  # the reasoner's hierarchy, when it was classified
                graphs.append(inferred)
            terms.extend(_terms_of_graph(store, graphs, release.name))
        logger.info("term index: %d terms from %d ontologies", len(terms), len(releases))
        return cls(terms, releases)

    @classmethod
    def from_files(cls, *paths: str | Path) -> TermIndex:
        """Load ontology files into a throw-away in-memory store and index them."""
        store = Store.in_memory()
        for path in paths:
            load_ontology(store, path)
        return cls.from_store(store)

    # -- lookups ------------------------------------------------------------------------------

    def _resolve(self, curie_or_iri: str) -> str | None:
        text = curie_or_iri.strip()
        curie = to_curie(text) if text.startswith(("http://", "https://")) else text
        if curie is None:
            return None
        if curie in self._terms:
            return curie
        return self._alt.get(curie)

    def get(self, curie_or_iri: str) -> Term | None:
        """The term with this CURIE, IRI or alternative id; None when unknown."""
        curie = self._resolve(curie_or_iri)
        return self._terms[curie] if curie else None

    def __getitem__(self, curie_or_iri: str) -> Term:
        """The term with this CURIE, IRI or alternative id.

        :raises UnknownTermError: when no loaded ontology defines it.
        """
        term = self.get(curie_or_iri)
        if term is None:
            raise UnknownTermError(curie_or_iri, known=[r.name for r in self.releases])
        return term

    def __contains__(self, curie_or_iri: object) -> bool:
        return isinstance(curie_or_iri, str) and self._resolve(curie_or_iri) is not None

    def __len__(self) -> int:
        return len(self._terms)

    def iter_terms(self) -> Iterator[Term]:
        return iter(self._terms.values())

    def label(self, curie: str) -> str | None:
        term = self.get(curie)
        return term.label if term else None

    def labels(self, curies: Iterable[str]) -> dict[str, str | None]:
        return {curie: self.label(curie) for curie in curies}

    def by_label(self, text: str) -> tuple[str, ...]:
        """CURIEs whose label equals ``text`` once both are normalised."""
        return tuple(self._by_label.get(normalise_text(text), ()))

    def by_synonym(self, text: str, scope: str = "EXACT") -> tuple[str, ...]:
        """CURIEs with a synonym of this scope equal to ``text`` once normalised."""
        return tuple(self._by_synonym[scope].get(normalise_text(text), ()))

    def by_definition(self, text: str) -> tuple[str, ...]:
        """CURIEs whose definition equals ``text`` once normalised."""
        return tuple(self._by_definition.get(normalise_text(text), ()))

    def by_xref(self, xref: str) -> tuple[str, ...]:
        """CURIEs that cross-reference ``xref`` (e.g. ``"MESH:D016649"``; ``MSH``, ``NCI``,
        ``UMLS_CUI``, ``MIM``, ``SNOMEDCT_US_<date>`` prefixes are read the Bioregistry way)."""
        return tuple(self._by_xref.get(_xref_key(xref), ()))

    def ancestors(self, curie: str) -> set[str]:
        """All named superclasses of a term, by asserted ``rdfs:subClassOf``, not the term."""
        seen: set[str] = set()
        stack = list(self[curie].parents)
        while stack:
            parent = stack.pop()
            if parent in seen:
                continue
            seen.add(parent)
            term = self._terms.get(parent)
            if term:
                stack.extend(term.parents)
        return seen

    def descendants(self, curie: str) -> set[str]:
        """All named subclasses of a term, by asserted ``rdfs:subClassOf``, not the term."""
        seen: set[str] = set()
        stack = list(self._children.get(self[curie].curie, ()))
        while stack:
            child = stack.pop()
            if child not in seen:
                seen.add(child)
                stack.extend(self._children.get(child, ()))
        return seen

    def release_of(self, curie: str) -> OntologyRelease | None:
        """The release a term was read from."""
        term = self.get(curie)
        if term is None:
            return None
        return next((r for r in self.releases if r.name == term.ontology), None)


def _terms_of_graph(store: QuadStore, graphs: list[ox.NamedNode], ontology: str) -> Iterator[Term]:
    builders: dict[str, _Builder] = defaultdict(_Builder)
    classes: set[str] = set()
    quads = (quad for graph in graphs for quad in store.quads(graph=graph))
    for quad in quads:
        subject, predicate, obj = quad.subject, quad.predicate, quad.object
        if not isinstance(subject, ox.NamedNode) or isinstance(obj, ox.Triple):
            continue
        iri = subject.value
        if predicate == RDF.type:
            if obj == OWL.Class:
                classes.add(iri)
            continue
        value = obj.value
        if predicate == RDFS.label:
            b = builders[iri]
            b.label = b.label or value
        elif predicate == _IAO_DEFINITION:
            b = builders[iri]
            b.definition = b.definition or value
        elif predicate == RDFS.comment:
            b = builders[iri]
            b.comment = b.comment or value
        elif predicate in _SCOPES:
            builders[iri].synonyms.append(Synonym(value, _SCOPES[predicate]))
        elif predicate == OBOINOWL.hasDbXref:
            builders[iri].xrefs.append(value.strip())
        elif predicate == OBOINOWL.hasAlternativeId:
            builders[iri].alt.append(value.strip())
        elif predicate == OWL.deprecated:
            builders[iri].obsolete = value in ("true", "1")
        elif predicate == _IAO_REPLACED_BY:
            replacement = to_curie(value) if isinstance(obj, ox.NamedNode) else value.strip()
            if replacement:
                builders[iri].replaced.append(replacement)
        elif predicate == OBOINOWL.consider:
            builders[iri].consider.append(to_curie(value) or value.strip())
        elif predicate == RDFS.subClassOf and isinstance(obj, ox.NamedNode):
            parent = to_curie(value)
            if parent:
                builders[iri].parents.append(parent)
    for iri in classes:
        curie = to_curie(iri)
        if curie is None:
            continue
        b = builders.get(iri) or _Builder()
        yield Term(
            curie=curie,
            iri=to_iri(curie) or iri,
            label=b.label,
            definition=b.definition,
            comment=b.comment,
            synonyms=tuple(b.synonyms),
            xrefs=tuple(b.xrefs),
            alt_ids=tuple(b.alt),
            obsolete=b.obsolete,
            replaced_by=tuple(b.replaced),
            consider=tuple(b.consider),
            parents=tuple(dict.fromkeys(b.parents)),
            ontology=ontology,
        )
