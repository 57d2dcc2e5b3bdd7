"""What the pages and documents show, read from the store (no HTTP here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pyoxigraph as ox

from kg.ids import to_curie
from kg.ontology.load import read_releases
from kg.ontology.terms import TermIndex, normalise_text
from kg.rdf.vocab import (
    DCTERMS,
    FOAF,
    OBO,
    OWL,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    TRIALKG,
    TRIALKG_NS,
    XSD,
)
from kg.server.cache import TermCache
from kg.store import QuadStore
from kg.store.sparql_text import bind_values

__all__ = ["Site", "TrialPage", "service_description"]

_SD = "http://www.w3.org/ns/sparql-service-description#"
_VOID = "http://rdfs.org/ns/void#"

# Trials linked to a term or anything below it. The link is one path with two branches, so
# the planner walks it backwards from the classes found below the term; the same link written
# as a UNION made Oxigraph (0.5) read every trial's links first: 7 s for one small term at
# 100,000 trials instead of 5 ms.
_LINKED_UNDER = """
  ?linked rdfs:subClassOf* ?term .
  ?trial trialkg:condition|(trialkg:intervention/trialkg:cellType) ?linked .
"""
_TRIALS_UNDER_COUNT = f"SELECT (COUNT(DISTINCT ?trial) AS ?trials) WHERE {{ {_LINKED_UNDER} }}"
# The trials by identifier. Oxigraph looks a trial's identifier up once per trial (about
# 6 us each); above a few thousand trials reading every identifier once and joining on them
# (the subquery) is cheaper: 155 ms instead of 810 ms for a page of a term with 61,000 trials
# in a 100,000-trial benchmark store.
_IDENTIFIER_LOOKUP = "?trial dcterms:identifier ?id ."
_IDENTIFIER_JOIN = "{ SELECT ?trial ?id WHERE { ?trial dcterms:identifier ?id } }"
_LOOKUP_UP_TO = 5_000
# Their identifiers (an identifier is the trial's key; short, so Oxigraph keeps it inline and
# reading it is cheap, unlike an IRI).
_IDS_UNDER = "SELECT DISTINCT ?id WHERE {{ {linked} {identifier} }}"
# The trials of one page, with their titles.
_ABOUT = """
SELECT ?trial ?id ?title WHERE {{
  VALUES ?id {{ {ids} }}
  ?trial dcterms:identifier ?id ; a obo:OBI_0003699 .
  OPTIONAL {{ ?trial dcterms:title ?title }}
}}
"""
# What the trials of a page link to; the server keeps the links below the term (by its index:
# asking the store to walk the hierarchy again would walk down from the term once more).
_LINKS_OF = """
SELECT ?trial ?linked WHERE {{
  VALUES ?trial {{ {trials} }}
  ?trial trialkg:condition|(trialkg:intervention/trialkg:cellType) ?linked .
}}
"""
#: Trials a term page lists at a time.
TERM_PAGE_SIZE = 100


def _t(
    s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode, o: ox.NamedNode | ox.BlankNode | ox.Literal
) -> ox.Triple:
    return ox.Triple(s, p, o)


@dataclass
class TrialPage:
    """The facts a trial page shows."""

    iri: str
    titles: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    dates: list[tuple[str, str, str]] = field(default_factory=list)
    enrollment: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    conditions: list[dict[str, str]] = field(default_factory=list)
    cell_types: list[dict[str, str]] = field(default_factory=list)
    dose_arms: list[dict[str, str]] = field(default_factory=list)
    sponsors: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)


class Site:
    """Reads what the server shows from one store and its term index.

    With ``remember`` (for a store only this process can change), a term's trial count, and
    for a term with many trials its trials in page order, are read once and kept in
    :attr:`cache`; ``cache.forget()`` drops them after a write.
    """

    def __init__(
        self, store: QuadStore, index: TermIndex, base: str, *, remember: bool = False
    ) -> None:
        self.store = store
        self.index = index
        self.base = base
        self.cache = TermCache(remember=remember)

    # -- trials -------------------------------------------------------------------------------

    def source_graphs(self, trial: ox.NamedNode) -> list[ox.NamedNode]:
        """The public graphs describing a trial (one per source)."""
        graphs = []
        for quad in self.store.quads(predicate=FOAF.primaryTopic, obj=trial):
            graph = quad.graph_name
            if (
                isinstance(graph, ox.NamedNode)
                and quad.subject == graph
                and not graph.value.startswith(f"{self.base}graph/private/")
            ):
                graphs.append(graph)
        return graphs

    def describe_trial(self, trial: ox.NamedNode) -> list[ox.Triple]:
        """Every statement the trial's source graphs make, plus labels of the linked terms."""
        triples = [q.triple for g in self.source_graphs(trial) for q in self.store.quads(graph=g)]
        linked = {
            t.object.value
            for t in triples
            if t.predicate in (TRIALKG.condition, TRIALKG.cellType, TRIALKG.groundedTo)
            and isinstance(t.object, ox.NamedNode)
        }
        for iri in sorted(linked):
            term = self.index.get(iri)
            if term and term.label:
                triples.append(_t(ox.NamedNode(iri), RDFS.label, ox.Literal(term.label)))
        return triples

    def trial_page(self, trial: ox.NamedNode, triples: list[ox.Triple]) -> TrialPage:
        """What a trial's page shows, from its description (:meth:`describe_trial`)."""
        by_subject: dict[object, dict[ox.NamedNode, list[object]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for t in triples:
            by_subject[t.subject][t.predicate].append(t.object)
        node = by_subject[trial]

        def values(subject: object, predicate: ox.NamedNode) -> list[str]:
            return [
                o.value
                for o in by_subject[subject][predicate]
                if isinstance(o, ox.NamedNode | ox.Literal)
            ]

        def label(iri: str) -> str:
            found = values(ox.NamedNode(iri), RDFS.label)
            if found:
                return found[0]
            vocab = self.store.quads(subject=ox.NamedNode(iri), predicate=RDFS.label)
            return next((q.object.value for q in vocab if isinstance(q.object, ox.Literal)), iri)

        page = TrialPage(trial.value)
        page.titles = sorted(set(values(trial, DCTERMS.title)))
        page.acronyms = sorted(set(values(trial, TRIALKG.acronym)))
        page.identifiers = sorted(
            set(values(trial, DCTERMS.identifier) + values(trial, TRIALKG.secondaryIdentifier))
        )
        page.phases = sorted({label(p) for p in values(trial, TRIALKG.phase)})
        page.statuses = sorted({label(p) for p in values(trial, TRIALKG.recruitmentStatus)})
        for prop, name in ((TRIALKG.startDate, "start"), (TRIALKG.endDate, "end")):
            for dated in node[prop]:
                when = values(dated, TRIALKG.date)
                flag = values(dated, TRIALKG.estimated)
                kind = {"true": "estimated", "false": "actual"}.get(flag[0] if flag else "", "")
                page.dates.append((name, when[0] if when else "", kind))
        for prop, kind in (
            (TRIALKG.targetEnrollment, "target"),
            (TRIALKG.actualEnrollment, "actual"),
            (TRIALKG.enrollment, ""),
        ):
            page.enrollment += [f"{v} ({kind})" if kind else v for v in values(trial, prop)]
        page.summaries = values(trial, DCTERMS.abstract)
        for iri in sorted(set(values(trial, TRIALKG.condition))):
            page.conditions.append(self._term_link(iri, label(iri)))
        for intervention in node[TRIALKG.intervention]:
            for iri in values(intervention, TRIALKG.cellType):
                page.cell_types.append(self._term_link(iri, label(iri)))
            for arm in by_subject[intervention][TRIALKG.doseArm]:
                count = values(arm, TRIALKG.cellCount)
                page.dose_arms.append(
                    {
                        "label": (values(arm, RDFS.label) or [""])[0],
                        "cells": f"{float(count[0]):,.0f}" if count else "",
                        "scope": (values(arm, TRIALKG.doseScope) or [""])[0],
                        "text": (values(arm, TRIALKG.sourceText) or [""])[0],
                    }
                )
        page.dose_arms.sort(key=lambda a: float(a["cells"].replace(",", "") or 0))
        for sponsor in node[SCHEMA.sponsor]:
            page.sponsors += values(sponsor, SCHEMA.name)
        for graph in self.source_graphs(trial):
            page.sources.append(
                {
                    "graph": graph.value,
                    "record": (values(graph, TRIALKG.sourceRecord) or [""])[0],
                    "from": (values(graph, PROV.wasDerivedFrom) or [""])[0],
                    "file": (values(graph, DCTERMS.source) or [""])[0],
                    "loaded": (values(graph, PROV.generatedAtTime) or [""])[0],
                    "checksum": (values(graph, TRIALKG.recordChecksum) or [""])[0],
                    "updated": (values(graph, TRIALKG.recordUpdated) or [""])[0],
                }
            )
        page.see_also = sorted(set(values(trial, RDFS.seeAlso)))
        return page

    def _term_link(self, iri: str, label: str) -> dict[str, str]:
        """A linked term as a page shows it: its CURIE, label and term page."""
        curie = to_curie(iri) or iri
        return {"iri": iri, "curie": curie, "label": label, "page": f"/term/{curie}"}

    def count_trials_under(self, curie: str) -> int:
        """How many trials link to a term or any term below it."""
        return self.cache.count(curie, partial(self._read_count, curie))

    def _read_count(self, curie: str) -> int:
        """How many trials link to a term or any term below it, as the store counts them."""
        # Bound in a VALUES block, so the walk starts from the term (see kg.queries).
        text = bind_values(_TRIALS_UNDER_COUNT, {"term": OBO.term(curie)})
        rows = self.store.query(text, prefixes=PREFIXES)
        assert isinstance(rows, ox.QuerySolutions)
        return sum(int(row["trials"].value) for row in rows)

    def _ids_under(self, curie: str, *, offset: int, limit: int, total: int) -> list[str]:
        """``limit`` identifiers of the trials at or below a term, from ``offset`` on, in order."""
        # Keep a ranking only when it saves much and fits: reading it whole costs about what
        # one page costs without it.
        keep = total > _LOOKUP_UP_TO and self.cache.fits(total)
        ranked = self.cache.ranking(curie, partial(self._rank, curie, total) if keep else None)
        if ranked is not None:
            return ranked[offset : offset + limit]
        return self._read_ids(
            curie, total, f" ORDER BY ?id LIMIT {int(limit)} OFFSET {int(offset)}"
        )

    def _rank(self, curie: str, total: int) -> list[str]:
        """Every identifier of the trials at or below a term, in order."""
        # Sorted here: by code point, as ORDER BY sorts plain literals, but faster.
        return sorted(self._read_ids(curie, total))

    def _read_ids(self, curie: str, total: int, page: str = "") -> list[str]:
        """The identifiers of the trials at or below a term (of ``total``), as the store reads
        them: ``page`` (solution modifiers) picks which, in which order."""
        identifier = _IDENTIFIER_LOOKUP if total <= _LOOKUP_UP_TO else _IDENTIFIER_JOIN
        text = _IDS_UNDER.format(linked=_LINKED_UNDER, identifier=identifier) + page
        # Bound in a VALUES block, so the walk starts from the term.
        rows = self.store.query(bind_values(text, {"term": OBO.term(curie)}), prefixes=PREFIXES)
        assert isinstance(rows, ox.QuerySolutions)
        return [row["id"].value for row in rows]

    def trials_under(
        self,
        curie: str,
        *,
        offset: int = 0,
        limit: int = TERM_PAGE_SIZE,
        total: int | None = None,
    ) -> list[dict[str, str]]:
        """One page of the trials linked to a term or any term below it, by identifier.

        Each trial comes with the term below ``curie`` that links it (``via``; the first by
        CURIE when several do). ``total`` (from :meth:`count_trials_under`) picks the plan.
        """
        if total is None:
            total = self.count_trials_under(curie)
        if offset >= total or limit <= 0:
            return []
        ids = self._ids_under(curie, offset=offset, limit=limit, total=total)
        if not ids:
            return []
        text = _ABOUT.format(ids=" ".join(str(ox.Literal(i)) for i in ids))  # N-Triples
        rows = self.store.query(text, prefixes=PREFIXES)
        assert isinstance(rows, ox.QuerySolutions)
        found: dict[ox.NamedNode, dict[str, str]] = {}
        for row in rows:
            title = row["title"].value if row["title"] else ""
            entry = found.setdefault(
                row["trial"],
                {
                    "key": row["trial"].value.removeprefix(f"{self.base}trial/"),
                    "id": row["id"].value,
                    "title": title,
                },
            )
            entry["title"] = min(filter(None, (entry["title"], title)), default="")
        for trial, via in self._links_under(list(found), curie).items():
            found[trial]["via"] = via
        return sorted(found.values(), key=lambda e: (e["id"], e["key"]))

    def term_listing(self, curie: str, page: int = 1) -> dict[str, Any] | None:
        """Page ``page`` (from 1) of the trials at or below a term: the trials, ``total``,
        ``page``, ``pages``, ``first`` (the rank of the page's first trial) and the ``prev``
        and ``next`` page paths; None past the last page (a term without trials has one)."""
        size = TERM_PAGE_SIZE
        total = self.count_trials_under(curie)
        pages = max(1, -(-total // size))
        if not 1 <= page <= pages:
            return None
        trials = self.trials_under(curie, offset=(page - 1) * size, limit=size, total=total)
        return {
            "total": total,
            "page": page,
            "pages": pages,
            "first": (page - 1) * size + 1 if trials else 0,
            "prev": f"/term/{curie}?page={page - 1}" if page > 1 else None,
            "next": f"/term/{curie}?page={page + 1}" if page < pages else None,
            "trials": trials,
        }

    def _links_under(self, trials: list[ox.NamedNode], curie: str) -> dict[ox.NamedNode, str]:
        """For each trial, the first (by CURIE) of its linked terms at or below ``curie``."""
        if not trials:
            return {}
        text = _LINKS_OF.format(trials=" ".join(str(trial) for trial in trials))  # N-Triples
        rows = self.store.query(text, prefixes=PREFIXES)
        assert isinstance(rows, ox.QuerySolutions)
        links: dict[ox.NamedNode, set[str]] = defaultdict(set)
        for row in rows:
            links[row["trial"]].add(to_curie(row["linked"].value) or row["linked"].value)
        under = {
            c
            for found in links.values()
            for c in found
            if c == curie or (c in self.index and curie in self.index.ancestors(c))
        }
        return {trial: min((links[trial] & under) or links[trial], default="") for trial in trials}

    # -- search -------------------------------------------------------------------------------

    def _matches(self, q: str) -> list[tuple[int, str, str]]:
        """DOID and CL terms whose label or a synonym contains ``q``: (rank, CURIE, name),
        labels before synonyms and names starting with ``q`` first."""
        want = normalise_text(q)
        hits: list[tuple[int, str, str]] = []
        for term in self.index.iter_terms():
            if term.obsolete or not term.curie.startswith(("DOID:", "CL:")):
                continue
            names = [(0, term.label)] + [(1, s.text) for s in term.synonyms]
            for rank, name in names:
                if name and want in normalise_text(name):
                    starts = normalise_text(name).startswith(want)
                    hits.append((rank * 2 + (0 if starts else 1), term.curie, name))
                    break
        return sorted(hits, key=lambda h: (h[0], len(h[2]), h[1]))

    def suggest(self, q: str, limit: int = 10) -> list[dict[str, str]]:
        """Type-ahead: terms whose label or a synonym contains ``q``."""
        return [
            {"curie": c, "label": self.index.label(c) or c, "matched": name, "page": f"/term/{c}"}
            for _, c, name in self._matches(q)[:limit]
        ]

    def search(self, q: str, limit: int = 25, shown: int = 5) -> list[dict[str, object]]:
        """Matching terms, most trials first, each with how many trials link to it or to
        anything below it and the first ``shown`` of them (its term page lists them all)."""
        results: list[dict[str, object]] = []
        for _, curie, name in self._matches(q)[:limit]:
            total = self.count_trials_under(curie)
            results.append(
                {
                    "curie": curie,
                    "label": self.index.label(curie) or curie,
                    "matched": name,
                    "page": f"/term/{curie}",
                    "total": total,
                    "trials": self.trials_under(curie, limit=shown, total=total),
                }
            )
        results.sort(key=lambda r: -int(r["total"]))  # type: ignore[call-overload]
        return results

    # -- vocabulary, VoID, stats --------------------------------------------------------------

    def vocabulary(self) -> list[ox.Triple]:
        """The statements of the trialkg vocabulary's graph."""
        graph = ox.NamedNode(f"{self.base}graph/vocab")
        return [q.triple for q in self.store.quads(graph=graph)]

    def vocabulary_table(self, triples: Iterable[ox.Triple]) -> list[dict[str, str]]:
        """The vocabulary's terms, by name, with their label, definition and type."""
        terms: dict[str, dict[str, str]] = {}
        for t in triples:
            subject, obj = t.subject, t.object
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(TRIALKG_NS):
                continue
            if not isinstance(obj, ox.NamedNode | ox.Literal):
                continue
            entry = terms.setdefault(
                subject.value,
                {
                    "name": subject.value.removeprefix(TRIALKG_NS),
                    "label": "",
                    "definition": "",
                    "type": "",
                },
            )
            if t.predicate == RDFS.label:
                entry["label"] = obj.value
            elif t.predicate == OBO.IAO_0000115:
                entry["definition"] = obj.value
            elif t.predicate == RDF.type and obj != OWL.NamedIndividual:
                entry["type"] = obj.value.rsplit("#", 1)[-1]
        return sorted(terms.values(), key=lambda e: e["name"])

    def stats(self) -> dict[str, int]:
        """How many trials, ontology terms and statements the store holds."""
        trials = self.store.query(
            "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a obo:OBI_0003699 }", prefixes=PREFIXES
        )
        assert isinstance(trials, ox.QuerySolutions)
        return {
            "trials": int(next(iter(trials))["n"].value),
            "terms": len(self.index),
            "quads": len(self.store),
        }

    def void(self, origin: str) -> list[ox.Triple]:
        """A VoID description of the dataset served at ``origin``."""
        void = ox.NamedNode(f"{self.base}dataset")

        def v(name: str) -> ox.NamedNode:
            return ox.NamedNode(_VOID + name)

        stats = self.stats()
        graphs = list(self.store.named_graphs())
        public = [g for g in graphs if not g.value.startswith(f"{self.base}graph/private/")]
        triples = [
            _t(void, RDF.type, v("Dataset")),
            _t(void, DCTERMS.title, ox.Literal("trialkg: clinical trials linked to DOID and CL")),
            _t(
                void,
                DCTERMS.license,
                ox.NamedNode("https://creativecommons.org/publicdomain/zero/1.0/"),
            ),
            _t(void, v("sparqlEndpoint"), ox.NamedNode(f"{origin}/sparql")),
            _t(void, v("uriSpace"), ox.Literal(self.base)),
            _t(void, v("triples"), ox.Literal(str(stats["quads"]), datatype=XSD.integer)),
            _t(void, v("entities"), ox.Literal(str(stats["trials"]), datatype=XSD.integer)),
            _t(void, v("vocabulary"), ox.NamedNode("https://w3id.org/trialkg/vocab")),
            _t(void, v("exampleResource"), ox.NamedNode(f"{self.base}trial/NCT03877471")),
            _t(void, ox.NamedNode(_VOID + "dataDump"), ox.NamedNode(f"{origin}/sparql")),
        ]
        for graph in public:
            triples.append(_t(void, v("subset"), graph))
        for release in read_releases(self.store, base=self.base):
            node = ox.NamedNode(release.graph)
            triples.append(_t(void, PROV.used, node))
            if release.version_iri:
                triples.append(_t(node, PROV.wasDerivedFrom, ox.NamedNode(release.version_iri)))
            if release.license:
                triples.append(_t(node, DCTERMS.license, ox.NamedNode(release.license)))
            triples.append(_t(node, DCTERMS.source, ox.Literal(release.path)))
        return triples


def service_description(endpoint: str, allow_update: bool) -> list[ox.Triple]:
    """A SPARQL 1.1 Service Description of the endpoint."""
    service = ox.NamedNode(endpoint)

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(_SD + name)

    formats = [
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
    ]
    triples = [
        _t(service, RDF.type, sd("Service")),
        _t(service, sd("endpoint"), service),
        _t(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        _t(service, sd("feature"), sd("UnionDefaultGraph")),
    ]
    if allow_update:
        triples.append(_t(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    triples += [
        _t(service, sd("resultFormat"), ox.NamedNode(f"http://www.w3.org/ns/formats/{f}"))
        for f in formats
    ]
    return triples
