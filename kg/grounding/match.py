"""Matching mention text against one ontology's terms: the lookups behind each text strategy.

:func:`loose` is the normalisation of the ``normalised_label`` strategy (and of the search for
a label inside a mention); :class:`Matcher` answers, for one term index and one target
ontology, which terms each strategy finds for a mention. The grounder
(:mod:`kg.grounding.grounder`) decides what to make of the answers.

>>> loose("T-Cells (CD4+)")
't cell cd4'
>>> loose("β-cell-like")
'beta cell'
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path

from kg.grounding.methods import Method
from kg.ontology.terms import Term, TermIndex, normalise_text
from kg.resources import resource_dir

__all__ = [
    "Matcher",
    "Strategy",
    "drop_qualifiers",
    "drop_qualifiers_stepwise",
    "loose",
    "variants",
    "word_set",
]

#: One text strategy: its method, the terms it finds (computed only when tried), and the text
#: it matched on, when that is the mention itself.
Strategy = tuple[Method, Callable[[], list[str]], str | None]

_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "σ": "sigma",
    "τ": "tau",
    "ω": "omega",
}
_NON_WORD = re.compile(r"[^\w]+")


def word_set(text: str) -> frozenset[str]:
    """The words of a text, as a set: tables of words written as one string."""
    return frozenset(text.split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # "allergies", "therapies"
    if len(word) > 5 and word.endswith("oses"):
        return word[:-2] + "is"  # "psychoses", "stenoses", "thromboses"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def loose(text: str) -> str:
    """Drop case, punctuation, possessive 's, Greek letters (spelt out), plurals and "-like"."""
    text = "".join(_GREEK.get(ch, ch) for ch in unicodedata.normalize("NFKC", text.casefold()))
    text = _POSSESSIVE.sub("", text)
    words = [w for w in _NON_WORD.sub(" ", text).split() if w != "like"]
    return " ".join(_singular(w) for w in words)


# -- other ways of writing the same name --------------------------------------------------------
# Sponsors write conditions as MeSH lists them ("Sarcoma, Kaposi"), in British spelling
# ("Leukaemia"), with possessives ("Stargardt's"), roman numerals ("Type I"), glued words
# ("Type1diabetes") and a trailing abbreviation ("Alcohol Use Disorder (AUD)"). DOID writes
# American spelling, natural word order and arabic numerals, so each variant is one rewrite.

_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_GLUED = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z]{3})", re.I)
_TRAILING_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)\s*$")
# British -> American spellings as DOID writes them; word-internal, so "ae"/"oe" only where
# the American word drops the vowel.
_AMERICAN = [
    (re.compile(r"(?<=[a-z])aem", re.I), "em"),  # leukaemia, anaemia, haematoma, ischaemic
    (re.compile(r"\bhaem", re.I), "hem"),
    (re.compile(r"\baet", re.I), "et"),  # aetiology
    (re.compile(r"(?<=[a-z])oe(?=[a-z])", re.I), "e"),  # oedema, oesophageal, diarrhoea, coeliac
    (re.compile(r"\boe(?=[a-z])", re.I), "e"),
    (re.compile(r"(?<=[a-z])ae(?=[cdlt])", re.I), "e"),  # paediatric, gynaecology, faecal
    (re.compile(r"(?<=[a-z]{2})our\b", re.I), "or"),  # tumour, humour
    (re.compile(r"(?<=[a-z]{2})is(e|ed|ing|ation)\b", re.I), r"iz\1"),
    (re.compile(r"\bdisk(s?)\b", re.I), r"disc\1"),  # MeSH's "Disk", DOID's "disc"
]
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_ROMAN_WORD = re.compile(r"\b(i{1,3}|iv|v)\b", re.I)


_INSIDE = re.compile(r"^[^()]*\(([^(),]+)\)([^()]*)$")


def _named_inside(text: str) -> str | None:
    """A name the parentheses give in more words than an abbreviation, with what follows
    them: "Lymphoblastic Lymphoma (Precursor T-Lymphoblastic Lymphoma/Leukaemia) Refractory"
    -> "Precursor T-Lymphoblastic Lymphoma/Leukaemia Refractory"."""
    match = _INSIDE.match(text)
    if not match or len(match.group(1).split()) < 2:
        return None
    return f"{match.group(1).strip()} {match.group(2).strip()}".strip()


def _plain(text: str) -> str | None:
    """Compatibility forms and accents undone: "Sjögren" -> "Sjogren", a full-width comma
    ("Nephrotic Syndrome，Idiopathic") -> ","."""
    if text.isascii():
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _inverted(text: str) -> str | None:
    """MeSH's inverted order put back: "Sarcoma, Kaposi" -> "Kaposi Sarcoma"; "Leukemia,
    Myeloid, Acute" -> "Acute Myeloid Leukemia"."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) < 2 or not all(parts) or any(len(part.split()) > 4 for part in parts):
        return None
    if "(" in text:
        return None  # a list inside parentheses: "Issue (E.G., Depression, Psychosis)"
    return " ".join(reversed(parts))


def _american(text: str) -> str:
    for pattern, replacement in _AMERICAN:
        text = pattern.sub(replacement, text)
    return text


def _arabic(text: str) -> str:
    return _ROMAN_WORD.sub(lambda m: _ROMAN[m.group(1).lower()], text)


def _with_mellitus(text: str) -> str:
    """ "type 1 diabetes" is DOID's "type 1 diabetes mellitus"."""
    lowered = text.lower()
    if "diabetes" in lowered and "mellitus" not in lowered and "insipidus" not in lowered:
        return re.sub(r"\bdiabetes\b", "diabetes mellitus", text, flags=re.I)
    return text


_NEOPLASM = re.compile(r"\b(?:malignant\s+)?(neoplasms?|neoplasias?|tumou?rs?)\b", re.I)


def _as_cancer(text: str) -> str | None:
    """ "Colorectal Neoplasms", "Malignant Uterine Neoplasm", "Brain Tumor": DOID names the
    malignant disease of a site "<site> cancer"."""
    if not _NEOPLASM.search(text):
        return None
    return _NEOPLASM.sub("cancer", re.sub(r"^\s*malignant\s+", "", text, flags=re.I))


_KIND_WORD = re.compile(r"\s+(?:disease|disorder|syndrome)s?$", re.I)
_TYPE_NUMBER = re.compile(r"^(.*[a-z])\s+(\d)$", re.I)
# Who has the condition, not the condition: "Asthma Patients", "Obese Subjects".
_POPULATION = re.compile(
    r"\s+(?:in\s+)?(?:patients?|subjects?|participants?|individuals?|people|persons?|adults?"
    r"|children|survivors?)$",
    re.I,
)


# A disease named by its adjective, as population phrases do ("Asthmatic Patients",
# "Diabetic Subjects"): the adjective's ending, and the noun's.
_ADJECTIVE_ENDINGS = [
    ("etic", "etes"),  # diabetic
    ("eptic", "epsy"),  # epileptic
    ("atic", "a"),  # asthmatic
    ("otic", "osis"),  # cirrhotic, sclerotic
    ("iatic", "iasis"),  # psoriatic
    ("itic", "itis"),  # arthritic
    ("mic", "mia"),  # anemic, ischemic, leukemic
    ("ese", "esity"),  # obese
]


def _population(text: str) -> str | None:
    """The condition of a population phrase: "Asthmatic Patients" -> "Asthmatic"."""
    rest = _POPULATION.sub("", text)
    return rest if rest != text and rest.strip() else None


def disease_nouns(text: str) -> list[str]:
    """The disease a population phrase names by its adjective: "Asthmatic Patients" ->
    ["Asthma"]; nothing for a phrase that is not one.

    >>> disease_nouns("Asthmatic Patients"), disease_nouns("Obese Subjects")
    (['Asthma'], ['Obesity'])
    """
    rest = _population(text)
    if rest is None:
        return []
    words = rest.split()
    found = []
    for ending, noun in _ADJECTIVE_ENDINGS:
        if words[-1].lower().endswith(ending):
            found.append(" ".join([*words[:-1], words[-1][: -len(ending)] + noun]))
    return found


_USE_DISORDER = re.compile(r"\b(\w+)[\s-]+use\s+disorders?\b", re.I)
_DRUG_DISORDER = re.compile(r"\b(\w+)[\s-]+(?:use|related)\s+disorders?\b", re.I)


def _use_disorder(text: str) -> str | None:
    """ "Substance Use Disorder" is DOID's "substance-related disorder"."""
    new = _USE_DISORDER.sub(r"\1-related disorder", text)
    return new if new != text else None


def _use_as_abuse(text: str) -> str | None:
    """ "Opioid-use Disorder" and MeSH's "Opioid-Related Disorders" are DOID's "opioid abuse":
    DOID names a drug's use disorder by the older word (DSM-5 merged abuse and dependence into
    use disorder)."""
    new = _DRUG_DISORDER.sub(r"\1 abuse", text)
    return new if new != text else None


# Words sponsors use for what DOID names otherwise: "Graft vs Host Disease", "Nicotine
# Addiction" (DOID: dependence), "Cardiovascular Diseases" (DOID: "... system disease").
_SAME_WORDS = [
    (re.compile(r"\bvs\.?(?=\s)", re.I), "versus"),
    (re.compile(r"\baddiction\b", re.I), "dependence"),
    (re.compile(r"\btobacco (?=dependence\b)", re.I), "nicotine "),
    (re.compile(r"\bcommunicable\b", re.I), "infectious"),
    # The same leukaemia: DOID's label says lymphoblastic, its subtypes' names lymphocytic.
    (re.compile(r"\bacute lymphocytic\b", re.I), "acute lymphoblastic"),
    (re.compile(r"\bhypofunction\b", re.I), "insufficiency"),
    (re.compile(r"\bspondyl(?:o)?arthritis\b", re.I), "spondyloarthropathy"),
    (re.compile(r"\bimmun(?:e|ologic|ological)\s+deficiency\b", re.I), "immunodeficiency"),
    # "Adrenal Gland Hypofunction", "Thyroid Gland Neoplasms": DOID names most of these
    # organs' diseases by the organ alone (adrenal cortical insufficiency, thyroid cancer).
    (re.compile(r"\b(adrenal|thyroid|parathyroid|pituitary|pineal)\s+gland\b", re.I), r"\1"),
    # "Bacterial Infections": DOID names the kind "<agent> infectious disease".
    (re.compile(r"\binfections?$", re.I), "infectious disease"),
    (
        re.compile(
            r"^(cardiovascular|nervous|immune|digestive|respiratory|musculoskeletal"
            r"|integumentary|endocrine|reproductive|urinary)\s+diseases?$",
            re.I,
        ),
        r"\1 system disease",
    ),
    (re.compile(r"^immunologic(?:al)?\s+diseases?$", re.I), "immune system disease"),
    # DOID says "disease" where sponsors say "disorder": "Metabolic Disorders".
    (re.compile(r"\bdisorders?$", re.I), "disease"),
]


def _same_words(text: str) -> str | None:
    new = text
    for pattern, replacement in _SAME_WORDS:
        new = pattern.sub(replacement, new)
    return new if new != text else None


_DEGENERATION = re.compile(
    r"^(?:degenerative\s+)?(.+?)\s+degeneration$|^degenerative\s+(.+)$", re.I
)


def _degenerative(text: str) -> str | None:
    """ "Intervertebral Disc Degeneration", "Degenerative Intervertebral Discs": DOID names a
    part's wearing out "degenerative <part> disease"."""
    match = _DEGENERATION.match(text.strip())
    if not match or re.search(r"\b(?:disease|disorder)s?$", text.strip(), re.I):
        return None
    part = match.group(1) or match.group(2)
    return f"degenerative {part} disease"


def _without_kind_word(text: str) -> str | None:
    """ "Acid Maltase Deficiency Disease" is DOID's "acid maltase deficiency"."""
    rest = _KIND_WORD.sub("", text)
    return rest if rest != text and len(rest.split()) >= 2 else None


def _with_type(text: str) -> str | None:
    """ "Glycogenosis 2" is DOID's "glycogenosis type 2"."""
    match = _TYPE_NUMBER.match(text)
    if not match or match.group(1).lower().endswith("type"):
        return None
    return f"{match.group(1)} type {match.group(2)}"


_ORGAN_CANCER = re.compile(r"^(\w+)\s+(cancers?|carcinomas?)$", re.I)
#: Before "cancer" or "carcinoma", "cervical" is the uterine cervix's.
_CANCER_ORGAN_OF = {"cervical": "cervix"}


def _organ_cancer(text: str) -> str | None:
    """ "Urethral Cancer", "Cervical Carcinoma": DOID names a site's cancer by the organ's
    noun, "urethra cancer", "cervix carcinoma"."""
    match = _ORGAN_CANCER.match(text)
    if not match:
        return None
    adjective = match.group(1).lower()
    organ = _CANCER_ORGAN_OF.get(adjective) or _ORGAN_OF.get(adjective)
    return f"{organ} {match.group(2)}" if organ else None


#: Where in the body, as sponsors put it after the disease: "Radiculopathy Lumbar".
_SITE_WORDS = frozenset({"lumbar", "cervical", "thoracic", "sacral", "lumbosacral", "spinal"})


def _site_first(text: str) -> str | None:
    """ "Radiculopathy Lumbar" -> "Lumbar Radiculopathy": the site before the disease."""
    words = text.split()
    if len(words) < 2 or "," in text or words[-1].lower() not in _SITE_WORDS:
        return None
    return " ".join([words[-1], *words[:-1]])


def _neoplasm(text: str) -> str | None:
    """ "Primitive Neuroectodermal Tumors": DOID names a tumour kind "... neoplasm"."""
    return _NEOPLASM.sub("neoplasm", text) if _NEOPLASM.search(text) else None


def variants(text: str) -> list[str]:
    """Other spellings of the same name, the mention first, each once.

    >>> variants("Sarcoma, Kaposi")
    ['Sarcoma, Kaposi', 'Kaposi Sarcoma']
    >>> variants("Type1diabetes")[-1]
    'Type 1 diabetes mellitus'
    >>> variants("Acute Lymphoblastic Leukaemia")[1]
    'Acute Lymphoblastic Leukemia'
    """
    found = [text.strip()]

    def add(rewrite: Callable[[str], str | None]) -> None:
        for form in list(found):
            new = rewrite(form)
            if new and new.strip() and new.strip() not in found:
                found.append(new.strip())

    add(_plain)
    add(lambda t: _TRAILING_PARENTHESIS.sub("", t))
    add(_named_inside)
    add(_inverted)
    add(_american)
    add(lambda t: _POSSESSIVE.sub("", t))
    add(lambda t: _GLUED.sub(" ", t))
    add(_arabic)
    add(_same_words)
    add(_population)
    add(lambda t: next(iter(disease_nouns(t)), None))
    add(_use_disorder)
    add(_use_as_abuse)
    add(_with_mellitus)
    add(_without_kind_word)
    add(_degenerative)
    add(_with_type)
    add(_as_cancer)
    add(_organ_cancer)
    add(_neoplasm)
    add(_site_first)
    return found


# -- qualifiers a curator drops to reach the most specific term that contains the mention ------

_QUALIFIERS = re.compile(
    r"\b(?:"
    r"stage\s+(?:[0iv]+|\d)[a-c]?\d?(?:\s*(?:-|to|/)\s*(?:[iv]+|\d)[a-c]?\d?)?"
    r"|(?:ajcc|figo|who)\s*v?\d*"
    r"|grade\s+(?:[1-4]|[iv]+|high|low)"
    r"|type\s+(?:[1-9]|i{1,3}|iv|v)[a-c]?"
    r"|relapsed\s*/\s*refractory|refractory\s*/\s*relapsed"
    r"|recurrent|refractory|relapsed|relapsing|resistant"
    r"|adult|adults|childhood|pediatric|paediatric|juvenile|in\s+children|in\s+adults"
    r"|locally\s+advanced|advanced|metastatic|unresectable|inoperable|newly\s+diagnosed"
    r"|previously\s+treated|untreated|de\s+novo|progressive"
    r"|mild|moderate|severe|moderate\s+to\s+severe|mild\s+to\s+moderate"
    r"|(?:with|and)\s+t\(\d+;\d+\)(?:\([^)]*\))?"
    r"|t\(\d+;\d+\)(?:\([^)]*\))?"
    r"|of\s+the\s+\w+"
    r")(?!\w)",
    re.I,
)
_SEPARATORS = re.compile(r"\s*[,;]\s*|\s{2,}")
#: What joined two qualifiers and is left once they are dropped: "Advanced or Metastatic".
_DANGLING = re.compile(r"^(?:(?:and/or|and|or)\s+)+|(?:\s+(?:and/or|and|or))+$", re.I)


def _tidy(rest: str) -> str:
    rest = " ".join(_SEPARATORS.sub(" ", rest).strip(" ,;/-").split())
    return _DANGLING.sub("", rest).strip(" ,;/-")


def drop_qualifiers_stepwise(text: str) -> list[tuple[str, list[str]]]:
    """The mention without some of its qualifiers, fewest dropped first (then the leftmost):
    "Recurrent Childhood Ependymoma" -> "Childhood Ependymoma" before "Ependymoma".

    >>> [rest for rest, _ in drop_qualifiers_stepwise("Recurrent Childhood Ependymoma")]
    ['Childhood Ependymoma', 'Recurrent Ependymoma', 'Ependymoma']
    """
    found = list(_QUALIFIERS.finditer(text))[:5]  # 31 ways at most
    steps: list[tuple[str, list[str]]] = []
    for size in range(1, len(found) + 1):
        for chosen in combinations(found, size):
            rest = text
            for match in reversed(chosen):
                rest = rest[: match.start()] + " " + rest[match.end() :]
            rest = _tidy(rest)
            if rest:
                steps.append((rest, [m.group(0) for m in chosen]))
    return steps


def drop_qualifiers(text: str) -> tuple[str, list[str]]:
    """The mention without stage, grade, recurrence, age group, extent, severity and
    translocation qualifiers, and the words dropped.

    >>> drop_qualifiers("Stage IV Non-small Cell Lung Cancer AJCC v8")
    ('Non-small Cell Lung Cancer', ['Stage IV', 'AJCC v8'])
    >>> drop_qualifiers("Recurrent Adult Acute Myeloid Leukemia")
    ('Acute Myeloid Leukemia', ['Recurrent', 'Adult'])
    >>> drop_qualifiers("Locally Advanced or Metastatic Breast Cancer")[0]
    'Breast Cancer'
    """
    dropped = [m.group(0) for m in _QUALIFIERS.finditer(text)]
    if not dropped:
        return " ".join(text.split()), []  # as written: "Osteoarthritis, Knee" stays inverted
    return _tidy(_QUALIFIERS.sub(" ", text)), dropped


#: Names too general to stand for a mention that says more.
_GENERIC = frozenset(
    {"disease", "disorder", "syndrome", "condition", "cancer", "infection", "tumor", "neoplasm"}
)


#: Head nouns that say only that something is wrong with the body part before them.
_PATHOLOGY_NOUNS = word_set(
    "complication deformity ectasia dilation dilatation lesion abnormality anomaly malformation"
    " dysfunction hypofunction insufficiency disorder disease damage injury impairment"
    " disturbance pathology involvement"
)
#: The organ an adjective names, as DOID's "<organ> disease" terms write it.
_ORGAN_OF = {
    "pulmonary": "lung",
    "gastric": "stomach",
    "hepatic": "liver",
    "renal": "kidney",
    "cardiac": "heart",
    "cerebral": "brain",
    "ocular": "eye",
    "cutaneous": "skin",
    "dermal": "skin",
    "osseous": "bone",
    "spine": "spinal",
    "neurological": "nervous system",
    "neurologic": "nervous system",
    "hematologic": "hematopoietic system",
    "hematological": "hematopoietic system",
    "dermatologic": "skin",
    "dermatological": "skin",
    "pancreatic": "pancreas",
    "thyroid": "thyroid gland",
    "adrenal": "adrenal gland",
    "arterial": "artery",
    "venous": "vein",
    "oral": "mouth",
    "dental": "tooth",
    "mammary": "breast",
    "prostatic": "prostate",
    "urethral": "urethra",
    "vesical": "bladder",
    "esophageal": "esophagus",
    "colonic": "colon",
    "rectal": "rectum",
    "laryngeal": "larynx",
    "ovarian": "ovary",
    "uterine": "uterus",
}


#: Words that relate the mention to something else, unless before the name it ends with: then
#: they say what kind of it ("Cystic Fibrosis Related Diabetes" is a diabetes).
_KIND_PARTICIPLES = frozenset({"associated", "induced", "related"})
#: Words that relate the mention to something else ("pain after surgery", "risk of cancer").
_RELATION_WORDS = frozenset(
    [
        "to",
        "of",
        "for",
        "after",
        "before",
        "from",
        "with",
        "without",
        "due",
        "associated",
        "induced",
        "related",
        "in",
        "on",
        "at",
        "by",
        "or",
        "and",
        "versus",
        "vs",
        "not",
    ]
)


def _names_in(name: str) -> list[str]:
    """A name, and each half of a name that joins two ("chronic lymphocytic leukemia/small
    lymphocytic lymphoma"), when both halves are names of two words or more."""
    halves = [half.strip() for half in name.split("/")]
    if len(halves) == 2 and all(len(half.split()) >= 2 for half in halves):
        return [name, *halves]
    return [name]


def _one_letter_off(word: str) -> set[str]:
    """The word, and the word with each one letter deleted."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter added, dropped or changed."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def read_wrong_synonyms(path: Path) -> frozenset[tuple[str, str]]:
    """(CURIE, normalised synonym) pairs a curation file says are wrong: columns ``term_id``,
    ``synonym``, ``reason`` (tab-separated, ``#`` comments)."""
    pairs = set()
    with path.open(encoding="utf-8") as handle:
        rows = (line for line in handle if line.strip() and not line.startswith("#"))
        for record in csv.DictReader(rows, delimiter="\t"):
            pairs.add((record["term_id"].strip(), normalise_text(record["synonym"])))
    return frozenset(pairs)


#: Synonyms of the shipped releases known to be wrong (DOID 2024 lists "diabetes mellitus type
#: 2" as an EXACT synonym of MODY type 1): ontologies/synonym-corrections.tsv.
WRONG_SYNONYMS = read_wrong_synonyms(resource_dir("ontologies") / "synonym-corrections.tsv")


def read_missing_terms(path: Path) -> dict[str, tuple[str, str]]:
    """Names the ontology lacks, by :func:`loose` form: (CURIE, ``exact`` or ``broad``).
    Columns ``name``, ``term_id``, ``relation``, ``reason`` (tab-separated, ``#`` comments)."""
    found: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8") as handle:
        rows = (line for line in handle if line.strip() and not line.startswith("#"))
        for record in csv.DictReader(rows, delimiter="\t"):
            relation = record["relation"].strip()
            if relation not in ("exact", "broad"):
                raise ValueError(f"{path}: {record['name']!r}: relation must be exact or broad")
            found[loose(record["name"])] = (record["term_id"].strip(), relation)
    return found


#: Conditions the ontology has no term for, and the term curators link them to:
#: ontologies/missing-terms.tsv.
MISSING_TERMS = read_missing_terms(resource_dir("ontologies") / "missing-terms.tsv")


class Matcher:
    """The strategies over one term index and one target ontology prefix."""

    def __init__(
        self,
        index: TermIndex,
        prefix: str,
        *,
        wrong_synonyms: frozenset[tuple[str, str]] = WRONG_SYNONYMS,
        missing_terms: dict[str, tuple[str, str]] = MISSING_TERMS,
    ) -> None:
        self.index = index
        self.prefix = prefix
        self.wrong_synonyms = wrong_synonyms
        # Only what the loaded releases have: a slim may lack the table's term.
        self.missing_terms = {
            name: row
            for name, row in missing_terms.items()
            if row[0].startswith(prefix + ":") and row[0] in index and self._linkable(row[0])
        }
        self._loose: dict[str, list[str]] | None = None
        self._words: tuple[frozenset[str], dict[str, set[str]]] | None = None
        self._names_by_word: dict[str, list[tuple[str, list[str]]]] | None = None
        self._glued_names: dict[str, list[str]] | None = None

    def synonyms(self, text: str, scope: str = "EXACT") -> list[str]:
        """Terms of the target ontology with this synonym, but for synonyms known to be wrong."""
        said = normalise_text(text)
        return [
            c
            for c in self.keep(self.index.by_synonym(text, scope))
            if (c, said) not in self.wrong_synonyms
        ]

    def named(self, text: str) -> list[str]:
        """Terms whose label or EXACT synonym is ``text`` (case and spacing aside), else whose
        :func:`loose` form is."""
        found = self.keep(self.index.by_label(text)) or self.synonyms(text)
        return found or self.loose_named(text)

    def loose_named(self, text: str) -> list[str]:
        """Terms whose :func:`loose` form is the text's, else whose form is the text's with
        words joined or split otherwise ("Posttraumatic Stress Disorder", "Intraabdominal")."""
        said = loose(text)
        found = self.loose_labels().get(said)
        if not found and len(said) >= 8:
            found = self._glued().get(said.replace(" ", ""))
        return self.keep(found or ())

    def _glued(self) -> dict[str, list[str]]:
        """The loose names with their spaces taken out. Built on first use."""
        if self._glued_names is None:
            table: dict[str, list[str]] = {}
            for name, curies in self.loose_labels().items():
                table.setdefault(name.replace(" ", ""), []).extend(curies)
            self._glued_names = table
        return self._glued_names

    def variant_matches(self, label: str) -> list[str]:
        """Terms named by the first other spelling of the mention that names any."""
        for form in variants(label)[1:]:
            # A name only a term retired without a replacement has ("obsolete diabetes") is
            # no match: the next spelling may name a live one.
            found = [c for c in self.named(form) if self._linkable(c)]
            if found:
                return found
        return []

    def _linkable(self, curie: str) -> bool:
        term = self.index[curie]
        return not term.obsolete or bool(term.replaced_by)

    def keep(self, curies: Iterable[str]) -> list[str]:
        """The CURIEs of the target ontology among ``curies``, sorted, once each."""
        return sorted({c for c in curies if c.startswith(self.prefix + ":")})

    def loose_labels(self) -> dict[str, list[str]]:
        """Terms of the target ontology by the :func:`loose` form of their label and EXACT
        synonyms; built on first use, since only mentions no exact strategy matched need it."""
        if self._loose is None:
            table: dict[str, list[str]] = {}
            for term in self.index.iter_terms():
                if term.curie.startswith(self.prefix + ":"):
                    for name in (
                        term.label,
                        *(s.text for s in term.synonyms if s.scope == "EXACT"),
                    ):
                        if name and (term.curie, normalise_text(name)) not in self.wrong_synonyms:
                            for form in _names_in(name):
                                table.setdefault(loose(form), []).append(term.curie)
            self._loose = table
        return self._loose

    def corrected(self, text: str) -> tuple[str, list[str]] | None:
        """The mention with each misspelt word put right, and the words changed; None when
        nothing needed (or could be given) one correction.

        A word is misspelt when no name of the ontology uses it and exactly one word the
        names use is one letter away (added, dropped or changed; words of six letters or
        more only): "Pancretic Cancer" -> "pancreatic cancer".
        """
        words = loose(text).split()
        vocabulary, neighbours = self._vocabulary()
        changed: list[str] = []
        fixed: list[str] = []
        for word in words:
            if word in vocabulary or len(word) < 6 or not word.isalpha():
                fixed.append(word)
                continue
            near = {
                known
                for key in _one_letter_off(word)
                for known in neighbours.get(key, ())
                if _one_edit(word, known)
            }
            if len(near) != 1:
                return None
            (known,) = near
            fixed.append(known)
            changed.append(f"{word} -> {known}")
        return (" ".join(fixed), changed) if changed else None

    def missing_term(self, text: str) -> tuple[str, str, str] | None:
        """The term the missing-terms table gives for the mention, its relation and the name
        matched: the whole mention (relation as the table says), else a name whose words the
        mention has, ending it or with nothing relating it to something else (broad)."""
        words = loose(text).split()
        if not words:
            return None
        whole = self.missing_terms.get(" ".join(words))
        if whole is not None:
            return whole[0], whole[1], " ".join(words)
        have = set(words)
        best: tuple[str, str, str] | None = None
        for name, (curie, _relation) in self.missing_terms.items():
            named = name.split()
            left = [w for w in words if w not in named]
            longer = best is None or len(named) > len(best[2].split())
            if longer and set(named) <= have and not _RELATION_WORDS.intersection(left):
                best = (curie, "broad", name)
        return best

    def _vocabulary(self) -> tuple[frozenset[str], dict[str, set[str]]]:
        """Every word of the target ontology's names, and those of six letters or more by
        each form with one letter deleted (the symmetric-delete index). Built on first use."""
        if self._words is None:
            vocabulary = frozenset(w for name in self.loose_labels() for w in name.split())
            neighbours: dict[str, set[str]] = {}
            for word in vocabulary:
                if len(word) >= 5 and word.isalpha():
                    for key in _one_letter_off(word):
                        neighbours.setdefault(key, set()).add(word)
            self._words = (vocabulary, neighbours)
        return self._words

    def head_terms(self, text: str) -> tuple[list[str], list[str]]:
        """The most specific terms whose every word the mention has, among those that name
        the mention's last word (its head noun), and the mention's words left out.

        "Knee Osteoarthritis" -> osteoarthritis (leaving "knee"); "Pulmonary Arterial
        Hypertension" -> pulmonary hypertension, not hypertension. A lone generic word
        ("disease", "syndrome") is never enough.
        """
        words = loose(text).split()
        if len(words) < 2:
            return [], []
        have = Counter(words)
        said = set(words)
        head = words[-1]
        best: list[str] = []
        best_size = 0
        best_words: Counter[str] = Counter()
        for name, curies in self._by_word().get(head, ()):
            # Each word as often as the name has it: "non-small cell squamous" is not
            # "non-squamous non-small cell".
            split = name.split()
            if not said.issuperset(split) or name in _GENERIC:
                continue
            name_words = Counter(split)
            if name_words - have:
                continue
            size = name_words.total()
            if size > best_size:
                best, best_size, best_words = list(curies), size, name_words
            elif size == best_size:
                best += curies
        left = list((have - best_words).elements())
        if (_RELATION_WORDS - _KIND_PARTICIPLES).intersection(left):
            # "Genetic Predisposition to Disease": the words left out say how the rest relates
            # to something else, not what kind of it.
            return [], left
        return self.keep(best), left

    def site_terms(self, text: str) -> tuple[list[str], str | None, bool]:
        """The disease of the body part a mention names, when its head noun only says that
        something is wrong there ("Aortic Ectasia" -> aortic disease, "Postoperative Pulmonary
        Complications" -> lung disease, "Hematologic Diseases" -> hematopoietic system
        disease), the name matched, and whether it means the same (a disease or disorder of
        the part, and nothing else said). The words nearest the head noun are tried first,
        then each further one.
        """
        words = loose(text).split()
        if len(words) < 2 or words[-1] not in _PATHOLOGY_NOUNS:
            return [], None, False
        modifiers = words[:-1]
        for start in range(len(modifiers) - 1, -1, -1):
            if modifiers[start] in _RELATION_WORDS:
                break
            site = modifiers[start:]
            organ = [*site[:-1], _ORGAN_OF.get(site[-1], site[-1])]
            for name in dict.fromkeys(" ".join([*form, "disease"]) for form in (site, organ)):
                # By label only: a synonym "<word> disease" may name no body part
                # ("degenerative disease" of neurodegenerative disease).
                found = self.keep(self.index.by_label(name))
                if found:
                    return found, name, start == 0 and words[-1] in ("disease", "disorder")
        return [], None, False

    def _by_word(self) -> dict[str, list[tuple[str, list[str]]]]:
        """The loose names of the target ontology by each word they contain."""
        if self._names_by_word is None:
            table: dict[str, list[tuple[str, list[str]]]] = {}
            for name, curies in self.loose_labels().items():
                for word in set(name.split()):
                    table.setdefault(word, []).append((name, curies))
            self._names_by_word = table
        return self._names_by_word

    def strategies(self, label: str, description: str | None) -> list[Strategy]:
        """The text strategies for one mention, in order of trust."""
        return [
            (Method.EXACT_LABEL, lambda: self.keep(self.index.by_label(label)), label),
            (Method.EXACT_SYNONYM, lambda: self.synonyms(label), label),
            (Method.DEFINITION, lambda: self._definition_matches(description), None),
            (Method.NORMALISED_LABEL, lambda: self.loose_named(label), None),
            (Method.NORMALISED_LABEL, lambda: self.variant_matches(label), None),
            (
                Method.RELATED_SYNONYM,
                lambda: sorted(
                    {
                        c
                        for scope in ("NARROW", "BROAD", "RELATED")
                        for c in self.synonyms(label, scope)
                    }
                ),
                label,
            ),
        ]

    def _definition_matches(self, description: str | None) -> list[str]:
        """Terms whose definition is the description, or the part of it before a "; "."""
        if not description:
            return []
        found = self.keep(self.index.by_definition(description))
        if found:
            return found
        # hPSCreg writes "<definition>; <comment>": try each split point at "; ".
        text = description
        candidates: set[str] = set()
        start = 0
        while (cut := text.find("; ", start)) != -1:
            candidates.update(self.keep(self.index.by_definition(text[:cut])))
            start = cut + 2
        return sorted(candidates)

    def describes(self, term: Term, description: str | None) -> bool:
        """Whether the record's description is this term's definition (optionally + comment)."""
        if not description or not term.definition:
            return False
        want = normalise_text(description)
        definition = normalise_text(term.definition)
        return (
            want == definition
            or want.startswith(definition + "; ")
            or want.startswith(definition + ";")
        )
