"""Reader of hPSCreg clinical-study pages flattened to text (the seed record's format).

A record is a title line, then ``Key value`` lines grouped under headings::

    Mesenchymal Stem Cells (MSCs) - Like Cell Transplantation in ... (MSCLCTWPOI)
    General Information
    Summary There is a high incidence of ...
    Start date (estimated) 2019-04-03
    Clinical feature
    Label primary ovarian insufficiency
    Description An ovarian disease where ...
    Administrative Information
    NCT number NCT03877471
    ...

Keys are matched case-insensitively, longest first; a key with nothing after it is an empty
field and stays absent. ``Label``/``Description`` belong to the block they stand in (the
trial, a clinical feature, a cell type). A line that matches no key continues the field above.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from kg.errors import RecordError
from kg.model import (
    CellProduct,
    Condition,
    Contact,
    DatedValue,
    Enrollment,
    Identifier,
    Location,
    Phase,
    RecruitmentStatus,
    SourceRecord,
    Sponsor,
    Trial,
)
from kg.readers.dosing import find_dose_arms

__all__ = ["SOURCE", "parse_record", "read_bytes", "read_record"]

logger = logging.getLogger(__name__)

SOURCE = "hpscreg"
_PAGE = "https://hpscreg.eu/browse/trial/{}"

_HEADINGS = {
    "general information": "trial",
    "administrative information": "trial",
    "clinical feature": "condition",
    "which differentiated cell type is used": "cell_type",
    # Older pages name the product's section after the cell line it comes from.
    "cell line": "cell_type",
    "cell lines": "cell_type",
    "other study identifiers": "identifiers",
    "public contact": "contact",
}
_KEYS = (
    "Summary",
    "Description",
    "Clinical trials phase",
    "Start date (estimated)",
    "Start date",
    "End date (estimated)",
    "End date",
    "Label",
    "NCT number",
    "ICTRP weblink",
    "Name",
    "Source weblink",
    "Study sites",
    "Public email",
    "First name",
    "Last name",
    "Phone",
    "Sponsors",
    "Recruitment Status",
    "Estimated number of participants",
    "Actual number of participants",
    "Number of participants",
    "Contact institutions/departments",
    "EudraCT number",
    "ChiCTR number",
    "UMIN number",
    "jRCT number",
    "Other identifier",
)
_OTHER_REGISTRY_KEYS = {
    "EudraCT number",
    "ChiCTR number",
    "UMIN number",
    "jRCT number",
    "Other identifier",
}
_ADMIN_KEYS = {
    "NCT number",
    "ICTRP weblink",
    "Source weblink",
    "Study sites",
    "Sponsors",
    "Public email",
    "Name",
}
_VERIFIED = re.compile(r"^data verified\b", re.IGNORECASE)
_RULE = re.compile(r"^[|+]?[\s:|+=-]*$")
_KEY_LINE = re.compile(
    r"^(?P<key>"
    + "|".join(re.escape(k) for k in sorted(_KEYS, key=len, reverse=True))
    + r")(?:\s+(?P<value>.*))?$",
    re.IGNORECASE,
)
_CANONICAL = {k.lower(): k for k in _KEYS}
_ACRONYM = re.compile(r"^(?P<title>.*\S)\s*\((?P<acronym>[A-Za-z0-9][\w./-]*[A-Za-z0-9])\)$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_NCT = re.compile(r"^NCT\d{8}$", re.IGNORECASE)
# A link line in a clinical-feature or cell-type block: a bare IRI or CURIE, or one after a
# short key such as "Ontology link".
_REFERENCE = re.compile(
    r"^(?:[A-Za-z][A-Za-z ]{0,30}\s)?(?P<ref>https?://\S+|[A-Za-z][A-Za-z0-9]*:\d[\w.]*)$"
)
_SPACES = re.compile(r"\s+")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_PHASE_NUMBER = {"1": Phase.PHASE1, "2": Phase.PHASE2, "3": Phase.PHASE3, "4": Phase.PHASE4}
_STATUS = {
    "not yet recruiting": RecruitmentStatus.NOT_YET_RECRUITING,
    "recruiting": RecruitmentStatus.RECRUITING,
    "enrolling by invitation": RecruitmentStatus.ENROLLING_BY_INVITATION,
    "active, not recruiting": RecruitmentStatus.ACTIVE_NOT_RECRUITING,
    "active not recruiting": RecruitmentStatus.ACTIVE_NOT_RECRUITING,
    "suspended": RecruitmentStatus.SUSPENDED,
    "terminated": RecruitmentStatus.TERMINATED,
    "completed": RecruitmentStatus.COMPLETED,
    "withdrawn": RecruitmentStatus.WITHDRAWN,
    "unknown status": RecruitmentStatus.UNKNOWN,
    "unknown": RecruitmentStatus.UNKNOWN,
}
_IDENTIFIER_SCHEMES = (
    ("EudraCT", re.compile(r"^\d{4}-\d{6}-\d{2}$")),
    ("ChiCTR", re.compile(r"^ChiCTR[-\w]+$", re.IGNORECASE)),
    ("UMIN", re.compile(r"^UMIN\d+$", re.IGNORECASE)),
    ("jRCT", re.compile(r"^jRCT[a-z]?\d+$", re.IGNORECASE)),
    ("NCT", _NCT),
)
# Keys that a complete page shows near its end; a record without any was cut off.
_FINAL_KEYS = {
    "Recruitment Status",
    "Estimated number of participants",
    "Actual number of participants",
    "Number of participants",
    "Contact institutions/departments",
}


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass
class _Item:
    """A clinical feature or cell type being read."""

    label: str | None = None
    description: str | None = None
    ref: str | None = None
    cell_line: str | None = None


@dataclass
class _State:
    """Everything read so far, as plain values, turned into a Trial at the end."""

    path: str
    record: str | None
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    conditions: list[_Item] = field(default_factory=list)
    cells: list[_Item] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    sponsors: list[str] = field(default_factory=list)
    contact: dict[str, str] = field(default_factory=dict)
    block: str = "trial"
    last: Callable[[str], None] | None = None

    def error(self, key: str, problem: str) -> RecordError:
        return RecordError(self.path, self.record, key, problem, line=self.lines.get(key))


def read_record(
    path: Path | str, *, record_id: str | None = None, encoding: str = "utf-8"
) -> Trial:
    """Read one hPSCreg trial record from a file.

    The record id comes from ``record_id``, else from a file name ``hpscreg-<id>.txt``, else the
    file stem.

    :raises RecordError: when the file cannot be read or is not such a record; the message names
        the file, the record and the field.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(path, record_id, None, f"cannot read the file: {exc.strerror}") from exc
    return read_bytes(data, path=str(path), record_id=record_id, encoding=encoding)


def read_bytes(
    data: bytes, *, path: str, record_id: str | None = None, encoding: str = "utf-8"
) -> Trial:
    """Read one hPSCreg trial record from bytes (a file, an archive member, standard input).

    :param path: where the bytes came from, for messages and provenance (``-`` for stdin).
    :raises RecordError: when the bytes are not such a record.
    """
    if b"\x00" in data[:4096]:
        raise RecordError(
            path, record_id, None, "expected an hPSCreg trial record (text); found binary data"
        )
    try:
        text = data.decode(
            "utf-8-sig" if encoding.lower().replace("_", "-") == "utf-8" else encoding
        )
    except UnicodeDecodeError as exc:
        raise RecordError(
            path, record_id, None, f"not {encoding} text: undecodable byte at offset {exc.start}"
        ) from exc
    trial = parse_record(text, path=path, record_id=record_id or _record_id(Path(path)))
    source = replace(trial.source, sha256=hashlib.sha256(data).hexdigest())
    return replace(trial, source=source)


def _record_id(path: Path) -> str:
    match = re.match(r"^hpscreg[-_](.+)$", path.stem, re.IGNORECASE)
    return match.group(1) if match else path.stem


def parse_record(text: str, *, path: str, record_id: str | None = None) -> Trial:
    """Parse the text of one hPSCreg trial record (see :func:`read_record`).

    :raises RecordError: when the text is not such a record or a field holds a bad value.
    """
    record = record_id or Path(path).stem
    state = _State(path=path, record=record)
    lines = [_untable(line) for line in text.lstrip("\ufeff").splitlines()]
    # Some pages start with a "Data verified <date>" line before the title.
    lines = ["" if _VERIFIED.match(line.strip()) else line for line in lines]
    title_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if title_at is None:
        raise RecordError(path, record, None, _expected("an empty file"))
    title_line = _clean(lines[title_at])
    if _KEY_LINE.match(title_line) or title_line.lower() in _HEADINGS:
        raise RecordError(
            path,
            record,
            "title",
            f"expected a title line before the first field; found {title_line[:60]!r}",
            line=title_at + 1,
        )
    keys_seen = 0
    for number, raw in enumerate(lines[title_at + 1 :], title_at + 2):
        line = _clean(raw)
        if not line:
            continue
        heading = _HEADINGS.get(line.lower())
        if heading is not None:
            _start_block(state, heading)
            continue
        match = _KEY_LINE.match(line)
        if match:
            keys_seen += 1
            key = _CANONICAL[match.group("key").lower()]
            state.lines.setdefault(key, number)
            _field(state, key, _clean(match.group("value") or ""))
        elif state.last is not None:
            state.last(line)
        else:
            logger.debug("%s:%d: line outside any field ignored: %r", path, number, line[:40])
    if keys_seen == 0:
        raise RecordError(path, record, None, _expected(repr(title_line[:60])), line=title_at + 1)
    if not _FINAL_KEYS & set(state.lines):
        logger.warning(
            "%s, record %s: the record looks cut off (no recruitment status or "
            "participants); read what is there",
            path,
            record,
        )
    return _trial(state, title_line)


def _expected(found: str) -> str:
    return (
        "expected an hPSCreg trial record: a title line followed by 'Key value' lines such as "
        f"'Clinical trials phase Phase 1'; found {found}"
    )


def _untable(line: str) -> str:
    """A table row (``| NCT number | NCT03877471 |``) as ``key value``; rules as blank lines."""
    stripped = line.strip()
    if not stripped.startswith("|") and not stripped.startswith("+"):
        return line
    if _RULE.match(stripped):
        return ""
    cells = [cell.strip() for cell in stripped.strip("|").split("|")]
    return " ".join(cell for cell in cells if cell)


def _start_block(state: _State, block: str) -> None:
    state.block = block
    state.last = None
    items = {"condition": state.conditions, "cell_type": state.cells}.get(block)
    if items is None:
        return
    items.append(_Item())
    item = items[-1]

    def unlabelled(line: str) -> None:
        # A block whose first line is the label itself, without the "Label" key.
        ref = _REFERENCE.match(line)
        if ref and item.ref is None:
            item.ref = ref.group("ref")
        elif item.label is None:
            item.label = line
        else:
            item.description = f"{item.description} {line}" if item.description else line

    state.last = unlabelled


def _items(state: _State) -> list[_Item] | None:
    return {"condition": state.conditions, "cell_type": state.cells}.get(state.block)


def _field(state: _State, key: str, value: str) -> None:
    items = _items(state)
    if key == "Label" and items is None:
        # A missing section heading: features come before the administrative part, the cell
        # type after it (the order every page keeps).
        state.block = "cell_type" if _ADMIN_KEYS & set(state.lines) else "condition"
        items = _items(state)
    if key in ("Label", "Description") and items is not None:
        _item_field(state, items, key, value)
        return
    if key == "Name" and state.block == "cell_type" and state.cells:
        state.cells[-1].cell_line = value or None  # the older "Cell Line" section names it
        state.last = None
        return
    if key in _OTHER_REGISTRY_KEYS:
        if value:
            state.identifiers.append(value)
        state.last = None
        return
    if key == "Name" and state.block in ("identifiers", "trial"):
        if value:
            state.identifiers.append(value)
        state.last = None
        return
    if key in ("Public email", "First name", "Last name", "Phone"):
        if value:
            state.contact[key] = value
        state.last = None
        return
    if key == "Sponsors":
        if value:
            state.sponsors.append(value)
        state.last = state.sponsors.append  # a sponsor per further line
        return
    # Administrative keys end a clinical-feature or cell-type block without a heading.
    if state.block in ("condition", "cell_type", "identifiers", "contact") and key != "Label":
        state.block = "trial"
    if value:
        state.values[key] = value

    def extend(more: str, key: str = key) -> None:
        state.values[key] = f"{state.values[key]} {more}" if key in state.values else more

    state.last = extend


def _item_field(state: _State, items: list[_Item], key: str, value: str) -> None:
    if not items or (key == "Label" and items[-1].label is not None):
        items.append(_Item())  # several features without a heading each
    item = items[-1]
    if key == "Label":
        item.label = value or None
    else:
        item.description = value or None

    def extend(more: str) -> None:
        ref = _REFERENCE.match(more)
        if ref and item.ref is None:
            item.ref = ref.group("ref")
        elif key == "Label":
            item.label = f"{item.label} {more}" if item.label else more
        else:
            item.description = f"{item.description} {more}" if item.description else more

    state.last = extend


def _date(state: _State, base: str) -> DatedValue | None:
    for key, estimated in ((f"{base} (estimated)", True), (base, False)):
        value = state.values.get(key)
        if value is None:
            continue
        match = _DATE.match(value)
        valid = False
        if match:
            year, month, day = (int(g) if g else 1 for g in match.groups())
            try:
                date(year, month, day)
                valid = True
            except ValueError:
                valid = False
        if not valid:
            raise state.error(
                key,
                "expected YYYY-MM-DD (or YYYY-MM, YYYY), optionally after "
                f'"(estimated)"; found {value!r}',
            )
        return DatedValue(value, estimated=estimated)
    return None


def _phases(state: _State) -> tuple[Phase, ...]:
    text = state.values.get("Clinical trials phase")
    if text is None:
        return ()
    lower = text.lower()
    if "not applicable" in lower or lower in ("n/a", "na"):
        return (Phase.NOT_APPLICABLE,)
    if "early" in lower or re.search(r"\bphase\s*0\b", lower):
        return (Phase.EARLY_PHASE1,)
    if lower.startswith("phase"):
        tokens = re.findall(r"\b(iv|iii|ii|i|[1-4])\b", lower.replace("/", " ").replace("-", " "))
        phases = tuple(dict.fromkeys(_PHASE_NUMBER[_ROMAN.get(t, t)] for t in tokens))
        if phases:
            return phases
    logger.warning(
        "%s, record %s, field 'Clinical trials phase': %r is no phase trialkg knows; kept as text",
        state.path,
        state.record,
        text,
    )
    return ()


def _enrollment(state: _State) -> Enrollment | None:
    for key, estimated in (
        ("Estimated number of participants", True),
        ("Actual number of participants", False),
        ("Number of participants", None),
    ):
        value = state.values.get(key)
        if value is None:
            continue
        if not re.fullmatch(r"\d+", value.replace(",", "")):
            raise state.error(key, f"expected a whole number; found {value!r}")
        return Enrollment(int(value.replace(",", "")), estimated=estimated)
    return None


def _status(state: _State) -> RecruitmentStatus | None:
    value = state.values.get("Recruitment Status")
    if value is None:
        return None
    status = _STATUS.get(value.lower())
    if status is None:
        logger.warning(
            "%s, record %s, field 'Recruitment Status': unknown status %r",
            state.path,
            state.record,
            value,
        )
    return status


def _identifier(value: str) -> Identifier:
    scheme = next((name for name, pattern in _IDENTIFIER_SCHEMES if pattern.match(value)), None)
    return Identifier(value, scheme)


def _trial(state: _State, title_line: str) -> Trial:
    acronym = None
    title = title_line
    match = _ACRONYM.match(title_line)
    if match and sum(c.isupper() for c in match.group("acronym")) >= 2:
        title, acronym = match.group("title"), match.group("acronym")
    nct = state.values.get("NCT number")
    if nct is not None and not _NCT.match(nct):
        other = _identifier(nct)
        if other.scheme is None:
            raise state.error(
                "NCT number",
                "expected NCT followed by 8 digits (or an EudraCT, "
                f"ChiCTR, UMIN or jRCT id); found {nct!r}",
            )
        state.identifiers.insert(0, nct)  # pages put other registries' ids in this field
        nct = None
    nct = nct.upper() if nct else None
    record = state.record or Path(state.path).stem
    description = state.values.get("Description")
    doses = find_dose_arms(description or "")
    cells = [c for c in state.cells if c.label]
    products = tuple(
        CellProduct(
            label=c.label or "",
            description=c.description,
            ontology_ref=c.ref,
            source_cell_line=c.cell_line,
            dose_arms=doses if len(cells) == 1 else (),
        )
        for c in cells
    )
    contact = state.contact
    contacts = (
        (
            Contact(
                first_name=contact.get("First name"),
                last_name=contact.get("Last name"),
                email=contact.get("Public email"),
                phone=contact.get("Phone"),
            ),
        )
        if contact
        else ()
    )
    return Trial(
        source=SourceRecord(
            SOURCE, record, state.path, url=_PAGE.format(record) if record.isdigit() else None
        ),
        title=title,
        acronym=acronym,
        nct_id=nct,
        summary=state.values.get("Summary"),
        description=description,
        phases=_phases(state),
        phase_text=state.values.get("Clinical trials phase"),
        start=_date(state, "Start date"),
        end=_date(state, "End date"),
        recruitment_status=_status(state),
        enrollment=_enrollment(state),
        conditions=tuple(
            Condition(label=c.label, description=c.description, ontology_ref=c.ref)
            for c in state.conditions
            if c.label
        ),
        cell_products=products,
        identifiers=tuple(_identifier(v) for v in state.identifiers),
        ictrp_url=state.values.get("ICTRP weblink"),
        source_url=state.values.get("Source weblink"),
        sites=tuple(Location(s) for s in [state.values.get("Study sites")] if s),
        sponsors=tuple(Sponsor(name) for name in state.sponsors),
        contact_institutions=tuple(
            s for s in [state.values.get("Contact institutions/departments")] if s
        ),
        contacts=contacts,
    )
