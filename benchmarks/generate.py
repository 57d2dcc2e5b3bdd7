"""Synthetic ClinicalTrials.gov studies (API v2 JSON), one per line, for load benchmarks.

Each study has the public v2 ``protocolSection`` / ``derivedSection`` structure, with field
distributions like the registry's: many studies without phases or with phase NA, one to five
conditions, one to four interventions, arms, a few collaborators, locations skewed towards few,
and optional modules missing now and then. Conditions are real DOID labels, exact synonyms and
MeSH cross-references, with a popular few much more frequent than the rest; about a fifth of
the studies are on cancer (``CANCER_SHARE``), the rest on other diseases, all of a study's
conditions on one side (the DOID subset the conditions come from is two fifths cancer, so
drawing each condition from all of it would put most studies under "cancer"); cell-product
interventions are built from real CL labels. The registry's MeSH coding of a study
(``derivedSection.conditionBrowseModule``) follows its conditions, as NLM's indexing does: each
condition's own MeSH descriptor, else that of its nearest DOID ancestor that has one; and in
``MISCODED`` of the studies one condition's descriptor is replaced by an unrelated one, the kind
of machine error trialkg reports as a disagreement (the share is this generator's setting, not
a measurement). Every study says when it was first posted and last updated. The same ``--seed``
gives the same bytes.

    python benchmarks/generate.py --trials 500000 --seed 1 --out studies.jsonl
    python benchmarks/generate.py --trials 1000 --seed 2 > changed.jsonl   # same NCT numbers

NCT numbers depend only on the position (``--start`` + i), so a second run with another seed
rewrites the same trials with different content (an update).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import hashlib
import itertools
import json
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

PROJECT = Path(__file__).resolve().parent.parent
ONTOLOGIES = PROJECT.parent / "shared" / "ontologies"
if str(PROJECT) not in sys.path:  # run as a script from anywhere: use this checkout's kg
    sys.path.insert(0, str(PROJECT))
if TYPE_CHECKING:
    from kg.ontology.terms import TermIndex
#: The releases the conditions and cell types are drawn from (and benchmarks ground against).
DOID_FILE = ONTOLOGIES / "doid" / "doid-NCIthesaurus-subset-2026-07-31.obo"
CL_FILE = ONTOLOGIES / "cl" / "cl-edit-2026-08-19.owl"
#: The newest "last update posted" a study can have.
LAST_DAY = dt.date(2026, 11, 25)
#: Share of studies in which one condition's MeSH descriptor is replaced by an unrelated one.
MISCODED = 0.05
#: Share of studies on cancer: oncology was 21.8% of the 40,970 interventional studies
#: registered on ClinicalTrials.gov from October 2007 to September 2010, the largest area
#: (Hirsch et al., JAMA Internal Medicine 2013;173(11):972-979).
CANCER_SHARE = 0.22
#: The DOID class whose subclasses are the cancer side of the conditions.
CANCER = "DOID:162"
#: Changes whenever this file does: cached study files carry it in their names.
VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]

STATUSES = [
    ("COMPLETED", 40),
    ("RECRUITING", 14),
    ("UNKNOWN", 15),
    ("NOT_YET_RECRUITING", 5),
    ("ACTIVE_NOT_RECRUITING", 6),
    ("TERMINATED", 6),
    ("WITHDRAWN", 3),
    ("ENROLLING_BY_INVITATION", 1),
    ("SUSPENDED", 0.3),
]
# Interventional studies' phases; observational ones have none.
PHASES = [
    (["NA"], 30),
    (["PHASE2"], 18),
    (["PHASE1"], 14),
    (["PHASE3"], 11),
    (["PHASE4"], 10),
    (["PHASE1", "PHASE2"], 6),
    (["PHASE2", "PHASE3"], 3),
    (["EARLY_PHASE1"], 2),
]
SPONSOR_CLASSES = [("OTHER", 70), ("INDUSTRY", 22), ("NIH", 3), ("OTHER_GOV", 3), ("NETWORK", 2)]
WHY_STOPPED = [
    "Slow accrual",
    "Sponsor decision",
    "Funding ended",
    "COVID-19 pandemic",
    "Lack of efficacy at interim analysis",
    "PI left the institution",
]
DRUG_STEMS = [
    "metformin",
    "pembrolizumab",
    "nivolumab",
    "atezolizumab",
    "rituximab",
    "tocilizumab",
    "dexamethasone",
    "prednisone",
    "aspirin",
    "atorvastatin",
    "insulin glargine",
    "semaglutide",
    "tacrolimus",
    "cyclophosphamide",
    "fludarabine",
    "cisplatin",
    "carboplatin",
    "paclitaxel",
    "docetaxel",
    "gemcitabine",
    "bevacizumab",
    "trastuzumab",
    "lenalidomide",
    "bortezomib",
    "ibrutinib",
    "imatinib",
    "vitamin D3",
    "omega-3 fatty acids",
    "ketamine",
    "lidocaine",
    "propofol",
    "dexmedetomidine",
    "ondansetron",
    "amoxicillin",
    "azithromycin",
    "remdesivir",
]
DEVICES = [
    "continuous glucose monitor",
    "transcranial magnetic stimulation",
    "insulin pump",
    "drug-eluting stent",
    "wearable activity tracker",
    "negative pressure wound therapy",
]
PROCEDURES = [
    "laparoscopic surgery",
    "radiotherapy",
    "physical therapy",
    "acupuncture",
    "hematopoietic stem cell transplantation",
    "bone marrow transplantation",
    "cognitive behavioural therapy",
    "exercise training",
]
CELL_TEMPLATES = [
    ("autologous {x}s", "Autologous {x}s expanded ex vivo and infused intravenously."),
    ("allogeneic {x}s", "Allogeneic {x}s from healthy donors."),
    ("{x}", "Intravenous infusion of {x}s, 1x10^6 cells/kg."),
    ("iPSC-derived {x}s", "{x}s differentiated from induced pluripotent stem cells."),
    ("umbilical cord {x}s", "{x}s isolated from umbilical cord Wharton's jelly."),
]
CELL_FIXED = [
    ("autologous CAR T cells", "Autologous T cells transduced with an anti-CD19 CAR."),
    ("CD19 CAR-T cells", "Chimeric antigen receptor T cells targeting CD19."),
    ("iPSC-derived retinal pigment epithelial cells", "RPE cells from iPSCs, subretinal."),
    ("mesenchymal stem cell", "Bone marrow derived MSCs, 1x10^6 cells/kg."),
    ("natural killer cell", "Expanded NK cells from peripheral blood."),
    ("hESC-derived dopaminergic neurons", "Dopaminergic progenitors implanted in the putamen."),
]
CELL_PREFERRED = [
    "mesenchymal stem cell",
    "natural killer cell",
    "T cell",
    "regulatory T cell",
    "hematopoietic stem cell",
    "dendritic cell",
    "cardiac muscle cell",
    "hepatocyte",
    "keratinocyte",
    "chondrocyte",
    "retinal pigment epithelial cell",
    "neural stem cell",
    "macrophage",
    "B cell",
    "endothelial progenitor cell",
    "cytotoxic T cell",
]
COUNTRIES = [
    ("United States", 35),
    ("China", 12),
    ("France", 6),
    ("Germany", 5),
    ("United Kingdom", 5),
    ("Canada", 4),
    ("Italy", 4),
    ("Spain", 4),
    ("Japan", 3),
    ("Korea, Republic of", 3),
    ("Egypt", 4),
    ("Brazil", 2),
    ("Netherlands", 2),
    ("Australia", 2),
    ("Denmark", 2),
    ("India", 2),
    ("Turkey (Türkiye)", 2),
    ("Iran, Islamic Republic of", 1),
    ("Switzerland", 1),
]
CITIES = [
    "Boston",
    "Houston",
    "New York",
    "Shanghai",
    "Beijing",
    "Paris",
    "Lyon",
    "Berlin",
    "Munich",
    "London",
    "Toronto",
    "Milan",
    "Madrid",
    "Tokyo",
    "Seoul",
    "Cairo",
    "São Paulo",
    "Amsterdam",
    "Sydney",
    "Copenhagen",
    "Mumbai",
    "Istanbul",
    "Tehran",
    "Zürich",
    "Rochester",
    "Seattle",
]
FACILITY_KINDS = [
    "University Hospital",
    "Medical Center",
    "Cancer Institute",
    "Children's Hospital",
    "Research Site",
    "Clinic",
    "General Hospital",
    "Institute of Health",
]
ORGS = [
    "Mayo Clinic",
    "Assiut University",
    "Cairo University",
    "M.D. Anderson Cancer Center",
    "National Cancer Institute (NCI)",
    "Massachusetts General Hospital",
    "Novartis",
    "Pfizer",
    "AstraZeneca",
    "Hoffmann-La Roche",
    "Sun Yat-sen University",
    "Peking Union",
    "Assistance Publique - Hôpitaux de Paris",
    "Charité - Universitätsmedizin Berlin",
    "University of California, San Francisco",
    "Seoul National University Hospital",
    "Rigshospitalet, Denmark",
    "Chinese Academy of Sciences",
    "Duke University",
    "Stanford",
]
WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "patients",
    "with",
    "study",
    "treatment",
    "a",
    "for",
    "is",
    "be",
    "will",
    "this",
    "trial",
    "clinical",
    "efficacy",
    "safety",
    "dose",
    "randomized",
    "group",
    "participants",
    "after",
    "at",
    "or",
    "as",
    "by",
    "on",
    "primary",
    "outcome",
    "evaluate",
    "months",
    "weeks",
    "baseline",
    "response",
    "disease",
    "therapy",
    "placebo",
    "quality",
    "life",
    "compared",
    "versus",
    "assessed",
    "adverse",
    "events",
    "follow-up",
    "cohort",
    "intervention",
    "open-label",
    "phase",
    "arm",
    "secondary",
    "endpoint",
    "survival",
    "progression-free",
    "overall",
    "tolerability",
    "pharmacokinetics",
]
MARKDOWN_BITS = ["\\>", "\\<", "\\(", "\\)", "\\_", "\\*", "\\[", "\\]", "\\#", "\\-", "\\+"]


@dataclass(frozen=True)
class Pool:
    """Condition names, popular first, drawn with Zipf-like weights."""

    names: Sequence[str]
    cumulative: Sequence[float]

    @classmethod
    def of(cls, names: Sequence[str]) -> Pool:
        weights = (1.0 / (rank + 10) for rank in range(len(names)))
        return cls(names, list(itertools.accumulate(weights)))

    def draw(self, r: random.Random) -> str:
        return self.names[bisect.bisect(self.cumulative, r.random() * self.cumulative[-1])]


@dataclass(frozen=True)
class Vocabulary:
    """What studies are made of: condition names (cancer and the rest), MeSH pairs, cell types."""

    cancer: Pool
    other: Pool
    mesh: Sequence[tuple[str, str]]
    cell_types: Sequence[str]
    #: A condition name's MeSH descriptor (id, heading): its term's, else its nearest
    #: ancestor's; names of terms with no such descriptor are absent.
    mesh_of: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def load_vocabulary(doid: Path = DOID_FILE, cl: Path = CL_FILE) -> Vocabulary:
    """Condition names from DOID and cell types from CL, read with trialkg's own loader."""
    import logging

    from kg.ontology.terms import TermIndex

    kg_logger = logging.getLogger("kg")
    level = kg_logger.level
    kg_logger.setLevel(logging.ERROR)  # the CL editors' file's skipped imports
    try:
        return vocabulary_of(TermIndex.from_files(doid, cl))
    finally:
        kg_logger.setLevel(level)


def vocabulary_of(index: TermIndex) -> Vocabulary:
    """The vocabulary of an index holding DOID and CL (terms of other prefixes are ignored)."""
    cancer = (index.descendants(CANCER) | {CANCER}) if CANCER in index else set()
    names: tuple[list[str], list[str]] = ([], [])  # (cancer, other), then MeSH CURIEs beside
    mesh_names: tuple[list[str], list[str]] = ([], [])
    mesh: list[tuple[str, str]] = []
    own: dict[str, tuple[str, str]] = {}  # DOID curie -> its first MeSH descriptor
    live = []
    for term in sorted(index.iter_terms(), key=lambda t: t.curie):
        if term.obsolete or not term.label or not term.curie.startswith("DOID:"):
            continue
        live.append(term)
        side = 0 if term.curie in cancer else 1
        names[side].append(term.label)
        names[side].extend(s.text for s in term.synonyms if s.scope == "EXACT")
        for xref in term.xrefs:
            prefix, _, local = xref.partition(":")
            if prefix.upper() in ("MESH", "MSH") and local:
                if len(mesh) % 10 == 0:  # a few studies give MeSH CURIEs
                    mesh_names[side].append(f"MESH:{local}")
                mesh.append((local, term.label))
                own.setdefault(term.curie, (local, term.label))
    mesh_of: dict[str, tuple[str, str]] = {}
    for term in live:
        code = _nearest_mesh(index, term.curie, own)
        if code is not None:
            mesh_of[term.label] = code
            for synonym in term.synonyms:
                if synonym.scope == "EXACT":
                    mesh_of.setdefault(synonym.text, code)
    for local, label in mesh:
        mesh_of[f"MESH:{local}"] = (local, label)
    shuffler = random.Random(20260731)  # which names are popular is fixed, not per seed
    for side, curies in zip(names, mesh_names, strict=True):
        shuffler.shuffle(side)
        side[len(side) // 3 : len(side) // 3] = curies
    cells = sorted(
        {
            t.label
            for t in index.iter_terms()
            if t.curie.startswith("CL:") and t.label and not t.obsolete and "cell" in t.label
        }
    )
    return Vocabulary(
        cancer=Pool.of(names[0]),
        other=Pool.of(names[1]),
        mesh=mesh,
        cell_types=[*CELL_PREFERRED * 20, *cells],
        mesh_of=mesh_of,
    )


def _nearest_mesh(
    index: TermIndex, curie: str, own: Mapping[str, tuple[str, str]]
) -> tuple[str, str] | None:
    """The MeSH descriptor of the term, else of its nearest ancestor (breadth first)."""
    seen = {curie}
    level = [curie]
    while level:
        for each in level:
            if each in own:
                return own[each]
        following = []
        for each in level:
            term = index.get(each)
            for parent in term.parents if term else ():
                if parent not in seen:
                    seen.add(parent)
                    following.append(parent)
        level = sorted(following)
    return None


class StudyMaker:
    """Makes study after study from one random stream."""

    def __init__(self, vocabulary: Vocabulary, seed: int) -> None:
        self.v = vocabulary
        self.r = random.Random(seed)
        self._statuses = self._cumulative(STATUSES)
        self._phases = self._cumulative(PHASES)
        self._classes = self._cumulative(SPONSOR_CLASSES)
        self._countries = self._cumulative(COUNTRIES)

    @staticmethod
    def _cumulative(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
        return [p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs))

    def _pick(self, table: tuple[list[Any], list[float]]) -> Any:
        values, cum = table
        return values[bisect.bisect(cum, self.r.random() * cum[-1])]

    def _skewed(self, high: int, scale: float) -> int:
        """0..high, most often small (geometric-like)."""
        return min(high, int(self.r.expovariate(1 / scale)))

    def _condition(self, pool: Pool) -> tuple[str, str]:
        """A condition as a record writes it, and the DOID name it was made from."""
        name = pool.draw(self.r)
        roll = self.r.random()
        if roll < 0.08:
            return name.title(), name
        if roll < 0.11:
            return name + "s", name
        if roll < 0.13:
            return f"{name}, {self.r.choice(['Adult', 'Childhood', 'Recurrent'])}", name
        return name, name

    def _words(self, n: int) -> str:
        r = self.r
        words = r.choices(WORDS, k=n)
        for i in range(0, n, r.randint(7, 15)):
            words[i] = words[i].capitalize()
        return " ".join(words)

    def _markdown(self, sentences: int) -> str:
        r = self.r
        parts = []
        for _ in range(sentences):
            text = self._words(r.randint(8, 25))
            if r.random() < 0.25:
                text += " " + r.choice(MARKDOWN_BITS) + " " + str(r.randint(1, 90))
            parts.append(text + ".")
        if r.random() < 0.3:
            bullets = [f"\\* {self._words(r.randint(3, 8))}" for _ in range(r.randint(2, 5))]
            parts.append("\n\n" + "\n".join(bullets) + "\n")
        return " ".join(parts)

    def _date(self, year: int) -> dict[str, str]:
        r = self.r
        month = r.randint(1, 12)
        text = f"{year}-{month:02d}"
        if r.random() > 0.3:
            text += f"-{r.randint(1, 28):02d}"
        kind = (
            "ESTIMATED" if year >= 2025 else r.choice(["ACTUAL", "ACTUAL", "ACTUAL", "ESTIMATED"])
        )
        return {"date": text, "type": kind}

    def _cell_product(self) -> tuple[str, str]:
        r = self.r
        if r.random() < 0.3:
            return r.choice(CELL_FIXED)
        cell = r.choice(self.v.cell_types)
        name, description = r.choice(CELL_TEMPLATES)
        return name.format(x=cell), description.format(x=cell[:1].upper() + cell[1:])

    def _intervention(self, cell_share: float) -> dict[str, Any]:
        r = self.r
        roll = r.random()
        if roll < cell_share:
            name, description = self._cell_product()
            kind = r.choice(["BIOLOGICAL", "BIOLOGICAL", "GENETIC", "COMBINATION_PRODUCT"])
        elif roll < 0.55:
            name = r.choice(DRUG_STEMS)
            if r.random() < 0.3:
                name = f"{name} {r.choice([5, 10, 20, 50, 100, 200])} mg"
            kind, description = "DRUG", self._words(r.randint(6, 30)) + "."
        elif roll < 0.65:
            kind, name = "DEVICE", r.choice(DEVICES)
            description = self._words(r.randint(6, 20)) + "."
        elif roll < 0.78:
            kind, name = "PROCEDURE", r.choice(PROCEDURES)
            description = self._words(r.randint(6, 20)) + "."
        elif roll < 0.88:
            kind, name, description = "BEHAVIORAL", "education program", self._words(12) + "."
        else:
            kind, name, description = "OTHER", "Placebo", "Matching placebo."
        item: dict[str, Any] = {"type": kind, "name": name}
        if r.random() < 0.85:
            item["description"] = description
        if r.random() < 0.2:
            item["otherNames"] = [f"{name.split()[0].upper()}-{r.randint(100, 9999)}"]
        return item

    def study(self, nct: str) -> dict[str, Any]:
        r = self.r
        observational = r.random() < 0.22
        pool = self.v.cancer if r.random() < CANCER_SHARE else self.v.other
        if not pool.names:  # an ontology without cancer (or with nothing else)
            pool = self.v.other if pool is self.v.cancer else self.v.cancer
        drawn = dict(self._condition(pool) for _ in range(r.choice([1, 1, 1, 2, 2, 3, 4, 5])))
        conditions = list(drawn)
        title_core = conditions[0]
        ident: dict[str, Any] = {
            "nctId": nct,
            "orgStudyIdInfo": {"id": f"{r.choice(['IRB', 'PRO', 'CT'])}-{r.randint(1000, 999999)}"},
            "briefTitle": f"{self._words(r.randint(3, 8)).capitalize()} in {title_core}",
        }
        if r.random() < 0.9:
            ident["officialTitle"] = (
                f"A {r.choice(['Randomized', 'Single-arm', 'Multicenter'])} Study of "
                f"{self._words(r.randint(4, 10))} in Patients With {title_core}"
            )
        if r.random() < 0.3:
            ident["acronym"] = "".join(r.choices("ABCDEFGHIJKLMNOPRSTUVW", k=r.randint(3, 8)))
        if r.random() < 0.25:
            ident["secondaryIdInfos"] = [
                {
                    "id": f"{r.randint(2005, 2025)}-{r.randint(0, 999999):06d}-{r.randint(10, 99)}",
                    "type": r.choice(["EUDRACT_NUMBER", "OTHER", "NIH"]),
                }
                for _ in range(r.randint(1, 3))
            ]
        status_code = self._pick(self._statuses)
        start_year = r.randint(1999, 2027)
        status: dict[str, Any] = {"overallStatus": status_code}
        if status_code in ("TERMINATED", "WITHDRAWN", "SUSPENDED"):
            status["whyStopped"] = r.choice(WHY_STOPPED)
        if status_code == "UNKNOWN":
            status["lastKnownStatus"] = r.choice(["RECRUITING", "NOT_YET_RECRUITING"])
        if r.random() < 0.97:
            status["startDateStruct"] = self._date(start_year)
        end_year = start_year + r.randint(0, 6)
        if r.random() < 0.9:
            status["primaryCompletionDateStruct"] = self._date(end_year)
        if r.random() < 0.92:
            status["completionDateStruct"] = self._date(min(end_year + r.randint(0, 1), 2035))
        first_posted = dt.date(min(max(start_year, 2000), 2026), 1, 1) + dt.timedelta(
            days=r.randint(0, 300)
        )
        updated = min(first_posted + dt.timedelta(days=int(r.expovariate(1 / 900))), LAST_DAY)
        status["studyFirstPostDateStruct"] = {"date": first_posted.isoformat(), "type": "ACTUAL"}
        status["lastUpdatePostDateStruct"] = {"date": updated.isoformat(), "type": "ACTUAL"}
        status["statusVerifiedDate"] = updated.isoformat()[:7]
        lead = {"name": r.choice(ORGS), "class": self._pick(self._classes)}
        collaborators = [
            {"name": r.choice(ORGS), "class": self._pick(self._classes)}
            for _ in range(r.choice([0, 0, 0, 0, 1, 1, 2, 3]))
        ]
        sponsors: dict[str, Any] = {"leadSponsor": lead}
        if collaborators:
            sponsors["collaborators"] = collaborators
        description: dict[str, Any] = {"briefSummary": self._markdown(r.randint(1, 5))}
        if r.random() < 0.65:
            description["detailedDescription"] = self._markdown(r.randint(2, 14))
        conditions_module: dict[str, Any] = {"conditions": conditions}
        if r.random() < 0.45:
            conditions_module["keywords"] = [
                self._words(r.randint(1, 3)) for _ in range(r.randint(1, 5))
            ]
        design: dict[str, Any] = {
            "studyType": "OBSERVATIONAL" if observational else "INTERVENTIONAL"
        }
        if not observational and r.random() < 0.97:
            design["phases"] = list(self._pick(self._phases))
        arms_count = 1 if observational else r.choice([1, 1, 2, 2, 2, 3, 4])
        if not observational:
            design["designInfo"] = {
                "allocation": "NA"
                if arms_count == 1
                else r.choice(["RANDOMIZED", "NON_RANDOMIZED"]),
                "interventionModel": "SINGLE_GROUP" if arms_count == 1 else "PARALLEL",
                "maskingInfo": {
                    "masking": r.choice(["NONE", "NONE", "SINGLE", "DOUBLE", "QUADRUPLE"])
                },
            }
        if r.random() < 0.98:
            design["enrollmentInfo"] = {
                "count": self._skewed(100000, 150),
                "type": "ACTUAL" if status_code == "COMPLETED" else "ESTIMATED",
            }
        cell_share = 0.25 if r.random() < 0.1 else 0.01
        interventions = [
            self._intervention(cell_share) for _ in range(r.choice([1, 1, 1, 2, 2, 3, 4]))
        ]
        arms = []
        for a in range(arms_count):
            label = f"{r.choice(['Arm', 'Group', 'Cohort'])} {chr(65 + a)}"
            names = [
                f"{i['type'].title()}: {i['name']}"
                for i in interventions[a::arms_count] or interventions[:1]
            ]
            arms.append(
                {
                    "label": label,
                    "type": r.choice(
                        ["EXPERIMENTAL", "ACTIVE_COMPARATOR", "PLACEBO_COMPARATOR", "OTHER"]
                    ),
                    "description": self._words(r.randint(5, 30)) + ".",
                    "interventionNames": names,
                }
            )
        for i, item in enumerate(interventions):
            item["armGroupLabels"] = [arms[i % arms_count]["label"]]
        protocol: dict[str, Any] = {
            "identificationModule": ident,
            "statusModule": status,
            "sponsorCollaboratorsModule": sponsors,
            "descriptionModule": description,
            "conditionsModule": conditions_module,
            "designModule": design,
        }
        if r.random() < 0.97:
            protocol["armsInterventionsModule"] = {
                "armGroups": arms,
                "interventions": interventions,
            }
        eligibility: dict[str, Any] = {"sex": r.choice(["ALL", "ALL", "ALL", "FEMALE", "MALE"])}
        if r.random() < 0.9:
            eligibility["minimumAge"] = f"{r.choice([18, 18, 18, 12, 6, 40, 65])} Years"
        if r.random() < 0.4:
            eligibility["maximumAge"] = f"{r.choice([65, 75, 80, 17, 99])} Years"
        eligibility["healthyVolunteers"] = r.random() < 0.15
        protocol["eligibilityModule"] = eligibility
        n_sites = self._skewed(50, 2.5) if r.random() < 0.9 else 0
        if n_sites:
            locations = []
            for _ in range(n_sites):
                city = r.choice(CITIES)
                locations.append(
                    {
                        "facility": f"{city} {r.choice(FACILITY_KINDS)}",
                        "city": city,
                        "country": self._pick(self._countries),
                    }
                )
            protocol["contactsLocationsModule"] = {"locations": locations}
        if r.random() < 0.35:
            protocol["referencesModule"] = {
                "references": [
                    {
                        "pmid": str(r.randint(10000000, 39999999)),
                        "type": r.choice(["BACKGROUND", "RESULT", "DERIVED"]),
                    }
                    for _ in range(r.randint(1, 6))
                ]
            }
        study: dict[str, Any] = {"protocolSection": protocol}
        codes = [self.v.mesh_of[name] for name in drawn.values() if name in self.v.mesh_of]
        if codes and self.v.mesh and r.random() < MISCODED:  # one condition coded wrongly
            codes[r.randrange(len(codes))] = r.choice(self.v.mesh)
        if codes and r.random() < 0.9:  # some studies are left without a MeSH coding
            meshes = [{"id": local, "term": term} for local, term in dict.fromkeys(codes)]
            study["derivedSection"] = {"conditionBrowseModule": {"meshes": meshes}}
        return study


def nct_number(position: int) -> str:
    """A distinct NCT number per position (a multiplicative permutation of 10^8)."""
    return f"NCT{(position * 7919 + 1234567) % 10**8:08d}"


def generate(
    trials: int, *, seed: int, start: int = 0, vocabulary: Vocabulary | None = None
) -> Iterator[dict[str, Any]]:
    """``trials`` studies for positions ``start`` .. ``start + trials - 1``."""
    maker = StudyMaker(vocabulary or load_vocabulary(), seed)
    for position in range(start, start + trials):
        yield maker.study(nct_number(position))


def write_jsonl(studies: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """Write studies as JSON Lines; :returns: how many."""
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for study in studies:
        out.write(dumps(study))
        out.write("\n")
        count += 1
    return count


def cached_file(
    folder: Path,
    trials: int,
    *,
    seed: int,
    start: int = 0,
    vocabulary: Callable[[], Vocabulary] = load_vocabulary,
    tag: str = "",
) -> Path:
    """``trials`` studies as JSON Lines in ``folder``, generated on first use, then reused.

    The name says what is in it (count, seed, first position, ``tag`` for another vocabulary,
    and this generator's :data:`VERSION`, so a changed generator never reuses old studies);
    the file appears only when complete, so an interrupted run never leaves a short one.
    """
    path = folder / f"studies-{trials}-seed{seed}-from{start}{tag}-g{VERSION}.jsonl"
    if path.exists():
        return path
    began = time.perf_counter()
    unfinished = path.with_name(path.name + ".partial")
    with unfinished.open("w", encoding="utf-8") as out:
        write_jsonl(generate(trials, seed=seed, start=start, vocabulary=vocabulary()), out)
    unfinished.replace(path)
    print(
        f"generated {trials:,} studies in {time.perf_counter() - began:.1f} s: {path}",
        file=sys.stderr,
        flush=True,
    )
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000, help="how many studies (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--start", type=int, default=0, help="first position (NCT numbering)")
    parser.add_argument("--out", default="-", help="JSON Lines file, or - for stdout (default)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    studies = generate(args.trials, seed=args.seed, start=args.start)
    if args.out == "-":
        count = write_jsonl(studies, sys.stdout)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            count = write_jsonl(studies, out)
    print(f"wrote {count} studies in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
