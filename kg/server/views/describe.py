"""What describes the dataset and its endpoint: the trialkg vocabulary, the dataset's VoID and
statistics, and the SPARQL service description."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg.ontology.load import read_releases
from kg.ontology.terms import TermIndex
from kg.rdf.vocab import DCTERMS, OBO, OWL, PREFIXES, PROV, RDF, RDFS, TRIALKG_NS, XSD
from kg.store import QuadStore

__all__ = ["DatasetDescription", "service_description"]

_SD = "http://www.w3.org/ns/sparql-service-description#"
_VOID = "http://rdfs.org/ns/void#"


class DatasetDescription:
    """Reads what describes the dataset in one store: its vocabulary, VoID and statistics."""

    def __init__(self, store: QuadStore, index: TermIndex, base: str) -> None:
        self.store = store
        self.index = index
        self.base = base

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
            ox.Triple(void, RDF.type, v("Dataset")),
            ox.Triple(
                void, DCTERMS.title, ox.Literal("trialkg: clinical trials linked to DOID and CL")
            ),
            ox.Triple(
                void,
                DCTERMS.license,
                ox.NamedNode("https://creativecommons.org/publicdomain/zero/1.0/"),
            ),
            ox.Triple(void, v("sparqlEndpoint"), ox.NamedNode(f"{origin}/sparql")),
            ox.Triple(void, v("uriSpace"), ox.Literal(self.base)),
            ox.Triple(void, v("triples"), ox.Literal(str(stats["quads"]), datatype=XSD.integer)),
            ox.Triple(void, v("entities"), ox.Literal(str(stats["trials"]), datatype=XSD.integer)),
            ox.Triple(void, v("vocabulary"), ox.NamedNode("https://w3id.org/trialkg/vocab")),
            ox.Triple(void, v("exampleResource"), ox.NamedNode(f"{self.base}trial/NCT03877471")),
            ox.Triple(void, ox.NamedNode(_VOID + "dataDump"), ox.NamedNode(f"{origin}/sparql")),
        ]
        for graph in public:
            triples.append(ox.Triple(void, v("subset"), graph))
        for release in read_releases(self.store, base=self.base):
            node = ox.NamedNode(release.graph)
            triples.append(ox.Triple(void, PROV.used, node))
            if release.version_iri:
                triples.append(
                    ox.Triple(node, PROV.wasDerivedFrom, ox.NamedNode(release.version_iri))
                )
            if release.license:
                triples.append(ox.Triple(node, DCTERMS.license, ox.NamedNode(release.license)))
            triples.append(ox.Triple(node, DCTERMS.source, ox.Literal(release.path)))
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
        ox.Triple(service, RDF.type, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
    ]
    if allow_update:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    triples += [
        ox.Triple(service, sd("resultFormat"), ox.NamedNode(f"http://www.w3.org/ns/formats/{f}"))
        for f in formats
    ]
    return triples
