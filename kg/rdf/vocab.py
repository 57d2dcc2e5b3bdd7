"""Namespaces of every term the graph uses, closed so that a misspelt term fails at once.

``TRIALKG.condition`` is a :class:`pyoxigraph.NamedNode`; ``TRIALKG.conditon`` raises
``AttributeError``. Every ``TRIALKG`` term is declared, labelled and defined in
``ontologies/trialkg.ttl`` (a test checks it).

>>> TRIALKG.condition.value
'https://w3id.org/trialkg/vocab#condition'
>>> OBO.term("DOID:5426").value
'http://purl.obolibrary.org/obo/DOID_5426'
"""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import NamedNode

__all__ = [
    "DCTERMS",
    "FOAF",
    "OBO",
    "OBOINOWL",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SKOS",
    "TRIALKG",
    "TRIALKG_NS",
    "XSD",
    "ClosedNamespace",
]


class ClosedNamespace:
    """A namespace that knows exactly which local names exist in it.

    Its terms are plain instance attributes, so that ``TRIALKG.condition`` costs what any
    attribute lookup costs (the mapping reads a term for almost every quad it makes); only a
    name that is not a term reaches ``__getattr__``, which raises.
    """

    def __init__(self, prefix: str, uri: str, names: str) -> None:
        #: The conventional prefix, e.g. ``"dcterms"``.
        self.prefix = prefix
        #: The namespace IRI.
        self.uri = uri
        self._terms = {name: NamedNode(uri + name) for name in names.split()}
        clashes = self._terms.keys() & vars(self).keys()
        if clashes:
            raise ValueError(f"{prefix}: terms named like attributes: {sorted(clashes)}")
        vars(self).update(self._terms)

    def __getattr__(self, name: str) -> NamedNode:
        try:
            return self._terms[name]
        except KeyError:
            raise AttributeError(
                f"{name!r} is not a term of the {self.prefix}: namespace"
            ) from None

    def __getitem__(self, name: str) -> NamedNode:
        return self.__getattr__(name)

    def __iter__(self) -> Iterator[NamedNode]:
        return iter(self._terms.values())

    def __contains__(self, node: object) -> bool:
        return isinstance(node, NamedNode) and node in self._terms.values()


class _OboNamespace:
    """The OBO PURL namespace: open, since any ontology term can appear."""

    prefix = "obo"
    uri = "http://purl.obolibrary.org/obo/"

    def term(self, curie: str) -> NamedNode:
        """The PURL of an OBO CURIE: ``DOID:5426`` -> ``http://purl.obolibrary.org/obo/DOID_5426``."""
        prefix, _, local = curie.partition(":")
        return NamedNode(f"{self.uri}{prefix}_{local}")

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        return NamedNode(self.uri + name)


TRIALKG_NS = "https://w3id.org/trialkg/vocab#"

TRIALKG = ClosedNamespace(
    "trialkg",
    TRIALKG_NS,
    """
    Intervention CellProductIntervention Mention ConditionMention CellTypeMention
    UngroundedMention Grounding GroundingMethod DatedValue DoseArm Arm Phase RecruitmentStatus
    OntologyRelease

    ExplicitReference DefinitionMatch ExactLabelMatch ExactSynonymMatch CrossReferenceMatch
    NormalisedLabelMatch RelatedSynonymMatch ManualCuration MeshCrossReferenceMatch
    ContainedLabelMatch AcronymMatch QualifiersDroppedMatch SpellingCorrectedMatch
    WordsDroppedMatch CuratedNameMatch CuratedBroaderMatch

    EarlyPhase1 Phase1 Phase2 Phase3 Phase4 PhaseNotApplicable

    NotYetRecruiting Recruiting EnrollingByInvitation ActiveNotRecruiting Suspended
    Terminated Completed Withdrawn UnknownStatus Available NoLongerAvailable
    TemporarilyNotAvailable ApprovedForMarketing

    condition conditionMention intervention cellType cellTypeMention doseArm cellCount
    doseScope sourceText sourceCellLine route phase statedPhase recruitmentStatus
    startDate endDate date estimated enrollment targetEnrollment actualEnrollment acronym
    nctId secondaryIdentifier ictrpPage studySite contactInstitution statedReference
    grounding groundedTo method matchedText confidence sourceRecord recordChecksum recordUpdated
    officialTitle studyType allocation interventionModel masking primaryPurpose
    primaryCompletionDate whyStopped lastKnownStatus keyword meshCondition meshConditionTerm
    meshDisagreement
    interventionType otherName arm armType armLabel eligibleSex minimumAge maximumAge
    healthyVolunteers collaborator agencyClass resultReference
    """,
)

RDF = ClosedNamespace("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "type")
RDFS = ClosedNamespace(
    "rdfs",
    "http://www.w3.org/2000/01/rdf-schema#",
    "label comment subClassOf subPropertyOf seeAlso domain range Class isDefinedBy",
)
OWL = ClosedNamespace(
    "owl",
    "http://www.w3.org/2002/07/owl#",
    """Ontology Class ObjectProperty DatatypeProperty AnnotationProperty NamedIndividual
    Restriction versionIRI versionInfo imports deprecated onProperty someValuesFrom
    equivalentClass Thing""",
)
XSD = ClosedNamespace(
    "xsd",
    "http://www.w3.org/2001/XMLSchema#",
    "string boolean integer double decimal date dateTime gYear gYearMonth anyURI duration",
)
DCTERMS = ClosedNamespace(
    "dcterms",
    "http://purl.org/dc/terms/",
    """title alternative description abstract identifier source license created modified
    hasVersion bibliographicCitation rightsHolder references""",
)
PROV = ClosedNamespace(
    "prov",
    "http://www.w3.org/ns/prov#",
    "Entity wasDerivedFrom generatedAtTime used wasAttributedTo",
)
SKOS = ClosedNamespace(
    "skos",
    "http://www.w3.org/2004/02/skos/core#",
    "exactMatch closeMatch broadMatch narrowMatch relatedMatch prefLabel altLabel definition",
)
SCHEMA = ClosedNamespace(
    "schema",
    "http://schema.org/",
    """MedicalTrial Organization Place PostalAddress name sponsor sameAs address
    addressLocality addressRegion addressCountry""",
)
FOAF = ClosedNamespace("foaf", "http://xmlns.com/foaf/0.1/", "primaryTopic")
OBOINOWL = ClosedNamespace(
    "oboInOwl",
    "http://www.geneontology.org/formats/oboInOwl#",
    """hasExactSynonym hasNarrowSynonym hasBroadSynonym hasRelatedSynonym hasDbXref
    hasAlternativeId id consider inSubset hasOBONamespace created_by creation_date""",
)
OBO = _OboNamespace()

#: Prefixes used when writing Turtle, and offered to SPARQL queries.
PREFIXES: dict[str, str] = {
    ns.prefix: ns.uri
    for ns in (TRIALKG, RDF, RDFS, OWL, XSD, DCTERMS, PROV, SKOS, SCHEMA, FOAF, OBOINOWL)
} | {"obo": OBO.uri}
