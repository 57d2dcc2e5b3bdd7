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


def _code(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _shown(value: object) -> str:
    """A JSON value as an error message shows it: short strings quoted, containers named.

    >>> _shown("PHASE2"), _shown({"a": 1}), _shown(True), _shown(3)
    ("'PHASE2'", 'an object', 'true', '3')
    """
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:59] + "…")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class _Study:
    """One study's modules, with the file and record names every error needs.

    Every object and list is read through :meth:`mapping`, :meth:`array`, :meth:`mappings` and
    :meth:`texts`: absent (or null) is empty, and a value of another JSON type (a string where
    the schema has a list, as in ``"phases": "PHASE2"``) rejects the study, naming the field,
    rather than being dropped unseen.
    """

    def __init__(self, protocol: Mapping[str, Any], *, path: str, record: str) -> None:
        self.protocol = protocol
        self.path = path
        self.record = record

    def error(self, field: str, message: str) -> RecordError:
        return RecordError(self.path, self.record, field, message)

    def mapping(self, parent: Mapping[str, Any], key: str, field: str) -> Mapping[str, Any]:
        """``parent[key]``, an object; empty when absent. ``field`` names it in errors."""
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(field, f"expected an object; found {_shown(value)}")
        return value

    def module(self, name: str) -> Mapping[str, Any]:
        return self.mapping(self.protocol, name, name)

    def array(self, parent: Mapping[str, Any], key: str, field: str) -> list[Any]:
        """``parent[key]``, a list; empty when absent. ``field`` names it in errors."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(field, f"expected a list; found {_shown(value)}")
        return value

    def mappings(self, parent: Mapping[str, Any], key: str, field: str) -> list[Mapping[str, Any]]:
        """``parent[key]``, a list of objects (nulls left out)."""
        found = []
        for i, item in enumerate(self.array(parent, key, field)):
            if item is not None and not isinstance(item, Mapping):
                raise self.error(f"{field}[{i}]", f"expected an object; found {_shown(item)}")
            if item is not None:
                found.append(item)
        return found

    def texts(self, parent: Mapping[str, Any], key: str, field: str) -> tuple[str, ...]:
        """``parent[key]``, a list of texts, cleaned, each once (nulls and blanks left out)."""
        items = self.array(parent, key, field)
        for i, item in enumerate(items):
            if item is not None and not isinstance(item, str):
                raise self.error(f"{field}[{i}]", f"expected text; found {_shown(item)}")
        return tuple(dict.fromkeys(t for t in (_text(item) for item in items) if t))

    def date(self, field: str) -> DatedValue | None:
        struct = self.mapping(self.module("statusModule"), field, f"statusModule.{field}")
        if not struct.get("date"):
            return None
        value = str(struct["date"])
        if not _DATE.match(value):
            raise self.error(
                f"statusModule.{field}", f"expected a date YYYY[-MM[-DD]]; found {value!r}"
            )
        return DatedValue(value, estimated=_ESTIMATED.get(str(struct.get("type"))))

    def enrollment(self) -> Enrollment | None:
        info = self.mapping(
            self.module("designModule"), "enrollmentInfo", "designModule.enrollmentInfo"
        )
        if info.get("count") is None:
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
        for code in self.array(self.module("designModule"), "phases", "designModule.phases"):
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
        org = self.mapping(ident, "orgStudyIdInfo", "identificationModule.orgStudyIdInfo").get("id")
        if isinstance(org, str) and org.strip():
            found.append(Identifier(org.strip(), "org study id"))
        field = "identificationModule.secondaryIdInfos"
        for secondary in self.mappings(ident, "secondaryIdInfos", field):
            if secondary.get("id"):
                scheme = secondary.get("type") or secondary.get("domain")
                found.append(
                    Identifier(str(secondary["id"]).strip(), str(scheme) if scheme else None)
                )
        return tuple(found)

    def sponsors(self) -> tuple[Sponsor, ...]:
        name = "sponsorCollaboratorsModule"
        module = self.module(name)
        found = []
        lead = self.mapping(module, "leadSponsor", f"{name}.leadSponsor")
        for role, org in [("lead", lead)] + [
            ("collaborator", c)
            for c in self.mappings(module, "collaborators", f"{name}.collaborators")
        ]:
            if _text(org.get("name")):
                found.append(Sponsor(str(_text(org["name"])), role, _code(org.get("class"))))
        return tuple(found)

    def locations(self) -> tuple[Location, ...]:
        found = []
        module = self.module("contactsLocationsModule")
        for place in self.mappings(module, "locations", "contactsLocationsModule.locations"):
            city, country = _text(place.get("city")), _text(place.get("country"))
            name = _text(place.get("facility")) or ", ".join(filter(None, [city, country]))
            if name:
                found.append(Location(name, city, _text(place.get("state")), country))
        return tuple(found)

    def design(self) -> Design | None:
        info = self.mapping(self.module("designModule"), "designInfo", "designModule.designInfo")
        masking = self.mapping(info, "maskingInfo", "designModule.designInfo.maskingInfo")
        design = Design(
            allocation=_code(info.get("allocation")),
            intervention_model=_code(info.get("interventionModel")),
            masking=_code(masking.get("masking")),
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
        field = "armsInterventionsModule.interventions"
        module = self.module("armsInterventionsModule")
        for item in self.mappings(module, "interventions", field):
            name = _text(item.get("name"))
            if name:
                found.append(
                    Intervention(
                        name=name,
                        type=_code(item.get("type")),
                        description=_text(item.get("description")),
                        other_names=self.texts(item, "otherNames", f"{field}.otherNames"),
                        arm_labels=self.texts(item, "armGroupLabels", f"{field}.armGroupLabels"),
                    )
                )
        return tuple(found)

    def arms(self) -> tuple[Arm, ...]:
        found = []
        field = "armsInterventionsModule.armGroups"
        for item in self.mappings(self.module("armsInterventionsModule"), "armGroups", field):
            label = _text(item.get("label"))
            if label:
                names = self.texts(item, "interventionNames", f"{field}.interventionNames")
                found.append(
                    Arm(
                        label=label,
                        type=_code(item.get("type")),
                        description=_text(item.get("description")),
                        intervention_names=names,
                    )
                )
        return tuple(found)

    def references(self) -> tuple[Reference, ...]:
        found = []
        module = self.module("referencesModule")
        for item in self.mappings(module, "references", "referencesModule.references"):
            pmid = str(item["pmid"]).strip() if item.get("pmid") is not None else None
            if pmid and not pmid.isdigit():
                raise self.error(
                    "referencesModule.references.pmid", f"expected digits; found {pmid!r}"
                )
            citation = _text(item.get("citation"))
            if pmid or citation:
                found.append(Reference(pmid, _code(item.get("type")), citation))
        return tuple(found)

    def mesh(self, study: Mapping[str, Any]) -> tuple[Code, ...]:
        """The condition MeSH terms of the study's ``derivedSection`` (outside the protocol)."""
        derived = self.mapping(study, "derivedSection", "derivedSection")
        field = "derivedSection.conditionBrowseModule"
        browse = self.mapping(derived, "conditionBrowseModule", field)
        found = []
        for mesh in self.mappings(browse, "meshes", f"{field}.meshes"):
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
    s = _Study(protocol, path=path, record=f"#{index + 1}")
    ident = s.module("identificationModule")
    nct = ident.get("nctId")
    if isinstance(nct, str):
        s.record = nct
    if not isinstance(nct, str) or not NCT.match(nct):
        raise s.error(
            "identificationModule.nctId", f"expected NCT followed by 8 digits; found {nct!r}"
        )
    status = s.module("statusModule")
    brief, official = _text(ident.get("briefTitle")), _text(ident.get("officialTitle"))
    title = brief or official
    if not title:
        raise s.error("identificationModule.briefTitle", "no title")
    overall = status.get("overallStatus")
    products, others = split_interventions(s.interventions())
    design = s.module("designModule")
    phases = s.array(design, "phases", "designModule.phases")
    conditions = s.module("conditionsModule")
    description = s.module("descriptionModule")
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
        summary=_text(description.get("briefSummary")),
        description=_text(description.get("detailedDescription")),
        phases=s.phases(),
        phase_text=", ".join(str(p) for p in phases) or None,
        study_type=_code(design.get("studyType")),
        design=s.design(),
        start=s.date("startDateStruct"),
        primary_completion=s.date("primaryCompletionDateStruct"),
        end=s.date("completionDateStruct"),
        recruitment_status=recruitment_status(overall if isinstance(overall, str) else None),
        why_stopped=_text(status.get("whyStopped")),
        last_known_status=recruitment_status(_code(status.get("lastKnownStatus"))),
        enrollment=s.enrollment(),
        conditions=tuple(
            Condition(label=text)
            for text in s.texts(conditions, "conditions", "conditionsModule.conditions")
        ),
        condition_mesh=s.mesh(study),
        keywords=s.texts(conditions, "keywords", "conditionsModule.keywords"),
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
    Lines. Unreadable studies come out as errors in the stream, and so does JSON nested too
    deeply for the parser (a file, or one line of JSON Lines): its record only is lost."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield RecordError(name, None, None, f"not UTF-8: undecodable byte at offset {exc.start}")
        return
    studies: list[Any]
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        # JSON Lines ends lines with "\n" (or "\r\n") only: str.splitlines would also cut at
        # U+2028 and other separators, which JSON strings may hold as they are.
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) >= 2:
            studies = []
            for item in _read_lines(text, name):
                if isinstance(item, RecordError):
                    yield item
                else:
                    studies.append(item)
        elif isinstance(exc, RecursionError):
            yield _too_deep(name, text, None)
            return
        else:  # not JSON Lines either
            yield RecordError(
                name,
                None,
                None,
                f"expected ClinicalTrials.gov JSON; {exc.msg} at line {exc.lineno}",
                line=exc.lineno,
            )
            return
    else:
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
    for i, study in enumerate(studies):
        if not isinstance(study, Mapping):
            yield RecordError(name, f"#{i + 1}", None, "expected a study object")
            continue
        try:
            yield study_to_trial(study, path=name, index=i)
        except RecordError as exc:
            yield exc
        except RecursionError:  # nested deeper than the hash of the study can go
            yield RecordError(name, f"#{i + 1}", None, "JSON nested too deeply to read")
        except (TypeError, ValueError, AttributeError) as exc:  # a shape no field check caught
            yield RecordError(
                name, f"#{i + 1}", None, f"unexpected structure ({type(exc).__name__}: {exc})"
            )


def _read_lines(text: str, name: str) -> Iterator[Any]:
    """Each JSON Line's value, or the error of a line that is not JSON (or is nested too deeply)."""
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as bad:
            yield RecordError(name, f"line {number}", None, f"JSON Lines: {bad.msg}", line=number)
        except RecursionError:
            yield _too_deep(name, line, f"line {number}", line=number)


# A JSON string (escapes included) or a structural character: enough to follow the nesting.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]')
# Levels of nesting past which the field is named: a ClinicalTrials.gov study nests about six.
_NAMED_DEPTH = 32


def _too_deep(name: str, text: str, record: str | None, *, line: int | None = None) -> RecordError:
    """The error for JSON nested deeper than the parser goes, naming the field where it does."""
    depth, field = _nesting(text)
    problem = (
        f"JSON nested {depth:,} levels deep, too deep to read "
        "(a ClinicalTrials.gov study nests about six)"
    )
    return RecordError(name, record, field, problem, line=line)


def _nesting(text: str) -> tuple[int, str | None]:
    """How deep JSON text nests, and the keys (dotted) under which it first passes
    ``_NAMED_DEPTH`` levels, read without a parser (which is what fails on such text).

    >>> _nesting('{"protocolSection": {"descriptionModule": {"briefSummary": [[[1]]]}}}')
    (6, None)
    """
    keys: list[str | None] = []
    last = pending = field = None
    deepest = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token[0] == '"':
            last = token
        elif token == ":":
            pending = last
        elif token in "[{":
            keys.append(pending)
            pending = None
            deepest = max(deepest, len(keys))
            if len(keys) == _NAMED_DEPTH + 1:
                field = _dotted(keys)
        else:
            if token in "]}" and keys:
                keys.pop()
            pending = None
    return deepest, field


def _dotted(keys: list[str | None]) -> str | None:
    """The first keys of a path as a field name: ``protocolSection.descriptionModule...``."""
    named = []
    for key in keys:
        if key is not None:
            try:
                named.append(str(json.loads(key)))
            except ValueError:
                named.append(key)
    if not named:
        return None
    return ".".join(named[:4]) + (".…" if len(named) > 4 else "")
