"""Reader of ClinicalTrials.gov API v2 JSON: one study, an array, a page, JSON Lines.

Each study becomes a :class:`~kg.model.Trial` or, when it cannot be read, a
:class:`~kg.errors.RecordError` in the stream, so one bad study never stops the others in the
same file. The fields mapped so far are those the trial model holds (identifiers, titles,
texts, phases, dates with ACTUAL/ESTIMATED, status, enrollment, conditions, sponsors and
collaborators, locations, and cell-product interventions).
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
    CellProduct,
    Condition,
    DatedValue,
    Enrollment,
    Identifier,
    Phase,
    RecruitmentStatus,
    SourceRecord,
    Trial,
)

__all__ = ["SOURCE", "read_studies", "study_to_trial"]

logger = logging.getLogger(__name__)

SOURCE = "ctgov"
_NCT = re.compile(r"^NCT\d{8}$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# v2 text is Markdown; these are its backslash escapes of punctuation ("\>", "\(", "\_").
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~=])")
_SPACES = re.compile(r"[ \t]+")
# Words that make an intervention a cell product (CL-grounded) rather than a drug or device.
_CELL_WORDS = re.compile(
    r"\b(cells?|stem|msc|mscs|car-?t|nk|rpe|ipsc|hesc|esc|hsct|progenitors?|"
    r"cardiomyocytes?|hepatocytes?|neurons?|keratinocytes?|chondrocytes?|lymphocytes?|"
    r"transplant(ation)?)\b",
    re.IGNORECASE,
)
_ESTIMATED = {"ESTIMATED": True, "ACTUAL": False}
_CELL_TYPES = {"BIOLOGICAL", "GENETIC", "PROCEDURE", "OTHER", "COMBINATION_PRODUCT"}


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = _ESCAPE.sub(r"\1", value)
    cleaned = "\n".join(_SPACES.sub(" ", line).strip() for line in cleaned.splitlines())
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned).strip()
    return cleaned or None


def _get(data: Mapping[str, Any], *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _date(struct: object, *, path: str, record: str, field: str) -> DatedValue | None:
    if not isinstance(struct, Mapping) or not struct.get("date"):
        return None
    value = str(struct["date"])
    if not _DATE.match(value):
        raise RecordError(path, record, field, f"expected a date YYYY[-MM[-DD]]; found {value!r}")
    kind = struct.get("type")
    return DatedValue(value, estimated=_ESTIMATED.get(str(kind)))


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
    if not isinstance(nct, str) or not _NCT.match(nct):
        raise RecordError(
            path,
            record,
            "identificationModule.nctId",
            f"expected NCT followed by 8 digits; found {nct!r}",
        )
    ident = protocol.get("identificationModule") or {}
    title = _text(ident.get("briefTitle")) or _text(ident.get("officialTitle"))
    if not title:
        raise RecordError(path, record, "identificationModule.briefTitle", "no title")
    status = protocol.get("statusModule") or {}
    design = protocol.get("designModule") or {}
    phases = []
    for code in _list(design.get("phases")):
        try:
            phases.append(Phase(code))
        except ValueError:
            logger.warning(
                "%s, study %s, field 'designModule.phases': unknown phase %r", path, record, code
            )
    overall = status.get("overallStatus")
    recruitment = None
    if isinstance(overall, str):
        try:
            recruitment = RecruitmentStatus(overall)
        except ValueError:
            logger.info(
                "%s, study %s: status %r is not a recruitment status", path, record, overall
            )
    enrollment = None
    info = design.get("enrollmentInfo")
    if isinstance(info, Mapping) and info.get("count") is not None:
        try:
            count = int(info["count"])
        except (TypeError, ValueError):
            raise RecordError(
                path,
                record,
                "designModule.enrollmentInfo.count",
                f"expected a whole number; found {info['count']!r}",
            ) from None
        enrollment = Enrollment(count, _ESTIMATED.get(str(info.get("type"))))
    identifiers = []
    org = _get(ident, "orgStudyIdInfo", "id")
    if isinstance(org, str) and org.strip():
        identifiers.append(Identifier(org.strip(), "org study id"))
    for secondary in _list(ident.get("secondaryIdInfos")):
        if isinstance(secondary, Mapping) and secondary.get("id"):
            scheme = secondary.get("type") or secondary.get("domain")
            identifiers.append(
                Identifier(str(secondary["id"]).strip(), str(scheme) if scheme else None)
            )
    conditions = tuple(
        Condition(label=text)
        for text in (_text(c) for c in _list(_get(protocol, "conditionsModule", "conditions")))
        if text
    )
    sponsors = []
    lead = _get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name")
    if isinstance(lead, str):
        sponsors.append(lead.strip())
    for collaborator in _list(_get(protocol, "sponsorCollaboratorsModule", "collaborators")):
        if isinstance(collaborator, Mapping) and collaborator.get("name"):
            sponsors.append(str(collaborator["name"]).strip())
    sites = []
    for location in _list(_get(protocol, "contactsLocationsModule", "locations")):
        if isinstance(location, Mapping):
            parts = [location.get(k) for k in ("facility", "city", "country")]
            site = ", ".join(str(p).strip() for p in parts if p)
            if site:
                sites.append(site)
    products = []
    for intervention in _list(_get(protocol, "armsInterventionsModule", "interventions")):
        if not isinstance(intervention, Mapping):
            continue
        name = _text(intervention.get("name"))
        text = " ".join(filter(None, [name, _text(intervention.get("description"))]))
        if name and intervention.get("type") in _CELL_TYPES and _CELL_WORDS.search(text):
            products.append(
                CellProduct(label=name, description=_text(intervention.get("description")))
            )
    return Trial(
        source=SourceRecord(
            SOURCE,
            nct,
            path,
            url=f"https://clinicaltrials.gov/study/{nct}",
            sha256=hashlib.sha256(json.dumps(study, sort_keys=True).encode("utf-8")).hexdigest(),
        ),
        title=title,
        acronym=_text(ident.get("acronym")),
        nct_id=nct,
        summary=_text(_get(protocol, "descriptionModule", "briefSummary")),
        description=_text(_get(protocol, "descriptionModule", "detailedDescription")),
        phases=tuple(dict.fromkeys(phases)),
        phase_text=", ".join(str(p) for p in _list(design.get("phases"))) or None,
        start=_date(
            status.get("startDateStruct"),
            path=path,
            record=record,
            field="statusModule.startDateStruct",
        ),
        end=_date(
            status.get("completionDateStruct"),
            path=path,
            record=record,
            field="statusModule.completionDateStruct",
        ),
        recruitment_status=recruitment,
        enrollment=enrollment,
        conditions=conditions,
        cell_products=tuple(products),
        identifiers=tuple(identifiers),
        sponsors=tuple(sponsors),
        sites=tuple(sites),
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
        if isinstance(document, Mapping) and isinstance(document.get("studies"), list):
            studies = document["studies"]
        elif isinstance(document, list):
            studies = document
        else:
            studies = [document]
    except json.JSONDecodeError as exc:
        lines = [line for line in text.splitlines() if line.strip()]
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
        for number, line in enumerate(text.splitlines(), 1):
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
