"""Trial -> quads: the RDF shape of a grounded trial, in its own named graph.

No file is opened here. One source's description of one trial goes into the named graph
``<base>graph/<source>/<record id>``; the trial node ``<base>trial/<NCT or source-id>`` is shared
by every source that describes the same trial, so sources merge on it.

Conditions link straight to the DOID class and cell types to the CL class, so
``?trial trialkg:condition/rdfs:subClassOf* obo:DOID_1100`` finds every trial on any ovarian
disease. Beside each link sits the mention it came from and a grounding record: matched text,
method, confidence, ontology release.

Contact persons are personal data: they are written only when asked, and then into a separate
graph ``<base>graph/private/<source>/<record id>`` that is never published.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode, Quad

from kg.grounding.methods import Method
from kg.ids import DEFAULT_BASE_IRI, to_iri
from kg.model import (
    CellProduct,
    Condition,
    DatedValue,
    GroundedTrial,
    Grounding,
    Intervention,
    Phase,
    RecruitmentStatus,
    Trial,
)
from kg.rdf.vocab import DCTERMS, FOAF, OBO, PROV, RDF, RDFS, SCHEMA, TRIALKG, XSD

__all__ = [
    "METHOD_NODES",
    "PHASE_NODES",
    "Graphs",
    "Statement",
    "contact_quads",
    "graphs_of",
    "trial_iri",
    "trial_statements",
    "trial_to_nquads",
    "trial_to_quads",
]


_OBI_CLINICAL_TRIAL = OBO.OBI_0003699
# OBI has classes for phases I-III only; the rest are trialkg:Phase values alone.
_OBI_PHASE = {
    Phase.PHASE1: OBO.OBI_0003700,
    Phase.PHASE2: OBO.OBI_0003701,
    Phase.PHASE3: OBO.OBI_0003702,
}
PHASE_NODES: dict[Phase, NamedNode] = {
    Phase.EARLY_PHASE1: TRIALKG.EarlyPhase1,
    Phase.PHASE1: TRIALKG.Phase1,
    Phase.PHASE2: TRIALKG.Phase2,
    Phase.PHASE3: TRIALKG.Phase3,
    Phase.PHASE4: TRIALKG.Phase4,
    Phase.NOT_APPLICABLE: TRIALKG.PhaseNotApplicable,
}
_STATUS = {
    RecruitmentStatus.NOT_YET_RECRUITING: TRIALKG.NotYetRecruiting,
    RecruitmentStatus.RECRUITING: TRIALKG.Recruiting,
    RecruitmentStatus.ENROLLING_BY_INVITATION: TRIALKG.EnrollingByInvitation,
    RecruitmentStatus.ACTIVE_NOT_RECRUITING: TRIALKG.ActiveNotRecruiting,
    RecruitmentStatus.SUSPENDED: TRIALKG.Suspended,
    RecruitmentStatus.TERMINATED: TRIALKG.Terminated,
    RecruitmentStatus.COMPLETED: TRIALKG.Completed,
    RecruitmentStatus.WITHDRAWN: TRIALKG.Withdrawn,
    RecruitmentStatus.UNKNOWN: TRIALKG.UnknownStatus,
    RecruitmentStatus.AVAILABLE: TRIALKG.Available,
    RecruitmentStatus.NO_LONGER_AVAILABLE: TRIALKG.NoLongerAvailable,
    RecruitmentStatus.TEMPORARILY_NOT_AVAILABLE: TRIALKG.TemporarilyNotAvailable,
    RecruitmentStatus.APPROVED_FOR_MARKETING: TRIALKG.ApprovedForMarketing,
}
#: The vocabulary node of each method that links a mention to a term, by ``Grounding.method``:
#: a plain dict, since it is read for every grounding the mapping writes.
METHOD_NODES: dict[str, NamedNode] = {
    method: method.node for method in Method if method.node is not None
}
# Predicates as N-Triples text; they are vocabulary terms, so this stays small.
_PREDICATE_TEXT: dict[NamedNode, str] = {}

#: A triple of the mapping, before it is put in its graph: (subject, predicate, object).
Statement = tuple[NamedNode, NamedNode, NamedNode | Literal]
_DATE_TYPE = {"year": XSD.gYear, "month": XSD.gYearMonth, "day": XSD.date}


@dataclass(frozen=True, slots=True)
class Graphs:
    """The named graphs one source record of a trial writes to."""

    #: The public graph of the trial as this source describes it.
    public: NamedNode
    #: The graph for personal data (contacts), never published.
    private: NamedNode


def trial_iri(key: str, *, base: str = DEFAULT_BASE_IRI) -> NamedNode:
    """``<base>trial/<key>``, the key being an NCT number or ``<source>-<record id>``."""
    return NamedNode(f"{base}trial/{key}")


def graphs_of(trial: Trial, *, base: str = DEFAULT_BASE_IRI) -> Graphs:
    """The named graphs a trial's source record writes to."""
    tail = f"{trial.source.source}/{trial.source.record_id}"
    return Graphs(NamedNode(f"{base}graph/{tail}"), NamedNode(f"{base}graph/private/{tail}"))


def _record_iri(trial: Trial, base: str) -> str:
    """``<base>record/<source>/<record id>``: the namespace of everything one record
    describes beside the trial (mentions, arms, interventions, dates, sponsors, sites), so a
    trial's graph has no blank nodes: each node can be named, linked to and compared across
    loads, and stores that refuse blank nodes in updates take it."""
    return f"{base}record/{trial.source.source}/{trial.source.record_id}"


def _string(value: str) -> Literal:
    return Literal(value)


def _iri_or_text(value: str) -> NamedNode | Literal:
    """An IRI node for an absolute IRI, else a plain literal (versions may be either)."""
    return NamedNode(value) if "://" in value and " " not in value else _string(value)


def _date(value: DatedValue) -> Literal:
    return Literal(value.value, datatype=_DATE_TYPE[value.precision])


def trial_to_quads(
    grounded: GroundedTrial,
    *,
    base: str = DEFAULT_BASE_IRI,
    loaded_at: datetime | None = None,
    ontology_versions: Iterable[str] = (),
) -> Iterator[Quad]:
    """Describe one grounded trial as quads in its source's named graph.

    :param loaded_at: the load time recorded as ``prov:generatedAtTime`` (default: now).
    :param ontology_versions: version IRIs (or labels) of the ontology releases grounding used.
    """
    graph = graphs_of(grounded.trial, base=base).public
    for s, p, o in trial_statements(
        grounded, base=base, loaded_at=loaded_at, ontology_versions=ontology_versions
    ):
        yield Quad(s, p, o, graph)


def trial_to_nquads(
    grounded: GroundedTrial,
    *,
    base: str = DEFAULT_BASE_IRI,
    loaded_at: datetime | None = None,
    ontology_versions: Iterable[str] = (),
) -> str:
    """The quads of :func:`trial_to_quads` as N-Quads text, one line per quad, for the bulk loader.

    Each term is written as pyoxigraph writes it (``str()`` of a term is its N-Triples form), so
    the text is what ``pyoxigraph.serialize`` makes of the same quads (a test compares them). It
    skips making a :class:`~pyoxigraph.Quad` per statement: that costs about 1.2 us when the
    object is a literal or the subject a blank node (pyoxigraph tries the other term types
    first), ten times a tuple, and the mapping makes some 120 quads per trial.
    """
    tail = f" {graphs_of(grounded.trial, base=base).public} .\n"
    predicates = _PREDICATE_TEXT
    parts: list[str] = []
    add = parts.extend
    subject: object = None
    head = ""
    for s, p, o in trial_statements(
        grounded, base=base, loaded_at=loaded_at, ontology_versions=ontology_versions
    ):
        # Statements about one node come in runs, so its text is made once per run.
        if s is not subject:
            subject, head = s, f"{s} "
        predicate = predicates.get(p)
        if predicate is None:
            predicate = predicates[p] = f"{p} "
        add((head, predicate, str(o), tail))
    return "".join(parts)


def trial_statements(
    grounded: GroundedTrial,
    *,
    base: str = DEFAULT_BASE_IRI,
    loaded_at: datetime | None = None,
    ontology_versions: Iterable[str] = (),
) -> Iterator[Statement]:
    """The triples of one grounded trial, all of which go in its source's public graph."""
    trial = grounded.trial
    graph = graphs_of(trial, base=base).public
    node = trial_iri(trial.key, base=base)
    record = _record_iri(trial, base)

    # Provenance of the graph itself: it describes the trial, from this record, at this time.
    when = (loaded_at or datetime.now(UTC)).replace(microsecond=0)
    yield (graph, RDF.type, PROV.Entity)
    yield (graph, FOAF.primaryTopic, node)
    yield (graph, DCTERMS.source, _string(trial.source.path))
    yield (graph, TRIALKG.sourceRecord, _string(f"{trial.source.source}:{trial.source.record_id}"))
    if trial.source.url:
        yield (graph, PROV.wasDerivedFrom, NamedNode(trial.source.url))
    if trial.source.sha256:
        yield (graph, TRIALKG.recordChecksum, _string(f"sha256:{trial.source.sha256}"))
    if trial.source.updated:
        yield (graph, TRIALKG.recordUpdated, _date(trial.source.updated))
    yield (graph, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime))
    for version in ontology_versions:
        yield (graph, PROV.used, _iri_or_text(version))

    # The trial.
    yield (node, RDF.type, _OBI_CLINICAL_TRIAL)
    yield (node, RDF.type, SCHEMA.MedicalTrial)
    yield (node, DCTERMS.title, _string(trial.title))
    yield (node, RDFS.label, _string(trial.title))
    if trial.acronym:
        yield (node, TRIALKG.acronym, _string(trial.acronym))
    yield (node, DCTERMS.identifier, _string(trial.key))
    if trial.nct_id:
        yield (node, TRIALKG.nctId, _string(trial.nct_id))
        yield (node, RDFS.seeAlso, NamedNode(f"https://clinicaltrials.gov/study/{trial.nct_id}"))
        yield (
            node,
            SCHEMA.sameAs,
            NamedNode(f"http://identifiers.org/clinicaltrials:{trial.nct_id}"),
        )
    if trial.source.url:
        yield (node, RDFS.seeAlso, NamedNode(trial.source.url))
    for identifier in trial.identifiers:
        yield (node, TRIALKG.secondaryIdentifier, _string(identifier.value))
    if trial.summary:
        yield (node, DCTERMS.abstract, _string(trial.summary))
    if trial.description:
        yield (node, DCTERMS.description, _string(trial.description))
    if trial.phase_text:
        yield (node, TRIALKG.statedPhase, _string(trial.phase_text))
    for phase in trial.phases:
        yield (node, TRIALKG.phase, PHASE_NODES[phase])
        if phase in _OBI_PHASE:
            yield (node, RDF.type, _OBI_PHASE[phase])
    for prop, dated, name in (
        (TRIALKG.startDate, trial.start, "start"),
        (TRIALKG.primaryCompletionDate, trial.primary_completion, "primary-completion"),
        (TRIALKG.endDate, trial.end, "end"),
    ):
        if dated is not None:
            dated_node = NamedNode(f"{record}/date/{name}")
            yield (node, prop, dated_node)
            yield (dated_node, RDF.type, TRIALKG.DatedValue)
            yield (dated_node, TRIALKG.date, _date(dated))
            if dated.estimated is not None:
                yield (dated_node, TRIALKG.estimated, Literal(dated.estimated))
    if trial.recruitment_status is not None:
        yield (node, TRIALKG.recruitmentStatus, _STATUS[trial.recruitment_status])
    if trial.last_known_status is not None:
        yield (node, TRIALKG.lastKnownStatus, _STATUS[trial.last_known_status])
    if trial.why_stopped:
        yield (node, TRIALKG.whyStopped, _string(trial.why_stopped))
    if trial.enrollment is not None:
        prop = {
            True: TRIALKG.targetEnrollment,
            False: TRIALKG.actualEnrollment,
            None: TRIALKG.enrollment,
        }[trial.enrollment.estimated]
        yield (node, prop, Literal(str(trial.enrollment.count), datatype=XSD.integer))
    if trial.ictrp_url and "://" in trial.ictrp_url:
        yield (node, TRIALKG.ictrpPage, NamedNode(trial.ictrp_url))
    if trial.source_url and "://" in trial.source_url:
        yield (node, RDFS.seeAlso, NamedNode(trial.source_url))
    yield from _study_details(node, trial)
    for i, sponsor in enumerate(trial.sponsors):
        org = NamedNode(f"{record}/sponsor/{i}")
        role = TRIALKG.collaborator if sponsor.role == "collaborator" else SCHEMA.sponsor
        yield (node, role, org)
        yield (org, RDF.type, SCHEMA.Organization)
        yield (org, SCHEMA.name, _string(sponsor.name))
        if sponsor.agency_class:
            yield (org, TRIALKG.agencyClass, _string(sponsor.agency_class))
    for i, site in enumerate(trial.sites):
        place = NamedNode(f"{record}/site/{i}")
        yield (node, TRIALKG.studySite, place)
        yield (place, RDF.type, SCHEMA.Place)
        yield (place, SCHEMA.name, _string(site.name))
        if site.city or site.state or site.country:
            address = NamedNode(f"{record}/site/{i}/address")
            yield (place, SCHEMA.address, address)
            yield (address, RDF.type, SCHEMA.PostalAddress)
            for prop, value in (
                (SCHEMA.addressLocality, site.city),
                (SCHEMA.addressRegion, site.state),
                (SCHEMA.addressCountry, site.country),
            ):
                if value:
                    yield (address, prop, _string(value))
    for institution in trial.contact_institutions:
        yield (node, TRIALKG.contactInstitution, _string(institution))

    # Conditions: the direct link for queries, the mention and its grounding beside it.
    for i, (condition, grounding) in enumerate(
        zip(trial.conditions, grounded.conditions, strict=True), 1
    ):
        mention = NamedNode(f"{record}/condition/{i}")
        yield (node, TRIALKG.conditionMention, mention)
        yield from _mention(mention, TRIALKG.ConditionMention, condition, grounding)
        for term, _ in _links(grounding):
            yield (node, TRIALKG.condition, term)

    # Arms, by label, so that interventions can point at the arms that receive them.
    arms: dict[str, NamedNode] = {}
    for i, arm in enumerate(trial.arms, 1):
        arm_node = arms.setdefault(arm.label, NamedNode(f"{record}/arm/{i}"))
        yield (node, TRIALKG.arm, arm_node)
        yield (arm_node, RDF.type, TRIALKG.Arm)
        yield (arm_node, RDFS.label, _string(arm.label))
        if arm.type:
            yield (arm_node, TRIALKG.armType, _string(arm.type))
        if arm.description:
            yield (arm_node, DCTERMS.description, _string(arm.description))

    # Cell products: an intervention node per product, linked to its CL class.
    for i, (product, grounding) in enumerate(
        zip(trial.cell_products, grounded.cell_products, strict=True), 1
    ):
        yield from _cell_product(node, f"{record}/intervention/{i}", product, grounding)
        yield from _intervention_details(NamedNode(f"{record}/intervention/{i}"), product, arms)

    # Other interventions (drugs, devices, procedures, ...): typed, never linked to CL.
    for i, other in enumerate(trial.interventions, len(trial.cell_products) + 1):
        intervention = NamedNode(f"{record}/intervention/{i}")
        yield (node, TRIALKG.intervention, intervention)
        yield (intervention, RDF.type, TRIALKG.Intervention)
        yield (intervention, RDFS.label, _string(other.name))
        if other.description:
            yield (intervention, DCTERMS.description, _string(other.description))
        yield from _intervention_details(intervention, other, arms)


def _mention(
    mention: NamedNode,
    kind: NamedNode,
    stated: Condition | CellProduct,
    grounding: Grounding,
) -> Iterator[Statement]:
    """A mention as the record states it, and how it was grounded (or why not)."""
    yield (mention, RDF.type, kind)
    yield (mention, RDFS.label, _string(stated.label))
    if stated.description:
        yield (mention, DCTERMS.description, _string(stated.description))
    if stated.ontology_ref:
        iri = to_iri(stated.ontology_ref)
        yield (mention, TRIALKG.statedReference, _iri_or_text(iri or stated.ontology_ref))
    if grounding.disagreement:
        yield (mention, TRIALKG.meshDisagreement, _string(grounding.disagreement))
    if not grounding.object_id:
        yield (mention, RDF.type, TRIALKG.UngroundedMention)
        if grounding.comment:
            yield (mention, RDFS.comment, _string(grounding.comment))
        return
    # A mention naming several conditions has a grounding record for each: /grounding for
    # the first, /grounding/2 and on for the others.
    for n, (term, link) in enumerate(_links(grounding), 1):
        record = NamedNode(f"{mention.value}/grounding" + (f"/{n}" if n > 1 else ""))
        yield (mention, TRIALKG.grounding, record)
        yield (record, RDF.type, TRIALKG.Grounding)
        yield (record, TRIALKG.groundedTo, term)
        yield (record, TRIALKG.method, METHOD_NODES[link.method])
        yield (record, TRIALKG.confidence, Literal(str(link.confidence), datatype=XSD.decimal))
        if link.matched_text:
            yield (record, TRIALKG.matchedText, _string(link.matched_text))
        if link.object_source_version:
            yield (record, PROV.used, _iri_or_text(link.object_source_version))
        if link.comment:
            yield (record, RDFS.comment, _string(link.comment))


def _links(grounding: Grounding) -> list[tuple[NamedNode, Grounding]]:
    """Each term a mention links (several when it names several conditions), with its link."""
    return [(OBO.term(link.object_id), link) for link in grounding.links if link.object_id]


def _cell_product(
    trial: NamedNode, iri: str, product: CellProduct, grounding: Grounding
) -> Iterator[Statement]:
    intervention = NamedNode(iri)
    yield (trial, TRIALKG.intervention, intervention)
    yield (intervention, RDF.type, TRIALKG.CellProductIntervention)
    yield (intervention, RDFS.label, _string(product.label))
    mention = NamedNode(f"{iri}/cell-type")
    yield (intervention, TRIALKG.cellTypeMention, mention)
    yield from _mention(mention, TRIALKG.CellTypeMention, product, grounding)
    for term, _ in _links(grounding):
        yield (intervention, TRIALKG.cellType, term)
    if product.source_cell_line:
        yield (intervention, TRIALKG.sourceCellLine, _string(product.source_cell_line))
    if product.route:
        yield (intervention, TRIALKG.route, _string(product.route))
    for j, arm in enumerate(product.dose_arms, 1):
        arm_node = NamedNode(f"{iri}/dose-arm/{j}")
        yield (intervention, TRIALKG.doseArm, arm_node)
        yield (arm_node, RDF.type, TRIALKG.DoseArm)
        yield (arm_node, RDFS.label, _string(arm.label))
        yield (
            arm_node,
            TRIALKG.cellCount,
            Literal(repr(float(arm.cell_count)), datatype=XSD.double),
        )
        if arm.scope:
            yield (arm_node, TRIALKG.doseScope, _string(arm.scope))
        yield (arm_node, TRIALKG.sourceText, _string(arm.source_text))


def _study_details(node: NamedNode, trial: Trial) -> Iterator[Statement]:
    """Title variants, design, eligibility, keywords, MeSH terms and references."""
    if trial.official_title:
        yield (node, TRIALKG.officialTitle, _string(trial.official_title))
    codes = [(TRIALKG.studyType, trial.study_type)]
    if trial.design is not None:
        codes += [
            (TRIALKG.allocation, trial.design.allocation),
            (TRIALKG.interventionModel, trial.design.intervention_model),
            (TRIALKG.masking, trial.design.masking),
            (TRIALKG.primaryPurpose, trial.design.primary_purpose),
        ]
    eligibility = trial.eligibility
    if eligibility is not None:
        codes.append((TRIALKG.eligibleSex, eligibility.sex))
        for prop, age in (
            (TRIALKG.minimumAge, eligibility.minimum_age),
            (TRIALKG.maximumAge, eligibility.maximum_age),
        ):
            if age:
                yield (node, prop, Literal(age, datatype=XSD.duration))
        if eligibility.healthy_volunteers is not None:
            yield (node, TRIALKG.healthyVolunteers, Literal(eligibility.healthy_volunteers))
    for prop, code in codes:
        if code:
            yield (node, prop, _string(code))
    for keyword in trial.keywords:
        yield (node, TRIALKG.keyword, _string(keyword))
    for mesh in trial.condition_mesh:
        yield (node, TRIALKG.meshConditionTerm, _string(mesh.label))
        if mesh.curie:
            term = NamedNode(f"http://id.nlm.nih.gov/mesh/{mesh.curie.partition(':')[2]}")
            yield (node, TRIALKG.meshCondition, term)
            yield (term, RDFS.label, _string(mesh.label))
    for reference in trial.references:
        if reference.pmid:
            paper = NamedNode(f"https://pubmed.ncbi.nlm.nih.gov/{reference.pmid}/")
            prop = TRIALKG.resultReference if reference.type == "RESULT" else DCTERMS.references
            yield (node, prop, paper)
            if reference.citation:
                yield (paper, DCTERMS.bibliographicCitation, _string(reference.citation))
        elif reference.citation:
            yield (node, DCTERMS.references, _string(reference.citation))


def _intervention_details(
    intervention: NamedNode,
    item: CellProduct | Intervention,
    arms: dict[str, NamedNode],
) -> Iterator[Statement]:
    """Type, other names and arms of an intervention, cell product or not."""
    kind = item.intervention_type if isinstance(item, CellProduct) else item.type
    if kind:
        yield (intervention, TRIALKG.interventionType, _string(kind))
    for name in item.other_names:
        yield (intervention, TRIALKG.otherName, _string(name))
    for label in item.arm_labels:
        arm = arms.get(label)
        if arm is not None:
            yield (intervention, TRIALKG.arm, arm)
        else:
            yield (intervention, TRIALKG.armLabel, _string(label))


def contact_quads(trial: Trial, *, base: str = DEFAULT_BASE_IRI) -> Iterator[Quad]:
    """Contact persons of a trial, in its private graph (never published)."""
    graph = graphs_of(trial, base=base).private
    node = trial_iri(trial.key, base=base)
    record = _record_iri(trial, base)
    vcard = "http://www.w3.org/2006/vcard/ns#"
    for i, contact in enumerate(trial.contacts):
        person = NamedNode(f"{record}/contact/{i}")
        yield Quad(node, NamedNode(vcard + "hasContact"), person, graph)
        for field, value in (
            ("given-name", contact.first_name),
            ("family-name", contact.last_name),
            ("hasEmail", contact.email),
            ("hasTelephone", contact.phone),
        ):
            if value:
                yield Quad(person, NamedNode(vcard + field), _string(value), graph)
