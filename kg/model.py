"""The trial model: what every reader produces and every later stage consumes.

One typed, source-independent description of a clinical trial. Readers fill it from their
format; grounding adds ontology links beside it; the RDF mapping writes it out. Nothing here
knows about files or RDF.

All classes are frozen, slotted dataclasses. Collections are tuples; an absent value is ``None``
or ``()``, never an empty string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Arm",
    "CellProduct",
    "Code",
    "Condition",
    "Contact",
    "DatedValue",
    "Design",
    "DoseArm",
    "Eligibility",
    "Enrollment",
    "GroundedTrial",
    "Grounding",
    "Identifier",
    "Intervention",
    "Location",
    "MentionKind",
    "Override",
    "Phase",
    "RecruitmentStatus",
    "Reference",
    "SourceRecord",
    "Sponsor",
    "Trial",
]

_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# An ISO 8601 duration in whole years, months, weeks, days, hours or minutes ("P18Y", "PT6H").
_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$")


class Phase(StrEnum):
    """A trial phase, in ClinicalTrials.gov's closed list of codes."""

    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"
    NOT_APPLICABLE = "NA"


class RecruitmentStatus(StrEnum):
    """Overall recruitment status, in ClinicalTrials.gov's closed list of codes (those of
    studies, then those of expanded-access records)."""

    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    COMPLETED = "COMPLETED"
    WITHDRAWN = "WITHDRAWN"
    UNKNOWN = "UNKNOWN"
    # An expanded-access record (treatment outside a trial) has these instead.
    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"


class MentionKind(StrEnum):
    """What a free-text mention names, and so which ontology grounds it."""

    CONDITION = "condition"
    CELL_TYPE = "cell_type"


@dataclass(frozen=True, slots=True)
class DatedValue:
    """A date as a record states it, with its precision and whether it is a plan or a fact.

    >>> DatedValue("2019-04-03", estimated=True).precision
    'day'
    """

    #: ISO 8601 date at the precision the record gives: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
    value: str
    #: True for an estimated/anticipated date, False for an actual one, None when unstated.
    estimated: bool | None = None

    def __post_init__(self) -> None:
        if not _ISO_DATE.match(self.value):
            raise ValueError(f"expected an ISO date YYYY[-MM[-DD]], found {self.value!r}")

    @property
    def precision(self) -> str:
        """``"year"``, ``"month"`` or ``"day"``."""
        return {4: "year", 7: "month", 10: "day"}[len(self.value)]


@dataclass(frozen=True, slots=True)
class Enrollment:
    """Number of participants: a target (estimated) or the actual count."""

    #: Number of participants.
    count: int
    #: True for a target/estimated enrollment, False for the actual count, None when unstated.
    estimated: bool | None = None


@dataclass(frozen=True, slots=True)
class Identifier:
    """A trial identifier other than the registry's own id."""

    #: The identifier as written, e.g. ``"IOZ ChineseAS POI-2"`` or ``"2019-001234-56"``.
    value: str
    #: The issuing scheme when known (``"NCT"``, ``"EudraCT"``, ``"ChiCTR"``, ...), else None.
    scheme: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition (disease) a trial studies, as the record states it."""

    #: The condition as the record names it, e.g. ``"primary ovarian insufficiency"``.
    label: str
    #: The record's description of the condition (hPSCreg copies the ontology definition).
    description: str | None = None
    #: An ontology IRI or CURIE the record itself gives for the condition (EFO, DOID, ...).
    ontology_ref: str | None = None


@dataclass(frozen=True, slots=True)
class DoseArm:
    """One dose group of a cell-product intervention, read from the record's free text."""

    #: The group's name in the text, e.g. ``"low"``.
    label: str
    #: Number of cells per administration, e.g. ``2000000.0`` for "0.2×10^7".
    cell_count: float
    #: Where each administration goes, e.g. ``"per ovary"``; None when the text does not say.
    scope: str | None
    #: The sentence the arm was read from, verbatim.
    source_text: str


@dataclass(frozen=True, slots=True)
class CellProduct:
    """A cell-product intervention: the differentiated cell type a trial administers."""

    #: The cell type as the record names it, e.g. ``"mesenchymal stem cell"``.
    label: str
    #: The record's description (hPSCreg copies the CL definition and comment).
    description: str | None = None
    #: An ontology IRI or CURIE the record itself gives for the cell type.
    ontology_ref: str | None = None
    #: The pluripotent stem cell line the product is derived from, when named.
    source_cell_line: str | None = None
    #: Route of administration, e.g. ``"intraovarian injection"``, when stated.
    route: str | None = None
    #: Dose groups, when the record describes them.
    dose_arms: tuple[DoseArm, ...] = ()
    #: ClinicalTrials.gov's intervention type code, e.g. ``"BIOLOGICAL"``.
    intervention_type: str | None = None
    #: Other names the record lists for the product.
    other_names: tuple[str, ...] = ()
    #: Labels of the arm groups that receive it.
    arm_labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Intervention:
    """An intervention that is not a cell product: a drug, device, procedure, behaviour, ..."""

    #: The intervention as the record names it, e.g. ``"Cyclophosphamide"``.
    name: str
    #: ClinicalTrials.gov's intervention type code, e.g. ``"DRUG"``, ``"DEVICE"``.
    type: str | None = None
    description: str | None = None
    #: Other names the record lists (brand names, code names).
    other_names: tuple[str, ...] = ()
    #: Labels of the arm groups that receive it.
    arm_labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Arm:
    """An arm group of a trial: who gets which interventions."""

    label: str
    #: ClinicalTrials.gov's arm type code, e.g. ``"EXPERIMENTAL"``, ``"PLACEBO_COMPARATOR"``.
    type: str | None = None
    description: str | None = None
    #: Names of the interventions the arm receives, as the record writes them.
    intervention_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Design:
    """How an interventional study is designed, in ClinicalTrials.gov's codes."""

    #: ``"RANDOMIZED"``, ``"NON_RANDOMIZED"`` or ``"NA"``.
    allocation: str | None = None
    #: ``"SINGLE_GROUP"``, ``"PARALLEL"``, ``"CROSSOVER"``, ``"FACTORIAL"``, ``"SEQUENTIAL"``.
    intervention_model: str | None = None
    #: ``"NONE"``, ``"SINGLE"``, ``"DOUBLE"``, ``"TRIPLE"``, ``"QUADRUPLE"``.
    masking: str | None = None
    #: ``"TREATMENT"``, ``"PREVENTION"``, ``"BASIC_SCIENCE"``, ...
    primary_purpose: str | None = None


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may take part.

    >>> Eligibility(minimum_age="P18Y").minimum_age
    'P18Y'
    """

    #: ``"ALL"``, ``"FEMALE"`` or ``"MALE"``.
    sex: str | None = None
    #: ISO 8601 duration, e.g. ``"P18Y"``; None when there is no limit.
    minimum_age: str | None = None
    maximum_age: str | None = None
    healthy_volunteers: bool | None = None

    def __post_init__(self) -> None:
        for age in (self.minimum_age, self.maximum_age):
            if age is not None and not _ISO_DURATION.match(age):
                raise ValueError(f"expected an ISO 8601 duration such as P18Y, found {age!r}")


@dataclass(frozen=True, slots=True)
class Reference:
    """A publication a record cites."""

    #: PubMed id, digits only.
    pmid: str | None = None
    #: ``"BACKGROUND"``, ``"RESULT"`` or ``"DERIVED"``.
    type: str | None = None
    citation: str | None = None


@dataclass(frozen=True, slots=True)
class Code:
    """A term of a controlled vocabulary a record gives, e.g. a MeSH descriptor."""

    #: The term's name, e.g. ``"Primary Ovarian Insufficiency"``.
    label: str
    #: CURIE, e.g. ``"MESH:D016649"``, when the record gives the identifier (the v2 API does,
    #: the legacy XML gives only the name).
    curie: str | None = None


@dataclass(frozen=True, slots=True)
class Sponsor:
    """An organisation that sponsors or collaborates on a trial."""

    name: str
    #: ``"lead"`` or ``"collaborator"``; None when the record does not say.
    role: str | None = None
    #: ClinicalTrials.gov's agency class: ``"INDUSTRY"``, ``"NIH"``, ``"OTHER_GOV"``, ...
    agency_class: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """A study site."""

    #: The facility, or the whole site as one line when the record does not split it.
    name: str
    city: str | None = None
    state: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A public contact person. Personal data: never written to the public graph."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """Where a trial description came from: one record of one registry."""

    #: Short name of the source, also used in graph IRIs: ``"hpscreg"``, ``"ctgov"``.
    source: str
    #: The record's identifier within its source, e.g. ``"48"`` or ``"NCT03877471"``.
    record_id: str
    #: The file the record was read from, as given to the reader.
    path: str
    #: The record's public web page, e.g. ``"https://hpscreg.eu/browse/trial/48"``.
    url: str | None = None
    #: SHA-256 of the record's bytes, so a reload can tell whether it changed.
    sha256: str | None = None
    #: When the source last posted an update of the record, if it says (ClinicalTrials.gov's
    #: "last update posted"): what ``trialkg fetch --since-store`` asks the registry after.
    updated: DatedValue | None = None


@dataclass(frozen=True, slots=True)
class Trial:
    """A clinical trial as one source describes it."""

    #: Where this description came from.
    source: SourceRecord
    #: The title: the brief title where the record has two, without a trailing acronym.
    title: str
    #: The acronym the title ends with in parentheses, e.g. ``"MSCLCTWPOI"``.
    acronym: str | None = None
    #: ClinicalTrials.gov number, e.g. ``"NCT03877471"``; the key that merges sources.
    nct_id: str | None = None
    #: Brief summary.
    summary: str | None = None
    #: Detailed description.
    description: str | None = None
    #: Phases, as a trial may be in two at once (phase 1/2).
    phases: tuple[Phase, ...] = ()
    #: The phase as the record writes it, e.g. ``"Phase 1"``.
    phase_text: str | None = None
    start: DatedValue | None = None
    #: When the last participant was examined for the primary outcome.
    primary_completion: DatedValue | None = None
    end: DatedValue | None = None
    recruitment_status: RecruitmentStatus | None = None
    #: Why a study stopped early (terminated, suspended, withdrawn), as written.
    why_stopped: str | None = None
    #: The status last known before a study's status became UNKNOWN.
    last_known_status: RecruitmentStatus | None = None
    enrollment: Enrollment | None = None
    conditions: tuple[Condition, ...] = ()
    #: MeSH terms the registry assigned to the conditions; may be wrong, never overrides text.
    condition_mesh: tuple[Code, ...] = ()
    keywords: tuple[str, ...] = ()
    cell_products: tuple[CellProduct, ...] = ()
    #: Interventions that are not cell products.
    interventions: tuple[Intervention, ...] = ()
    arms: tuple[Arm, ...] = ()
    #: The official (scientific) title when the record has one beside the brief title.
    official_title: str | None = None
    #: ``"INTERVENTIONAL"``, ``"OBSERVATIONAL"`` or ``"EXPANDED_ACCESS"``.
    study_type: str | None = None
    design: Design | None = None
    eligibility: Eligibility | None = None
    references: tuple[Reference, ...] = ()
    #: Identifiers other than the NCT number and the record id.
    identifiers: tuple[Identifier, ...] = ()
    #: Link to the WHO ICTRP entry.
    ictrp_url: str | None = None
    #: The web page the registry copied the trial from.
    source_url: str | None = None
    #: Study sites.
    sites: tuple[Location, ...] = ()
    #: Sponsor and collaborator organisations, lead sponsor first.
    sponsors: tuple[Sponsor, ...] = ()
    #: Contact institutions or departments (organisations, not people).
    contact_institutions: tuple[str, ...] = ()
    #: Public contact persons. Personal data: kept out of the public graph.
    contacts: tuple[Contact, ...] = ()

    @property
    def key(self) -> str:
        """The trial's identity across sources: its NCT number, else ``<source>-<record id>``.

        >>> src = SourceRecord("hpscreg", "48", "seeds/hpscreg-48.txt")
        >>> Trial(src, "A trial").key
        'hpscreg-48'
        """
        return self.nct_id or f"{self.source.source}-{self.source.record_id}"


@dataclass(frozen=True, slots=True)
class Grounding:
    """How one free-text mention was linked to an ontology term, or why it was not.

    Field names follow SSSOM, so a mapping export is a projection of these records.
    """

    #: Which kind of mention this is (condition or cell type).
    kind: MentionKind
    #: The mention as the record writes it.
    subject_label: str
    #: CURIE of the matched term, e.g. ``"DOID:5426"``; None when ungrounded.
    object_id: str | None
    #: The matched term's current label.
    object_label: str | None
    #: Our strategy that won: ``"definition"``, ``"exact_label"``, ``"exact_synonym"``, ...;
    #: ``"none"`` when nothing matched.
    method: str
    #: The SEMAPV justification, e.g. ``"semapv:LexicalMatching"``.
    mapping_justification: str
    #: The text on the ontology side that matched (a label, a synonym, a definition).
    matched_text: str | None
    #: 0..1, documented per strategy.
    confidence: float
    #: SKOS relation of mention to term, e.g. ``"skos:exactMatch"``.
    predicate_id: str = "skos:exactMatch"
    #: IRI of the ontology the term came from.
    object_source: str | None = None
    #: Version IRI (or version string) of that ontology release.
    object_source_version: str | None = None
    #: Free-text remarks, e.g. "obsolete DOID:1234 replaced by DOID:5678".
    comment: str | None = None
    #: Set when another source's coding of the mention (ClinicalTrials.gov's MeSH terms)
    #: disagrees with this grounding: what it says instead.
    disagreement: str | None = None
    #: For a mention left ambiguous: the terms that matched it equally.
    candidates: tuple[str, ...] = ()
    #: For a mention that names several diseases ("Breast and Ovarian Cancer"): the links of
    #: the others, each made as this one is. This grounding is the first named.
    also: tuple[Grounding, ...] = ()

    @property
    def grounded(self) -> bool:
        return self.object_id is not None

    @property
    def links(self) -> tuple[Grounding, ...]:
        """Every link the mention has: this grounding's (when grounded) and the others'."""
        return ((self,) if self.grounded else ()) + self.also


@dataclass(frozen=True, slots=True)
class GroundedTrial:
    """A trial with one grounding per condition and per cell product, in the same order."""

    trial: Trial
    conditions: tuple[Grounding, ...] = field(default=())
    cell_products: tuple[Grounding, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.conditions) != len(self.trial.conditions):
            raise ValueError("one grounding per condition expected")
        if len(self.cell_products) != len(self.trial.cell_products):
            raise ValueError("one grounding per cell product expected")


@dataclass(frozen=True, slots=True)
class Override:
    """A curator's decision: this mention means this term (or nothing, when ``object_id`` is
    ``sssom:NoTermFound``)."""

    subject_label: str
    object_id: str | None
    predicate_id: str
    confidence: float
    comment: str | None
    #: Where the decision was read: ``file:line``.
    source: str
