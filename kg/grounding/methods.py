"""The grounding methods: each way a mention can be linked to a term, or left unlinked.

Every output that names a method reads it here. A :class:`Method` is the name a
:class:`~kg.model.Grounding` records in ``method`` (a ``StrEnum``, so it is that very string),
and carries

- ``confidence``: what the grounder gives a link the method makes;
- ``justification``: the SEMAPV mapping justification, recorded on each grounding and written
  in the SSSOM export;
- ``sssom_predicate``: the SKOS relation the SSSOM export states between mention and term;
- ``node``: its individual in the trialkg vocabulary, the ``trialkg:method`` of a grounding in
  the graph, which ``ontologies/trialkg.ttl`` describes (None for the ways of staying
  ungrounded, which make no grounding record).

>>> Method.EXACT_LABEL.confidence
0.95
>>> Method.XREF.node.value
'https://w3id.org/trialkg/vocab#CrossReferenceMatch'
>>> Method.of_node("https://w3id.org/trialkg/vocab#CrossReferenceMatch") is Method.XREF
True
"""

from __future__ import annotations

from enum import StrEnum

from pyoxigraph import NamedNode

from kg.rdf.vocab import TRIALKG

__all__ = ["Method"]

_CURATED = "semapv:ManualMappingCuration"
_LEXICAL = "semapv:LexicalMatching"
_CHAINED = "semapv:MappingChaining"
_UNSPECIFIED = "semapv:UnspecifiedMatching"
_EXACT = "skos:exactMatch"
_CLOSE = "skos:closeMatch"
_BROAD = "skos:broadMatch"


class Method(StrEnum):
    """A way a mention was linked to a term, or why it was not; see the module docstring."""

    confidence: float
    justification: str
    sssom_predicate: str
    node: NamedNode | None

    #: The record gives the term's IRI or CURIE (or an alternative id of it).
    EXPLICIT_REFERENCE = "explicit_reference", 1.00, _CURATED, _EXACT, TRIALKG.ExplicitReference
    #: The mention equals the term's label, case and spacing aside.
    EXACT_LABEL = "exact_label", 0.95, _LEXICAL, _EXACT, TRIALKG.ExactLabelMatch
    #: The mention equals an EXACT synonym.
    EXACT_SYNONYM = "exact_synonym", 0.90, _LEXICAL, _EXACT, TRIALKG.ExactSynonymMatch
    #: The mention's description equals the term's definition (hPSCreg copies
    #: "definition; comment").
    DEFINITION = "definition", 0.90, _LEXICAL, _EXACT, TRIALKG.DefinitionMatch
    #: The record gives another vocabulary's id (MeSH, NCIt, EFO, ...) that is a
    #: cross-reference of exactly one term.
    XREF = "xref", 0.85, _CHAINED, _EXACT, TRIALKG.CrossReferenceMatch
    #: Equal after dropping punctuation, plurals and "like", and spelling out Greek letters.
    NORMALISED_LABEL = "normalised_label", 0.80, _LEXICAL, _EXACT, TRIALKG.NormalisedLabelMatch
    #: No text match; ClinicalTrials.gov's MeSH coding of the study names a descriptor that is
    #: a cross-reference of one term.
    MESH_XREF = "mesh_xref", 0.75, _CHAINED, _EXACT, TRIALKG.MeshCrossReferenceMatch
    #: Cell types only: the longest label or EXACT synonym inside the mention, rightmost first
    #: ("iPSC-derived RPE cells" -> retinal pigment epithelial cell), after spelling out the
    #: usual abbreviations (MSC, NK, RPE, HSC(T), iPSC, hESC, CAR-T).
    CONTAINED_LABEL = "contained_label", 0.70, _LEXICAL, _EXACT, TRIALKG.ContainedLabelMatch
    #: A condition written as an abbreviation that the record itself defines ("Primary Ovarian
    #: Insufficiency (POI)" in its title) or that the shipped table of unambiguous ones spells
    #: out (ontologies/acronyms.tsv), its spelt-out name then matched as above.
    ACRONYM = "acronym", 0.75, _LEXICAL, _EXACT, TRIALKG.AcronymMatch
    #: A condition that matches nothing whole, linked by what is left once stage, grade,
    #: recurrence, age group, extent, severity and translocation qualifiers are dropped: the
    #: term is broader than the mention, hence ``skos:broadMatch``.
    QUALIFIERS_DROPPED = (
        "qualifiers_dropped",
        0.65,
        _LEXICAL,
        _BROAD,
        TRIALKG.QualifiersDroppedMatch,
    )
    #: A condition whose misspelt words ("Pancretic"), each one letter away from exactly one
    #: word the ontology's names use, are put right before matching as above.
    SPELLING_CORRECTED = (
        "spelling_corrected",
        0.75,
        _LEXICAL,
        _EXACT,
        TRIALKG.SpellingCorrectedMatch,
    )
    #: A condition that matches nothing whole, nor without its qualifiers, linked to the most
    #: specific term all of whose words it has and that names its head noun ("Knee
    #: Osteoarthritis" -> osteoarthritis): broader, hence ``skos:broadMatch``.
    WORDS_DROPPED = "words_dropped", 0.60, _LEXICAL, _BROAD, TRIALKG.WordsDroppedMatch
    #: A condition the ontology has no term for, linked as ontologies/missing-terms.tsv says:
    #: the term under another name ("heart failure" -> congestive heart failure) ...
    CURATED_NAME = "curated_name", 0.80, _CURATED, _EXACT, TRIALKG.CuratedNameMatch
    #: ... or the nearest broader term ("Lumbar Disc Herniation" -> degenerative disc disease).
    CURATED_BROADER = "curated_broader", 0.65, _CURATED, _BROAD, TRIALKG.CuratedBroaderMatch
    #: A NARROW, BROAD or RELATED synonym: a near match, hence ``skos:closeMatch``.
    RELATED_SYNONYM = "related_synonym", 0.60, _LEXICAL, _CLOSE, TRIALKG.RelatedSynonymMatch
    #: A curator's decision (an overrides file), which wins over all; its confidence is that of
    #: a decision that states none.
    MANUAL_CURATION = "manual_curation", 1.00, _CURATED, _EXACT, TRIALKG.ManualCuration
    #: Nothing matched: the mention stays ungrounded.
    NONE = "none", 0.0, _UNSPECIFIED, _EXACT, None
    #: Nothing matched, and the mention names no disease: a population, a procedure, a
    #: behaviour or state, a symptom or injury DOID does not cover, an organism, a substance
    #: (:mod:`kg.grounding.scope` says which). It stays ungrounded, and is not counted among
    #: the mentions a term was expected for.
    OUT_OF_SCOPE = "out_of_scope", 0.0, _UNSPECIFIED, _EXACT, None
    #: Several terms matched equally: the mention stays ungrounded rather than guess.
    AMBIGUOUS = "ambiguous", 0.0, _UNSPECIFIED, _EXACT, None

    def __new__(
        cls,
        value: str,
        confidence: float,
        justification: str,
        sssom_predicate: str,
        node: NamedNode | None,
    ) -> Method:
        """A member whose value is the method's name, carrying the rest of its row."""
        member = str.__new__(cls, value)
        member._value_ = value
        member.confidence = confidence
        member.justification = justification
        member.sssom_predicate = sssom_predicate
        member.node = node
        return member

    @classmethod
    def of_node(cls, iri: str) -> Method | None:
        """The method whose vocabulary node has this IRI; None when no method has it."""
        return _BY_NODE.get(iri)


_BY_NODE = {method.node.value: method for method in Method if method.node is not None}
