"""A trial's description (what its sources say of it) and the facts its page shows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.ids import to_curie
from kg.ontology.terms import TermIndex
from kg.rdf.vocab import DCTERMS, FOAF, PROV, RDFS, SCHEMA, TRIALKG
from kg.store import QuadStore

__all__ = ["TrialDescriptions", "TrialPage"]


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


class TrialDescriptions:
    """Reads trials from one store: their public source graphs, descriptions and pages."""

    def __init__(self, store: QuadStore, index: TermIndex, base: str) -> None:
        self.store = store
        self.index = index
        self.base = base

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

    def describe(self, trial: ox.NamedNode) -> list[ox.Triple]:
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
                triples.append(ox.Triple(ox.NamedNode(iri), RDFS.label, ox.Literal(term.label)))
        return triples

    def page(self, trial: ox.NamedNode, triples: list[ox.Triple]) -> TrialPage:
        """What a trial's page shows, from its description (:meth:`describe`)."""
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
            page.conditions.append(_term_link(iri, label(iri)))
        for intervention in node[TRIALKG.intervention]:
            for iri in values(intervention, TRIALKG.cellType):
                page.cell_types.append(_term_link(iri, label(iri)))
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


def _term_link(iri: str, label: str) -> dict[str, str]:
    """A linked term as a page shows it: its CURIE, label and term page."""
    curie = to_curie(iri) or iri
    return {"iri": iri, "curie": curie, "label": label, "page": f"/term/{curie}"}
