"""What a condition mention names when it names no disease, so that it stays ungrounded with a
reason a curator can check.

Sponsors list under "conditions" whatever a study is about: who takes part ("Healthy
Volunteers", "University Students"), what they undergo ("Spinal Fusion", "fMRI"), what they do
or are ("Cannabis Use", "Pregnancy"), what is measured ("Intraocular Pressure"), symptoms DOID
leaves to the symptom ontology ("Low Back Pain", "Fatigue"), injuries, organisms
("Human Immunodeficiency Virus", "SARS-CoV-2": the virus, not the infection) and bare
qualifiers ("Metastatic", "Accelerated Phase of Disease"). DOID has no term for any of them,
and a grounder that links them anyway is wrong.

:func:`names_no_disease` reads the mention's head noun (the last word of its first noun phrase,
with MeSH's inverted order put back: "Pain, Postoperative" is a pain) and says which of those it
is. The grounder asks only once no strategy linked the mention, so the answer never takes a link
away; it tells "no term matched" (a gap of the grounder or of DOID) from "nothing to link".

>>> names_no_disease("Pain, Postoperative")
'a symptom, which DOID does not cover'
>>> names_no_disease("Patients Undergoing a Lumbar Slipped Disc Surgery")
'a population'
>>> names_no_disease("Human Immunodeficiency Virus (HIV)")
'an organism, not the disease it causes'
>>> names_no_disease("Human Immunodeficiency Virus Type 1 (HIV-1)")
'an organism, not the disease it causes'
>>> names_no_disease("Drug Use Disorders") is None
True
"""

from __future__ import annotations

import re

from kg.grounding.match import loose, word_set

__all__ = ["ORGANISM", "names_an_organism", "names_no_disease"]


#: Head nouns (in :func:`~kg.grounding.match.loose` form: singular, lower case) by what they
#: name; the reason each kind gives.
_HEADS: dict[str, frozenset[str]] = {
    "a population": word_set(
        "volunteer subject participant people person patient adult child children infant "
        "newborn neonate student donor women woman men man male female elderly elder "
        "adolescent smoker athlete worker population"
    ),
    "a procedure or intervention": word_set(
        "surgery procedure operation transplantation transplant fusion ablation apheresis "
        "imaging mri fmri scan scanning mapping treatment therapy physiotherapy "
        "rehabilitation training traction implant implantation anesthesia anaesthesia "
        "monitoring dialysis hemodialysis transfusion vaccination immunization screening "
        "prevention reduction cessation technique concept medicine device modeling "
        "modelling intelligence trial amputation donation application management analgesia"
    ),
    "a behaviour, state or measurement": word_set(
        "pregnancy postpartum puerperium aging ageing sleep stress smoking drinking use "
        "behavior behaviour activity exercise cognition attention equilibrium consumption "
        "pressure perception adherence health life mortality morbidity recurrence "
        "genotype frequency predisposition seronegativity seropositivity deprivation "
        "abstinence change decline effect enhancement inflammation scarring overweight "
        "function"
    ),
    "a symptom, which DOID does not cover": word_set(
        "pain ache fever fatigue nausea vomiting headache dizziness colic weakness "
        "stiffness hyperalgesia symptom flash cough pruritus itch malaise sciatica "
        "neuralgia dysphagia anorexia constipation incontinence bradycardia tachycardia "
        "coma"
    ),
    "an injury, which DOID does not cover": word_set("injury wound trauma fracture"),
    "an organism, not the disease it causes": word_set(
        "virus bacteria bacterium flora microbiota microbiome fungus fungi parasite"
    ),
    "a substance": word_set("tobacco cannabis marijuana alcohol nicotine caffeine cytokine"),
    "only a course or phase, no disease named": word_set("phase metastatic"),
}
_REASON_OF = {head: reason for reason, heads in _HEADS.items() for head in heads}
#: What a mention that names a virus or bacterium is said to name.
ORGANISM = "an organism, not the disease it causes"

#: Who, followed by what they have or undergo: "Patients Undergoing ...", "Children With ...".
_POPULATION_FIRST = re.compile(
    r"^(?:patients?|subjects?|participants?|people|persons?|children|adults?|women|men|"
    r"individuals?|volunteers?)\s+(?:undergoing|with|who|receiving|after|having|treated|on|at)\b",
    re.I,
)
#: A virus by its usual abbreviation (HIV, HSV, HPV, HAV-HEV, HTLV, CMV, EBV, RSV, VZV, with
#: "-1", "type 2", "-I") and SARS-CoV-2 as sponsors spell it.
_VIRUS_ABBREVIATION = re.compile(
    r"^(?:h(?:i|s|p|a|b|c|d|e|tl)v|cmv|ebv|rsv|vzv|sars[\s-]*cov[\s-]*2?)"
    r"(?:[\s-]*(?:type\s*)?(?:\d|i{1,2}))?$",
    re.I,
)
#: Where a mention's first noun phrase ends: "Cancer of the Pancreatic Head" is a cancer.
_PHRASE_END = re.compile(
    r"\s+(?:of|in|with|without|for|after|before|during|due|caused|secondary|undergoing|"
    r"associated|related|as|to|on|from|and|or)\s+.*$",
    re.I,
)
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
#: Words for operations: diskectomy, laparotomy, colostomy, arthroplasty, arthroscopy, ...
_PROCEDURE_SUFFIXES = ("ectomy", "otomy", "ostomy", "plasty", "scopy", "graphy", "pexy")
#: A subtype number after the head noun: "Human Immunodeficiency Virus Type 1".
_SUBTYPE = re.compile(r"[\s-]+(?:type[\s-]*)?(?:\d+|i{1,3}|iv)$", re.I)


def names_no_disease(label: str) -> str | None:
    """What the mention names, when that is not a disease; None when it may be one."""
    text = _PARENTHESES.sub("", label).strip()
    if _VIRUS_ABBREVIATION.match(text):
        return ORGANISM
    if _POPULATION_FIRST.match(text):
        return "a population"
    # MeSH's inverted order: "Pain, Postoperative" is a pain, "Arthroplasty, Replacement,
    # Knee" an arthroplasty.
    head = text.partition(",")[0]
    words = loose(_SUBTYPE.sub("", _PHRASE_END.sub("", head))).split()
    if not words:
        return None
    if words[-1].endswith(_PROCEDURE_SUFFIXES):
        return _REASON_OF["surgery"]
    if words[-1].endswith("virus"):
        return ORGANISM  # "Human Papillomavirus", "Cytomegalovirus"
    return _REASON_OF.get(words[-1])


def names_an_organism(label: str) -> bool:
    """Whether the mention names a virus or bacterium rather than the disease it causes: a
    trial's condition "Respiratory Syncytial Virus (RSV)" is not linked to the infection even
    where the ontology lists the virus's name among the infection's synonyms."""
    return names_no_disease(label) == ORGANISM
