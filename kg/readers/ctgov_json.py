"""Reader of ClinicalTrials.gov API v2 JSON: one study, an array, a page, JSON Lines.

Each study becomes a :class:`~kg.model.Trial` or, when it cannot be read, a
:class:`~kg.errors.RecordError` in the stream, so one bad study never stops the others in the
same file. v2 text is Markdown with backslash escapes; it is stored as clean text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

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
    recruitment_status,
    split_interventions,
    study_url,
)

__all__ = ["SOURCE", "read_studies", "study_to_trial"]

logger = logging.getLogger(__name__)

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# v2 text is Markdown: CommonMark lets a backslash escape any ASCII punctuation ("\>", "\^").
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# What str.splitlines breaks at, and runs of spaces or tabs: text without them is only stripped.
_NEEDS_CLEANING = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029\t]|  ")
_ESTIMATED = {"ESTIMATED": True, "ANTICIPATED": True, "ACTUAL": False}


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = _ESCAPE.sub(r"\1", value) if "\\" in value else value
    # Most short fields need nothing but stripping: no line break, tab or other unprintable
    # character (isprintable is false for all of those), and no run of spaces.
    if (cleaned.isprintable() and "  " not in cleaned) or _NEEDS_CLEANING.search(cleaned) is None:
        return cleaned.strip() or None
    cleaned = "\n".join(_SPACES.sub(" ", line).strip() for line in cleaned.splitlines())
    cleaned = _BLANK_LINES.sub("\n\n", cleaned).strip()
    return cleaned or None


def _texts(value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (_text(v) for v in _list(value)) if t))


def _code(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _get(data: Mapping[str, Any], *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _maps(value: object) -> list[Mapping[str, Any]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


class _Study:
    """One study's modules, with the file and record names every error needs."""

    def __init__(self, protocol: Mapping[str, Any], *, path: str, record: str) -> None:
        self.protocol = protocol
        self.path = path
        self.record = record

    def module(self, name: str) -> Mapping[str, Any]:
        found = self.protocol.get(name)
        return found if isinstance(found, Mapping) else {}

    def error(self, field: str, message: str) -> RecordError:
        return RecordError(self.path, self.record, field, message)

    def date(self, field: str) -> DatedValue | None:
        struct = self.module("statusModule").get(field)
        if not isinstance(struct, Mapping) or not struct.get("date"):
            return None
        value = str(struct["date"])
        if not _DATE.match(value):
            raise self.error(
                f"statusModule.{field}", f"expected a date YYYY[-MM[-DD]]; found {value!r}"
            )
        return DatedValue(value, estimated=_ESTIMATED.get(str(struct.get("type"))))

    def enrollment(self) -> Enrollment | None:
        info = self.module("designModule").get("enrollmentInfo")
        if not isinstance(info, Mapping) or info.get("count") is None:
            return None
        count = info["count"]
        if isinstance(count, bool) or not isinstance(count, int | str):
            count = None
        try:
            number = int(count) if count is not None else -1
        except ValueError:
            number = -1
        if number < 0:
            raise self.error(
                "designModule.enrollmentInfo.count",
                f"expected a whole number; found {info['count']!r}",
            )
        return Enrollment(number, _ESTIMATED.get(str(info.get("type"))))

    def phases(self) -> tuple[Phase, ...]:
        phases = []
        for code in _list(self.module("designModule").get("phases")):
            try:
                phases.append(Phase(code))
            except ValueError:
                logger.warning(
                    "%s, study %s, field 'designModule.phases': unknown phase %r",
                    self.path,
                    self.record,
                    code,
                )
        return tuple(dict.fromkeys(phases))

    def identifiers(self) -> tuple[Identifier, ...]:
        ident = self.module("identificationModule")
        found = []
        org = _get(ident, "orgStudyIdInfo", "id")
        if isinstance(org, str) and org.strip():
            found.append(Identifier(org.strip(), "org study id"))
        for secondary in _maps(ident.get("secondaryIdInfos")):
            if secondary.get("id"):
                scheme = secondary.get("type") or secondary.get("domain")
                found.append(
                    Identifier(str(secondary["id"]).strip(), str(scheme) if scheme else None)
                )
        return tuple(found)

    def sponsors(self) -> tuple[Sponsor, ...]:
        module = self.module("sponsorCollaboratorsModule")
        found = []
        lead = module.get("leadSponsor")
        for role, org in [("lead", lead)] + [
            ("collaborator", c) for c in _list(module.get("collaborators"))
        ]:
            if isinstance(org, Mapping) and _text(org.get("name")):
                found.append(Sponsor(str(_text(org["name"])), role, _code(org.get("class"))))
        return tuple(found)

    def locations(self) -> tuple[Location, ...]:
        found = []
        for place in _maps(self.module("contactsLocationsModule").get("locations")):
            city, country = _text(place.get("city")), _text(place.get("country"))
            name = _text(place.get("facility")) or ", ".join(filter(None, [city, country]))
            if name:
                found.append(Location(name, city, _text(place.get("state")), country))
        return tuple(found)

    def design(self) -> Design | None:
        module = self.module("designModule")
        info = module.get("designInfo")
        if not isinstance(info, Mapping):
            return None
        design = Design(
            allocation=_code(info.get("allocation")),
            intervention_model=_code(info.get("interventionModel")),
            masking=_code(_get(info, "maskingInfo", "masking")),
            primary_purpose=_code(info.get("primaryPurpose")),
        )
        return design if design != Design() else None

    def eligibility(self) -> Eligibility | None:
        module = self.module("eligibilityModule")
        if not module:
            return None
        ages = {}
        for key in ("minimumAge", "maximumAge"):
            try:
                ages[key] = age_duration(_code(module.get(key)))
            except ValueError as exc:
                raise self.error(f"eligibilityModule.{key}", str(exc)) from None
        healthy = module.get("healthyVolunteers")
        return Eligibility(
            sex=_code(module.get("sex")),
            minimum_age=ages["minimumAge"],
            maximum_age=ages["maximumAge"],
            healthy_volunteers=healthy if isinstance(healthy, bool) else None,
        )

    def interventions(self) -> tuple[Intervention, ...]:
        found = []
        module = self.module("armsInterventionsModule")
        for item in _maps(module.get("interventions")):
            name = _text(item.get("name"))
            if name:
                found.append(
                    Intervention(
                        name=name,
                        type=_code(item.get("type")),
                        description=_text(item.get("description")),
                        other_names=_texts(item.get("otherNames")),
                        arm_labels=_texts(item.get("armGroupLabels")),
                    )
                )
        return tuple(found)

    def arms(self) -> tuple[Arm, ...]:
        found = []
        for item in _maps(self.module("armsInterventionsModule").get("armGroups")):
            label = _text(item.get("label"))
            if label:
                found.append(
                    Arm(
                        label=label,
                        type=_code(item.get("type")),
                        description=_text(item.get("description")),
                        intervention_names=_texts(item.get("interventionNames")),
                    )
                )
        return tuple(found)

    def references(self) -> tuple[Reference, ...]:
        found = []
        for item in _maps(self.module("referencesModule").get("references")):
            pmid = str(item["pmid"]).strip() if item.get("pmid") is not None else None
            if pmid and not pmid.isdigit():
                raise self.error(
                    "referencesModule.references.pmid", f"expected digits; found {pmid!r}"
                )
            citation = _text(item.get("citation"))
            if pmid or citation:
                found.append(Reference(pmid, _code(item.get("type")), citation))
        return tuple(found)


def _mesh(study: Mapping[str, Any]) -> tuple[Code, ...]:
    meshes = _get(study, "derivedSection", "conditionBrowseModule", "meshes")
    found = []
    for mesh in _maps(meshes):
        term, mesh_id = _text(mesh.get("term")), _code(mesh.get("id"))
        if term:
            found.append(Code(term, f"MESH:{mesh_id}" if mesh_id else None))
    return tuple(dict.fromkeys(found))


def study_to_trial(study: Mapping[str, Any], *, path: str, index: int = 0) -> Trial:
    """One v2 study object as a trial.

    :raises RecordError: naming the file, the study (NCT id or position) and the field.
    """
    protocol = study.get("protocolSection")
    if not isinstance(protocol, Mapping):
        raise RecordError(
            path,
            f"#{index + 1}",
            "protocolSection",
            "expected a ClinicalTrials.gov API v2 study with a protocolSection",
        )
    nct = _get(protocol, "identificationModule", "nctId")
    record = nct if isinstance(nct, str) else f"#{index + 1}"
    s = _Study(protocol, path=path, record=record)
    if not isinstance(nct, str) or not NCT.match(nct):
        raise s.error(
            "identificationModule.nctId", f"expected NCT followed by 8 digits; found {nct!r}"
        )
    ident = s.module("identificationModule")
    status = s.module("statusModule")
    brief, official = _text(ident.get("briefTitle")), _text(ident.get("officialTitle"))
    title = brief or official
    if not title:
        raise s.error("identificationModule.briefTitle", "no title")
    overall = status.get("overallStatus")
    products, others = split_interventions(s.interventions())
    design = s.module("designModule")
    conditions = s.module("conditionsModule")
    return Trial(
        source=SourceRecord(
            SOURCE,
            nct,
            path,
            url=study_url(nct),
            sha256=hashlib.sha256(json.dumps(study, sort_keys=True).encode("utf-8")).hexdigest(),
            updated=s.date("lastUpdatePostDateStruct"),
        ),
        title=title,
        official_title=official if official != title else None,
        acronym=_text(ident.get("acronym")),
        nct_id=nct,
        summary=_text(_get(protocol, "descriptionModule", "briefSummary")),
        description=_text(_get(protocol, "descriptionModule", "detailedDescription")),
        phases=s.phases(),
        phase_text=", ".join(str(p) for p in _list(design.get("phases"))) or None,
        study_type=_code(design.get("studyType")),
        design=s.design(),
        start=s.date("startDateStruct"),
        primary_completion=s.date("primaryCompletionDateStruct"),
        end=s.date("completionDateStruct"),
        recruitment_status=recruitment_status(overall if isinstance(overall, str) else None),
        why_stopped=_text(status.get("whyStopped")),
        last_known_status=recruitment_status(_code(status.get("lastKnownStatus"))),
        enrollment=s.enrollment(),
        conditions=tuple(Condition(label=text) for text in _texts(conditions.get("conditions"))),
        condition_mesh=_mesh(study),
        keywords=_texts(conditions.get("keywords")),
        cell_products=products,
        interventions=others,
        arms=s.arms(),
        eligibility=s.eligibility(),
        references=s.references(),
        identifiers=s.identifiers(),
        sponsors=s.sponsors(),
        sites=s.locations(),
    )


def read_studies(data: bytes, name: str) -> Iterator[Trial | RecordError]:
    """Every study in v2 JSON bytes: a study, an array, a ``{"studies": [...]}`` page, or JSON
    Lines. Unreadable studies come out as errors in the stream."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield RecordError(name, None, None, f"not UTF-8: undecodable byte at offset {exc.start}")
        return
    studies: list[Any]
    try:
        document = json.loads(text)
        classic = CLASSIC_ROOTS.intersection(document) if isinstance(document, Mapping) else ()
        if classic or (isinstance(document, Mapping) and "ProtocolSection" in document):
            root = next(iter(classic), "ProtocolSection")
            yield RecordError(name, None, None, CLASSIC_MESSAGE.format(root=root))
            return
        if isinstance(document, Mapping) and isinstance(document.get("studies"), list):
            studies = document["studies"]
        elif isinstance(document, list):
            studies = document
        else:
            studies = [document]
    except json.JSONDecodeError as exc:
        # JSON Lines ends lines with "\n" (or "\r\n") only: str.splitlines would also cut at
        # U+2028 and other separators, which JSON strings may hold as they are.
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) < 2:  # not JSON Lines either
            yield RecordError(
                name,
                None,
                None,
                f"expected ClinicalTrials.gov JSON; {exc.msg} at line {exc.lineno}",
                line=exc.lineno,
            )
            return
        studies = []
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                studies.append(json.loads(line))
            except json.JSONDecodeError as bad:
                yield RecordError(
                    name, f"line {number}", None, f"JSON Lines: {bad.msg}", line=number
                )
    for i, study in enumerate(studies):
        if not isinstance(study, Mapping):
            yield RecordError(name, f"#{i + 1}", None, "expected a study object")
            continue
        try:
            yield study_to_trial(study, path=name, index=i)
        except RecordError as exc:
            yield exc
        except (TypeError, ValueError, AttributeError) as exc:  # a shape no field check caught
            yield RecordError(
                name, f"#{i + 1}", None, f"unexpected structure ({type(exc).__name__}: {exc})"
            )
