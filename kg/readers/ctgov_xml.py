"""Reader of ClinicalTrials.gov legacy XML (``<clinical_study>``), from 2007 to the 2023 format.

The XML is what ClinicalTrials.gov's old bulk download and ``/show/NCT...?displayxml=true``
served. It spells codes in words ("Active, not recruiting", "Phase 1/Phase 2", "Anticipated"),
hard-wraps its text blocks, and changed field names in 2017 (``gender`` "Both" became "All",
``study_design`` one line became ``study_design_info``, "Anticipated" dates became
"Estimated"). All of it maps to the same trial model as the v2 JSON.

Parsing goes through defusedxml, because record files come from outside: entity expansion and
external entities are refused.
"""

from __future__ import annotations

import hashlib
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from kg.errors import RecordError
from kg.model import (
    Arm,
    Code,
    Condition,
    DatedValue,
    Design,
    Eligibility,
    Enrollment,
    Identifier,
    Intervention,
    Location,
    Phase,
    Reference,
    SourceRecord,
    Sponsor,
    Trial,
)
from kg.readers.ctgov import (
    CLASSIC_MESSAGE,
    CLASSIC_ROOTS,
    NCT,
    SOURCE,
    age_duration,
    as_code,
    recruitment_status,
    split_interventions,
    study_url,
)

__all__ = ["clean_textblock", "read_clinical_study", "read_xml"]

logger = logging.getLogger(__name__)

# Start, completion and enrollment said "Anticipated"; the posted dates say "Estimate".
_ESTIMATED = {"ANTICIPATED": True, "ESTIMATED": True, "ESTIMATE": True, "ACTUAL": False}
# The XML wrote the federal class out ("U.S. Fed"); v2 calls it FED.
_AGENCY_CLASS = {"U_S_FED": "FED"}
_PHASES = {
    "EARLY_PHASE_1": (Phase.EARLY_PHASE1,),
    "PHASE_0": (Phase.EARLY_PHASE1,),
    "PHASE_1": (Phase.PHASE1,),
    "PHASE_2": (Phase.PHASE2,),
    "PHASE_3": (Phase.PHASE3,),
    "PHASE_4": (Phase.PHASE4,),
    "PHASE_1/PHASE_2": (Phase.PHASE1, Phase.PHASE2),
    "PHASE_2/PHASE_3": (Phase.PHASE2, Phase.PHASE3),
    "N/A": (Phase.NOT_APPLICABLE,),
    "N_A": (Phase.NOT_APPLICABLE,),
}
_ALLOCATION = {"RANDOMIZED": "RANDOMIZED", "NON_RANDOMIZED": "NON_RANDOMIZED", "N/A": "NA"}
_MODEL = {
    "SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP",
    "PARALLEL_ASSIGNMENT": "PARALLEL",
    "CROSSOVER_ASSIGNMENT": "CROSSOVER",
    "FACTORIAL_ASSIGNMENT": "FACTORIAL",
    "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL",
}
_MASKING = re.compile(r"^(none|single|double|triple|quadruple)\b", re.IGNORECASE)
_PRE_2017_MASKING = {"OPEN_LABEL": "NONE", "SINGLE_BLIND": "SINGLE", "DOUBLE_BLIND": "DOUBLE"}
_SEX = {"ALL": "ALL", "BOTH": "ALL", "FEMALE": "FEMALE", "MALE": "MALE"}
_HEALTHY = {"YES": True, "ACCEPTS_HEALTHY_VOLUNTEERS": True, "NO": False}
_LIST_ITEM = re.compile(r"^([-*•·]|\d{1,2}[.)]|[a-z][.)]|[ivx]{1,4}[.)])\s")
_DATE_FORMATS = ("%B %d, %Y", "%B %Y", "%b %d, %Y", "%b %Y", "%Y-%m-%d", "%Y-%m")


def clean_textblock(text: str | None) -> str | None:
    """A hard-wrapped XML text block as clean text: paragraphs kept, wrapping undone.

    >>> print(clean_textblock('''
    ...       The study tests MSCs in women
    ...       with POI.
    ...
    ...       Inclusion Criteria:
    ...
    ...         -  Age 20 to 39
    ...         -  No ovarian
    ...            surgery
    ... '''))
    The study tests MSCs in women with POI.
    <BLANKLINE>
    Inclusion Criteria:
    <BLANKLINE>
    - Age 20 to 39
    - No ovarian surgery
    """
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines: list[str] = []
        for raw in block.splitlines():
            line = re.sub(r"\s+", " ", raw).strip()
            if not line:
                continue
            if lines and not _LIST_ITEM.match(line):
                lines[-1] += " " + line
            else:
                lines.append(line)
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs) or None


class _Study:
    """One ``<clinical_study>`` element, with the names every error needs."""

    def __init__(self, root: ET.Element, *, path: str, record: str) -> None:
        self.root = root
        self.path = path
        self.record = record

    def error(self, field: str, message: str) -> RecordError:
        return RecordError(self.path, self.record, field, message)

    def text(self, path: str) -> str | None:
        node = self.root.find(path)
        if node is None:
            return None
        return clean_textblock("".join(node.itertext()))

    def texts(self, path: str, node: ET.Element | None = None) -> tuple[str, ...]:
        found = (
            clean_textblock("".join(n.itertext()))
            for n in (self.root if node is None else node).findall(path)
        )
        return tuple(dict.fromkeys(t for t in found if t))

    def date(self, field: str) -> DatedValue | None:
        node = self.root.find(field)
        if node is None or not (node.text or "").strip():
            return None
        value = " ".join(node.text.split())  # type: ignore[union-attr]
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
            except ValueError:
                continue
            iso = parsed.strftime("%Y-%m-%d" if "%d" in fmt else "%Y-%m")
            kind = node.get("type")
            return DatedValue(iso, _ESTIMATED.get(kind.upper()) if kind else None)
        raise self.error(field, f"expected a date such as 'April 1, 2019'; found {value!r}")

    def phases(self) -> tuple[Phase, ...]:
        text = self.text("phase")
        if not text:
            return ()
        phases = _PHASES.get(as_code(text))
        if phases is None:
            logger.warning(
                "%s, study %s, field 'phase': unknown phase %r", self.path, self.record, text
            )
            return ()
        return phases

    def enrollment(self) -> Enrollment | None:
        node = self.root.find("enrollment")
        if node is None or not (node.text or "").strip():
            return None
        value = (node.text or "").strip()
        if not value.isdigit():
            raise self.error("enrollment", f"expected a whole number; found {value!r}")
        kind = node.get("type")
        return Enrollment(int(value), _ESTIMATED.get(kind.upper()) if kind else None)

    def design(self) -> Design | None:
        info = self.root.find("study_design_info")
        if info is not None:
            allocation = self.text("study_design_info/allocation")
            model = self.text("study_design_info/intervention_model")
            masking = self.text("study_design_info/masking")
            purpose = self.text("study_design_info/primary_purpose")
        else:  # before 2017: "Allocation: Randomized, ..., Primary Purpose: Treatment"
            line = self.text("study_design")
            if not line:
                return None
            parts = dict(
                (k.strip().lower(), v.strip())
                for k, _, v in (p.partition(":") for p in re.split(r",\s*(?=[A-Z][\w ]+:)", line))
            )
            allocation = parts.get("allocation")
            model = parts.get("intervention model")
            masking = parts.get("masking")
            purpose = parts.get("primary purpose")
        masked = None
        if masking:
            found = _MASKING.match(masking)
            code = as_code(masking)
            masked = found.group(1).upper() if found else _PRE_2017_MASKING.get(code.split("_(")[0])
        design = Design(
            allocation=_ALLOCATION.get(as_code(allocation), as_code(allocation))
            if allocation
            else None,
            intervention_model=_MODEL.get(as_code(model), as_code(model)) if model else None,
            masking=masked,
            primary_purpose=as_code(purpose) if purpose else None,
        )
        return design if design != Design() else None

    def eligibility(self) -> Eligibility | None:
        if self.root.find("eligibility") is None:
            return None
        ages = {}
        for key in ("minimum_age", "maximum_age"):
            try:
                ages[key] = age_duration(self.text(f"eligibility/{key}"))
            except ValueError as exc:
                raise self.error(f"eligibility/{key}", str(exc)) from None
        sex = self.text("eligibility/gender")
        healthy = self.text("eligibility/healthy_volunteers")
        return Eligibility(
            sex=_SEX.get(as_code(sex)) if sex else None,
            minimum_age=ages["minimum_age"],
            maximum_age=ages["maximum_age"],
            healthy_volunteers=_HEALTHY.get(as_code(healthy)) if healthy else None,
        )

    def sponsors(self) -> tuple[Sponsor, ...]:
        found = []
        for tag, role in (
            ("sponsors/lead_sponsor", "lead"),
            ("sponsors/collaborator", "collaborator"),
        ):
            for node in self.root.findall(tag):
                name = clean_textblock(node.findtext("agency"))
                agency_class = clean_textblock(node.findtext("agency_class"))
                if name:
                    code = as_code(agency_class) if agency_class else None
                    found.append(
                        Sponsor(name, role, _AGENCY_CLASS.get(code, code) if code else None)
                    )
        return tuple(found)

    def locations(self) -> tuple[Location, ...]:
        found = []
        for node in self.root.findall("location/facility"):
            city = clean_textblock(node.findtext("address/city"))
            country = clean_textblock(node.findtext("address/country"))
            name = clean_textblock(node.findtext("name")) or ", ".join(
                filter(None, [city, country])
            )
            if name:
                found.append(
                    Location(name, city, clean_textblock(node.findtext("address/state")), country)
                )
        return tuple(found)

    def interventions(self) -> tuple[Intervention, ...]:
        found = []
        for node in self.root.findall("intervention"):
            name = clean_textblock(node.findtext("intervention_name"))
            if not name:
                continue
            kind = clean_textblock(node.findtext("intervention_type"))
            found.append(
                Intervention(
                    name=name,
                    type=as_code(kind) if kind else None,
                    description=clean_textblock(node.findtext("description")),
                    other_names=self.texts("other_name", node),
                    arm_labels=self.texts("arm_group_label", node),
                )
            )
        return tuple(found)

    def arms(self) -> tuple[Arm, ...]:
        found = []
        for node in self.root.findall("arm_group"):
            label = clean_textblock(node.findtext("arm_group_label"))
            if label:
                kind = clean_textblock(node.findtext("arm_group_type"))
                found.append(
                    Arm(
                        label=label,
                        type=as_code(kind) if kind else None,
                        description=clean_textblock(node.findtext("description")),
                    )
                )
        # The XML lists an arm's interventions on the intervention; the model keeps both sides.
        by_arm: dict[str, list[str]] = {}
        for item in self.interventions():
            for label in item.arm_labels:
                by_arm.setdefault(label, []).append(item.name)
        return tuple(
            Arm(a.label, a.type, a.description, tuple(by_arm.get(a.label, ()))) for a in found
        )

    def references(self) -> tuple[Reference, ...]:
        found = []
        for tag, kind in (("reference", "BACKGROUND"), ("results_reference", "RESULT")):
            for node in self.root.findall(tag):
                pmid = (node.findtext("PMID") or "").strip() or None
                if pmid and not pmid.isdigit():
                    raise self.error(f"{tag}/PMID", f"expected digits; found {pmid!r}")
                citation = clean_textblock(node.findtext("citation"))
                if pmid or citation:
                    found.append(Reference(pmid, kind, citation))
        return tuple(found)

    def identifiers(self) -> tuple[Identifier, ...]:
        found = []
        org = self.text("id_info/org_study_id")
        if org:
            found.append(Identifier(org, "org study id"))
        for value in self.texts("id_info/secondary_id"):
            found.append(Identifier(value))
        for value in self.texts("id_info/nct_alias"):
            found.append(Identifier(value, "NCT alias"))
        return tuple(found)


def read_clinical_study(root: ET.Element, *, path: str, data: bytes = b"") -> Trial:
    """One ``<clinical_study>`` element as a trial.

    :raises RecordError: naming the file, the study and the field.
    """
    nct = (root.findtext("id_info/nct_id") or "").strip()
    study = _Study(root, path=path, record=nct or "clinical_study")
    if not NCT.match(nct):
        raise study.error("id_info/nct_id", f"expected NCT followed by 8 digits; found {nct!r}")
    brief, official = study.text("brief_title"), study.text("official_title")
    title = brief or official
    if not title:
        raise study.error("brief_title", "no title")
    products, others = split_interventions(study.interventions())
    phase_text = study.text("phase")
    study_type = study.text("study_type")
    return Trial(
        source=SourceRecord(
            SOURCE,
            nct,
            path,
            url=study_url(nct),
            sha256=hashlib.sha256(data).hexdigest(),
            # "last_update_posted" since 2017; the older layout calls it "lastchanged_date"
            updated=study.date("last_update_posted") or study.date("lastchanged_date"),
        ),
        title=title,
        official_title=official if official != title else None,
        acronym=study.text("acronym"),
        nct_id=nct,
        summary=study.text("brief_summary/textblock"),
        description=study.text("detailed_description/textblock"),
        phases=study.phases(),
        phase_text=phase_text,
        study_type=as_code(study_type.split("[")[0]) if study_type else None,
        design=study.design(),
        start=study.date("start_date"),
        primary_completion=study.date("primary_completion_date"),
        end=study.date("completion_date"),
        recruitment_status=recruitment_status(study.text("overall_status")),
        why_stopped=study.text("why_stopped"),
        last_known_status=recruitment_status(study.text("last_known_status")),
        enrollment=study.enrollment(),
        conditions=tuple(Condition(label=text) for text in study.texts("condition")),
        condition_mesh=tuple(Code(term) for term in study.texts("condition_browse/mesh_term")),
        keywords=study.texts("keyword"),
        cell_products=products,
        interventions=others,
        arms=study.arms(),
        eligibility=study.eligibility(),
        references=study.references(),
        identifiers=study.identifiers(),
        sponsors=study.sponsors(),
        sites=study.locations(),
    )


def read_xml(data: bytes, name: str) -> Iterator[Trial | RecordError]:
    """The study in one legacy XML file (or each ``<clinical_study>`` under a wrapper element).

    The retired classic-API formats are recognised and rejected with a message saying so.
    """
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        yield RecordError(name, None, None, f"refused unsafe XML ({type(exc).__name__})")
        return
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        yield RecordError(name, None, None, f"not well-formed XML: {exc}", line=line)
        return
    if root.tag in CLASSIC_ROOTS:
        yield RecordError(name, None, None, CLASSIC_MESSAGE.format(root=root.tag))
        return
    studies = [root] if root.tag == "clinical_study" else root.findall(".//clinical_study")
    if not studies:
        yield RecordError(
            name, None, None, f"expected a <clinical_study> element; the root is <{root.tag}>"
        )
        return
    for i, element in enumerate(studies):
        try:
            yield read_clinical_study(
                element, path=name, data=data if len(studies) == 1 else ET.tostring(element)
            )
        except RecordError as exc:
            yield exc
        except (TypeError, ValueError, AttributeError) as exc:
            yield RecordError(
                name, f"#{i + 1}", None, f"unexpected structure ({type(exc).__name__}: {exc})"
            )
