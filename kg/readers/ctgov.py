"""What the two ClinicalTrials.gov readers share: codes, ages, and telling cell products apart.

The API v2 JSON and the legacy XML say the same things in different spellings: ``"PHASE1"`` and
``"Phase 1"``, ``"ACTIVE_NOT_RECRUITING"`` and ``"Active, not recruiting"``, ``"18 Years"`` in
both. These helpers bring both to the trial model's codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kg.model import CellProduct, Intervention, RecruitmentStatus

__all__ = [
    "CLASSIC_MESSAGE",
    "CLASSIC_ROOTS",
    "NCT",
    "SOURCE",
    "age_duration",
    "as_code",
    "is_cell_product",
    "recruitment_status",
    "split_interventions",
    "study_url",
]

SOURCE = "ctgov"
NCT = re.compile(r"^NCT\d{8}$")

#: Root elements of the classic API (retired in 2024), in XML and JSON alike.
CLASSIC_ROOTS = frozenset(
    {"FullStudiesResponse", "StudyFieldsResponse", "FieldValuesResponse", "FullStudy", "Study"}
)
CLASSIC_MESSAGE = (
    "this is the retired ClinicalTrials.gov classic API format ({root}), which trialkg does "
    "not read; download the study as API v2 JSON (https://clinicaltrials.gov/api/v2/studies/"
    "NCT...) or as legacy <clinical_study> XML instead"
)

# Intervention types that can be a cell product; drugs, devices, radiation, dietary supplements
# and behavioural interventions never are.
_CELL_TYPES = {"BIOLOGICAL", "GENETIC", "PROCEDURE", "OTHER", "COMBINATION_PRODUCT"}
# Words that make such an intervention a cell product: cells, named cell therapies and the
# usual abbreviations (MSC, CAR-T, NK, RPE, iPSC, hESC, HSCT, TIL, DC).
_CELL_WORDS = re.compile(
    r"\b(cells?|stem|stromal|mscs?|car-?t|car-?nk|nk|tils?|rpe|ipscs?|hescs?|escs?|hscts?|"
    r"progenitors?|cardiomyocytes?|hepatocytes?|neurons?|keratinocytes?|chondrocytes?|"
    r"fibroblasts?|lymphocytes?|dendritic|macrophages?|islets?|"
    r"(bone marrow|cord blood|stem cell|hematopoietic|islet) transplant(ation)?)\b",
    re.IGNORECASE,
)
# Sponsors file some cell products under DRUG ("Th2 Cells", "... with allogeneic stem cell
# transplant"): for that type only a name that plainly administers cells counts.
_PLAINLY_CELLS = re.compile(
    r"\b(cells|(bone marrow|cord blood|stem cell|hematopoietic) transplant(ation)?"
    r"|cell (injection|infusion|suspension)s?"
    r"|(lympho|chondro|keratino|hepato|cardiomyo|adipo)cytes|fibroblasts|macrophages)\b",
    re.I,
)
# Chimeric antigen receptor products, named by the receptor alone ("Anti-CD19-CAR", "CAR22").
_CAR = re.compile(r"\bCAR(?:-?T|-?NK|\d+\w*)?\b")
# Words that say an intervention is about cells without administering them.
_NOT_A_PRODUCT = re.compile(
    r"\b(cell[- ]free|exosomes?|extracellular vesicles?|secretome|conditioned medium|"
    r"cell count|sickle cell|cell lines? screening|flow cytometry|cell sorting|"
    r"(lymphocyte|[tb][- ]cell)s? depletion|cell selection (system|device))\b",
    re.IGNORECASE,
)
_AGE = re.compile(r"^\s*(\d+)\s*(year|month|week|day|hour|minute)s?\s*(old)?\s*$", re.IGNORECASE)
_AGE_UNIT = {"year": "Y", "month": "M", "week": "W", "day": "D", "hour": "TH", "minute": "TM"}


def as_code(text: str) -> str:
    """A ClinicalTrials.gov value as its API v2 code.

    >>> as_code("Active, not recruiting")
    'ACTIVE_NOT_RECRUITING'
    >>> as_code("Phase 1/Phase 2")
    'PHASE_1/PHASE_2'
    """
    return re.sub(r"[^A-Z0-9/]+", "_", text.strip().upper()).strip("_")


def recruitment_status(text: str | None) -> RecruitmentStatus | None:
    """The recruitment status a code or legacy wording stands for, else None.

    >>> recruitment_status("Enrolling by invitation")
    <RecruitmentStatus.ENROLLING_BY_INVITATION: 'ENROLLING_BY_INVITATION'>
    >>> recruitment_status("Unknown status")
    <RecruitmentStatus.UNKNOWN: 'UNKNOWN'>
    """
    if not text:
        return None
    code = as_code(text)
    try:
        return RecruitmentStatus("UNKNOWN" if code == "UNKNOWN_STATUS" else code)
    except ValueError:
        return None


def age_duration(text: str | None) -> str | None:
    """An age limit as an ISO 8601 duration; None for no limit ("N/A") or no text.

    >>> age_duration("18 Years"), age_duration("6 Months"), age_duration("N/A")
    ('P18Y', 'P6M', None)

    :raises ValueError: for text that is neither an age nor "N/A".
    """
    if text is None or text.strip().upper() in ("", "N/A", "NA", "NONE"):
        return None
    match = _AGE.match(text)
    if not match:
        raise ValueError(f"expected an age such as '18 Years' or 'N/A'; found {text!r}")
    unit = _AGE_UNIT[match.group(2).lower()]
    number = int(match.group(1))
    return f"PT{number}{unit[1]}" if unit.startswith("T") else f"P{number}{unit}"


def is_cell_product(kind: str | None, name: str, description: str | None = None) -> bool:
    """Whether an intervention administers cells (and so grounds to CL).

    >>> is_cell_product("BIOLOGICAL", "Human umbilical cord MSCs")
    True
    >>> is_cell_product("DRUG", "Cyclophosphamide")
    False
    >>> is_cell_product("BIOLOGICAL", "MSC-derived exosomes")
    False
    >>> is_cell_product("DRUG", "Th2 Cells"), is_cell_product("BIOLOGICAL", "Anti-CD19-CAR")
    (True, True)
    >>> is_cell_product("DRUG", "Syngeneic T Lymphocytes"), is_cell_product("DRUG", "Cell lysate")
    (True, False)
    >>> is_cell_product("BIOLOGICAL", "BRTX-100", "Cultured mesenchymal stem cells. Injected.")
    True
    >>> is_cell_product("PROCEDURE", "Blood Draw", "Phlebotomy for testing of T cell identity.")
    False
    """
    if _NOT_A_PRODUCT.search(name):
        return False
    if kind is not None and as_code(kind) not in _CELL_TYPES:
        return as_code(kind) == "DRUG" and bool(_PLAINLY_CELLS.search(name))
    if _CAR.search(name):
        return True
    return bool(_CELL_WORDS.search(name) or (description and _describes_cells(description)))


#: Cells examined, collected or given around the intervention, not by it: "routine full blood
#: count with white cell differential", "2-4 days prior to the first stem cell collection".
_AROUND_CELLS = re.compile(
    r"\b(counts?|differential|subsets?|test(?:s|ing)?|assays?|analy[sz](?:ed|is)|collect(?:ed|ion)"
    r"|aspirat\w*|phlebotomy|samples?|following|after|prior to|before)\b",
    re.IGNORECASE,
)


def _describes_cells(description: str) -> bool:
    """Whether a description's first sentence, which says what an intervention is, says it is
    cells ("Hypoxic cultured mesenchymal stem cells (MSCs) from autologous bone marrow"), and
    not cells examined or collected beside it (a blood draw, filgrastim before a stem cell
    collection)."""
    first = re.split(r"(?<=[a-z)])\.\s", description, maxsplit=1)[0]
    return bool(_CELL_WORDS.search(first)) and not _AROUND_CELLS.search(first)


def split_interventions(
    items: Iterable[Intervention],
) -> tuple[tuple[CellProduct, ...], tuple[Intervention, ...]]:
    """Interventions split into cell products (for CL) and the others (drugs, devices, ...)."""
    products: list[CellProduct] = []
    others: list[Intervention] = []
    for item in items:
        if is_cell_product(item.type, item.name, item.description):
            products.append(
                CellProduct(
                    label=item.name,
                    description=item.description,
                    intervention_type=item.type,
                    other_names=item.other_names,
                    arm_labels=item.arm_labels,
                )
            )
        else:
            others.append(item)
    return tuple(products), tuple(others)


def study_url(nct: str) -> str:
    """The study's page on ClinicalTrials.gov."""
    return f"https://clinicaltrials.gov/study/{nct}"
