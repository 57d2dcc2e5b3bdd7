"""CURIEs and IRIs: converted once, at the edges, with the ``curies`` library.

Prefixes follow the OBO Foundry / Bioregistry conventions. OBO ontologies use the
``http://purl.obolibrary.org/obo/PREFIX_`` pattern, so any OBO prefix (UBERON, PATO, ...) expands
even when it is not listed here.

>>> to_iri("DOID:5426")
'http://purl.obolibrary.org/obo/DOID_5426'
>>> to_curie("http://www.ebi.ac.uk/efo/EFO_0004266")
'EFO:0004266'
>>> to_curie("http://purl.obolibrary.org/obo/UBERON_0000992")
'UBERON:0000992'
"""

from __future__ import annotations

import re

import curies

__all__ = ["CONVERTER", "DEFAULT_BASE_IRI", "normalise_prefix", "to_curie", "to_iri"]

OBO_PURL = "http://purl.obolibrary.org/obo/"

#: Where trial IRIs and graph IRIs live unless the user configures another base.
DEFAULT_BASE_IRI = "https://w3id.org/trialkg/"

# Non-OBO namespaces that trial records link to.
_EXTRA: dict[str, str] = {
    "EFO": "http://www.ebi.ac.uk/efo/EFO_",
    "ORDO": "http://www.orpha.net/ORDO/Orphanet_",
    "BTO": OBO_PURL + "BTO_",
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "UMLS": "http://linkedlifedata.com/resource/umls/id/",
    "NCT": "https://clinicaltrials.gov/study/",
}

_OBO_PREFIXES = ("DOID", "CL", "MONDO", "NCIT", "HP", "UBERON", "SYMP", "PATO", "GO", "OBI", "IAO")

CONVERTER = curies.Converter.from_prefix_map({p: f"{OBO_PURL}{p}_" for p in _OBO_PREFIXES} | _EXTRA)

_OBO_IRI = re.compile(r"^http://purl\.obolibrary\.org/obo/([A-Za-z][A-Za-z0-9]*)_([^/#]+)$")
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*):(\S+)$")

# Xref prefixes as real files write them -> the Bioregistry's preferred prefix.
_PREFIX_SYNONYMS = {
    "MSH": "MESH",
    "MESH": "MESH",
    "MIM": "OMIM",
    "OMIM": "OMIM",
    "NCI": "NCIT",
    "NCIT": "NCIT",
    "UMLS_CUI": "UMLS",
    "UMLS": "UMLS",
    "ORPHANET": "ORDO",
    "ORPHA": "ORDO",
    "ORDO": "ORDO",
}


def normalise_prefix(prefix: str) -> str:
    """The Bioregistry-style prefix for an xref prefix as files write it.

    >>> [normalise_prefix(p) for p in ("MSH", "SNOMEDCT_US_2025_09_01", "ICD10CM")]
    ['MESH', 'SNOMEDCT', 'ICD10CM']
    """
    upper = prefix.upper()
    if upper.startswith("SNOMEDCT"):
        return "SNOMEDCT"
    return _PREFIX_SYNONYMS.get(upper, upper)


def to_iri(curie_or_iri: str) -> str | None:
    """Expand a CURIE to its IRI; an IRI is returned as is; None when neither."""
    text = curie_or_iri.strip()
    if text.startswith(("http://", "https://")):
        return text
    match = _CURIE.match(text)
    if not match:
        return None
    prefix, local = match.groups()
    expanded = CONVERTER.expand(f"{prefix.upper()}:{local}")
    if expanded:
        return expanded
    if prefix.isalpha() and prefix.isupper():
        return f"{OBO_PURL}{prefix}_{local}"
    return None


def to_curie(iri: str) -> str | None:
    """Compress an IRI to a CURIE; None when no known prefix covers it."""
    compressed = CONVERTER.compress(iri)
    if compressed:
        return compressed
    match = _OBO_IRI.match(iri)
    return f"{match.group(1)}:{match.group(2)}" if match else None
