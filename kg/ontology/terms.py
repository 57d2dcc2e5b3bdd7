"""The term index: every class of the loaded ontologies, with lookup tables built once.

A store may hold several releases of one ontology (DOID 2016 and DOID 2026, say). The index
keeps one term per id, merged across the releases that define it (:func:`merge_releases`): the
newest release (:func:`kg.ontology.load.release_order`) has the last word, and the older ones
add the words it dropped.

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
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox

from kg.errors import UnknownTermError
from kg.ids import DEFAULT_BASE_IRI, normalise_prefix, to_curie, to_iri
from kg.ontology.load import (
    OntologyRelease,
    inferred_graph,
    load_ontology,
    read_releases,
    release_order,
)
from kg.rdf.vocab import OBO, OBOINOWL, OWL, RDF, RDFS
from kg.store import QuadStore, Store

__all__ = [
    "Synonym",
    "Term",
    "TermIndex",
    "merge_releases",
    "normalise_text",
    "terms_of_release",
]

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
    #: The named graph of that release (the newest defining the term, when several do); None
    #: for a term not read from a store.
    release_graph: str | None = None

    @property
    def plain_label(self) -> str | None:
        """The label without the "obsolete " that releases put before an obsolete term's."""
        if self.label and self.obsolete:
            return self.label.removeprefix("obsolete ")
        return self.label


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
        self._release_by_graph = {release.graph: release for release in self.releases}
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
            if term.plain_label:
                # Obsolete terms keep their old words: "obsolete mixed-type liposarcoma".
                self._by_label[normalise_text(term.plain_label)].append(term.curie)
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
        """Build the index from every ontology release in the store (one pass per graph),
        merging the releases that define the same id (:func:`merge_releases`)."""
        releases = read_releases(store, base=base)
        newest_first = sorted(releases, key=release_order, reverse=True)
        terms = merge_releases(
            [list(terms_of_release(store, release, base=base)) for release in newest_first]
        )
        logger.info("term index: %d terms from %d releases", len(terms), len(releases))
        return cls(terms, releases)

    @classmethod
    def from_files(cls, *paths: str | Path) -> TermIndex:
        """Load ontology files into a throw-away in-memory store and index them; releases
        that their release dates do not rank are ranked by the order of ``paths``, the last
        the newest."""
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
            names = dict.fromkeys(r.name for r in self.releases)
            raise UnknownTermError(curie_or_iri, known=list(names))
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
        """The release a term was read from: the newest defining it, when several do."""
        term = self.get(curie)
        if term is None or term.release_graph is None:
            return None
        return self._release_by_graph.get(term.release_graph)


def terms_of_release(
    store: QuadStore, release: OntologyRelease, *, base: str = DEFAULT_BASE_IRI
) -> Iterator[Term]:
    """The terms one release defines, as it alone describes them: from its graph, and from its
    inferred graph when it was classified (:mod:`kg.ontology.reason`)."""
    graphs = [ox.NamedNode(release.graph)]
    inferred = inferred_graph(release, base=base)
    if store.has_graph(inferred):
        graphs.append(inferred)
    return _terms_of_graphs(store, graphs, release)


def _terms_of_graphs(
    store: QuadStore, graphs: list[ox.NamedNode], release: OntologyRelease
) -> Iterator[Term]:
    """One term per OWL class that the graphs name, with the facts they state about it."""
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
            ontology=release.name,
            release_graph=release.graph,
        )


def merge_releases(releases: Sequence[Sequence[Term]]) -> list[Term]:
    """One term per id from the terms of several releases, given newest release first.

    - An id is a term, or an alternative id of another term, as the newest release naming it
      says: a term that a newer release merged into another (listing its id as an ``alt_id``)
      is folded into that one, as if it were an older release of it.
    - The newest release defining a term decides its label, definition, comment, obsolete
      status and replacements.
    - Its parents are the newest release's too (hierarchies of different releases do not
      compose: a term moved to another branch would sit under both), except that a release
      giving a live term no parent at all is not taken to make it a root, since subsets drop
      the ``is_a`` links that leave them (DO_rare_slim does for 1,856 of its 3,460 terms): the
      next newest release naming parents gives them.
    - The older releases' labels become synonyms, EXACT (the same class under an older name),
      or RELATED when the term was obsolete in that release (it named a retired class) or the
      label is now another term's (a split).
    - Synonyms, cross-references and alternative ids are united, once each; a synonym listed in
      several scopes keeps the newest release's, and an alternative id that is a term of its own
      again is dropped.
    """
    owners = _owners(releases)
    groups: dict[str, list[Term]] = {}
    for terms in releases:
        for term in terms:
            groups.setdefault(_survivor(owners, term.curie), []).append(term)
    if all(len(group) == 1 for group in groups.values()):
        return [group[0] for group in groups.values()]
    labels: dict[str, list[str]] = defaultdict(list)
    for curie, group in groups.items():
        if group[0].plain_label:
            labels[normalise_text(group[0].plain_label)].append(curie)
    return [
        group[0] if len(group) == 1 else _merged(curie, group, labels, groups.keys())
        for curie, group in groups.items()
    ]


def _owners(releases: Sequence[Sequence[Term]]) -> dict[str, str]:
    """Each id's owner as the newest release naming it says: the id itself for a term, else the
    term listing it as an alternative id (a release's terms before its alternative ids)."""
    owners: dict[str, str] = {}
    for terms in releases:
        for term in terms:
            owners.setdefault(term.curie, term.curie)
        for term in terms:
            for alt in term.alt_ids:
                owners.setdefault(alt, term.curie)
    return owners


def _survivor(owners: dict[str, str], curie: str) -> str:
    """The term an id ends up in after every merge.

    Each step goes to a strictly newer release (the owner was decided by a release newer than
    the one that made the id an alternative id), so the walk ends.
    """
    while (owner := owners[curie]) != curie:
        curie = owner
    return curie


def _merged(
    curie: str, group: list[Term], labels: dict[str, list[str]], terms: Collection[str]
) -> Term:
    """One term from its descriptions in several releases, newest first (rules:
    :func:`merge_releases`)."""
    head = group[0]
    seen = {normalise_text(head.plain_label)} if head.plain_label else set()
    synonyms: list[Synonym] = []

    def add(text: str, scope: str) -> None:
        key = normalise_text(text)
        if key not in seen:
            seen.add(key)
            synonyms.append(Synonym(text, scope))

    for term in group:
        old_label = term.plain_label
        if term is not head and old_label:
            renamed = any(c != curie for c in labels.get(normalise_text(old_label), ()))
            add(old_label, "RELATED" if term.obsolete or renamed else "EXACT")
        for synonym in term.synonyms:
            add(synonym.text, synonym.scope)
    parents = head.parents
    if not head.obsolete and not parents:
        parents = next((t.parents for t in group if t.curie == curie and t.parents), ())
    xrefs: dict[str, str] = {}  # MSH:D016649 and MESH:D016649 once, spelt the newest way
    for term in group:
        for xref in term.xrefs:
            xrefs.setdefault(_xref_key(xref), xref)
    alt_ids = (a for term in group for a in (term.curie, *term.alt_ids))
    return replace(
        head,
        synonyms=tuple(synonyms),
        xrefs=tuple(xrefs.values()),
        alt_ids=tuple(dict.fromkeys(a for a in alt_ids if a != curie and a not in terms)),
        parents=parents,
    )
