"""A lenient reader of OBO 1.2/1.4 flat files, and their mapping to OWL in RDF.

Real releases break strict parsers (see ``../shared/ontologies/README.md``), so this reader
skips what it cannot read, with a warning naming the file and line, and goes on. It maps
stanzas to OWL the way the OBO 1.4 -> OWL mapping (ROBOT, the OWL API) does for the tags the
graph needs: labels, definitions, comments, synonyms by scope, xrefs, alternative ids,
``is_a``, ``relationship``, obsolescence, ``replaced_by``, ``consider``, subsets and
``property_value``.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.obo"
>>> text = 'format-version: 1.2\\nontology: tiny\\n\\n[Term]\\nid: TINY:1\\nname: one\\n'
>>> _ = path.write_text(text)
>>> header, stanzas = read_obo(path)
>>> header.ontology, [s.id for s in stanzas]
('tiny', ['TINY:1'])
"""

from __future__ import annotations

import gzip
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from kg.errors import OntologyError
from kg.rdf.vocab import OBO, OBOINOWL, OWL, RDF, RDFS, XSD

__all__ = ["OboHeader", "OboStanza", "obo_to_triples", "read_obo"]

logger = logging.getLogger(__name__)

OBO_PURL = "http://purl.obolibrary.org/obo/"
_DEFINITION = OBO.IAO_0000115
_REPLACED_BY = OBO.IAO_0100001
_SYNONYM_SCOPES = {
    "EXACT": OBOINOWL.hasExactSynonym,
    "NARROW": OBOINOWL.hasNarrowSynonym,
    "BROAD": OBOINOWL.hasBroadSynonym,
    "RELATED": OBOINOWL.hasRelatedSynonym,
}
# OBO 1.2 wrote the scope into the tag name.
_OLD_SYNONYM_TAGS = {
    "exact_synonym": "EXACT",
    "narrow_synonym": "NARROW",
    "broad_synonym": "BROAD",
    "related_synonym": "RELATED",
}
_STANZA_TYPES = {"Term": OWL.Class, "Typedef": OWL.ObjectProperty, "Instance": OWL.NamedIndividual}
_STANZA = re.compile(r"^\[(\w+)\]\s*$")
_TAG = re.compile(r"^([A-Za-z][\w-]*)\s*:\s?(.*)$")
_ESCAPES = {"n": "\n", "t": "\t", "W": " "}
_XSD_PREFIX = "xsd:"


@dataclass(frozen=True, slots=True)
class OboHeader:
    """The header tags of an OBO file (those before the first stanza)."""

    format_version: str | None
    #: e.g. ``"releases/2016-03-04"``.
    data_version: str | None
    #: e.g. ``"doid"`` or ``"doid/subsets/NCIthesaurus"``.
    ontology: str | None
    date: str | None
    #: ``idspace:`` declarations, (prefix, IRI base).
    idspaces: tuple[tuple[str, str], ...]
    #: Every header tag, in file order.
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class OboStanza:
    """One ``[Term]``, ``[Typedef]`` or ``[Instance]`` stanza."""

    kind: str
    id: str
    #: 1-based line of the stanza's ``[Kind]`` header.
    line: int
    #: (tag, value) in file order; trailing ``! comments`` removed, modifiers kept.
    tags: tuple[tuple[str, str], ...]


def _open_text(path: Path) -> io.TextIOWrapper:
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # noqa: SIM115
    # utf-8-sig drops a BOM; newline=None folds CRLF.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline=None)


def _strip_comment(value: str) -> str:
    """Drop a trailing ``! comment`` that is outside quotes and not escaped."""
    in_quote = False
    escaped = False
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            in_quote = not in_quote
        elif ch == "!" and not in_quote and (i == 0 or value[i - 1] in " \t"):
            return value[:i].rstrip()
    return value.rstrip()


def _unescape(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def _quoted(value: str) -> tuple[str, str] | None:
    """Split ``"text" rest`` into (unescaped text, rest); None when unterminated."""
    if not value.startswith('"'):
        return None
    i = 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == '"':
            return _unescape(value[1:i]), value[i + 1 :].strip()
        i += 1
    return None


class _Lines:
    """Numbered, right-stripped lines of a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.number = 0
        self._handle = _open_text(path)

    def __iter__(self) -> Iterator[str]:
        with self._handle as handle:
            try:
                for line in handle:
                    self.number += 1
                    yield line.rstrip("\n\r ")
            except (OSError, EOFError) as exc:  # a cut-off .gz
                raise OntologyError(self.path, f"cannot read: {exc}", line=self.number) from exc


def read_obo(path: Path | str) -> tuple[OboHeader, Iterator[OboStanza]]:
    """Read the header of an OBO file now, and return an iterator over its stanzas.

    Tolerates a BOM, CRLF line ends and ``.gz`` compression. Lines that are not
    ``tag: value`` are skipped with a warning naming the file and line.

    :returns: the header and a lazy iterator of stanzas.
    :raises OntologyError: when the file is not an OBO file at all.
    """
    path = Path(path)
    if not path.is_file():
        raise OntologyError(path, "no such file")
    lines = _Lines(path)
    it = iter(lines)
    header_tags: list[tuple[str, str]] = []
    first_stanza: tuple[str, int] | None = None
    for line in it:
        if not line.strip() or line.startswith("!"):
            continue
        if match := _STANZA.match(line):
            first_stanza = (match.group(1), lines.number)
            break
        if match := _TAG.match(line):
            header_tags.append((match.group(1), _strip_comment(match.group(2))))
            continue
        if not header_tags:
            raise OntologyError(
                path,
                "expected an OBO flat file (format-version: ... header, [Term] stanzas); "
                f"found {line[:60]!r}",
                line=lines.number,
            )
        logger.warning("%s:%d: skipped a header line that is not 'tag: value'", path, lines.number)
    if not header_tags and first_stanza is None:
        raise OntologyError(path, "expected an OBO flat file; found no header and no stanza")
    header = _header(header_tags)
    return header, _stanzas(path, lines, it, first_stanza)


def _header(tags: list[tuple[str, str]]) -> OboHeader:
    values: dict[str, str] = {}
    idspaces: list[tuple[str, str]] = []
    for tag, value in tags:
        values.setdefault(tag, value)
        if tag == "idspace":
            parts = value.split()
            if len(parts) >= 2:
                idspaces.append((parts[0], parts[1]))
    return OboHeader(
        format_version=values.get("format-version"),
        data_version=values.get("data-version"),
        ontology=values.get("ontology"),
        date=values.get("date"),
        idspaces=tuple(idspaces),
        tags=tuple(tags),
    )


def _stanzas(
    path: Path, lines: _Lines, it: Iterator[str], first: tuple[str, int] | None
) -> Iterator[OboStanza]:
    kind, start = first if first else ("", 0)
    tags: list[tuple[str, str]] = []
    skipped = 0

    def finish() -> OboStanza | None:
        ident = next((v for t, v in tags if t == "id"), None)
        if not kind:
            return None
        if not ident:
            logger.warning("%s:%d: [%s] stanza without an id, skipped", path, start, kind)
            return None
        return OboStanza(kind, ident.strip(), start, tuple(tags))

    for line in it:
        if not line.strip() or line.startswith("!"):
            continue
        if match := _STANZA.match(line):
            if stanza := finish():
                yield stanza
            kind, start, tags = match.group(1), lines.number, []
            continue
        if match := _TAG.match(line):
            tags.append((match.group(1), _strip_comment(match.group(2))))
        else:
            skipped += 1
            logger.warning(
                "%s:%d: skipped a line that is not 'tag: value': %r", path, lines.number, line[:60]
            )
    if stanza := finish():
        yield stanza
    if skipped:
        logger.warning("%s: %d malformed lines skipped", path, skipped)


class _Mapper:
    """Turns OBO ids into IRIs, with the file's idspaces and ontology name."""

    def __init__(self, header: OboHeader, ontology: str) -> None:
        self.ontology = ontology
        self.idspaces = dict(header.idspaces)

    def iri(self, ident: str) -> NamedNode | None:
        ident = ident.strip()
        if ident.startswith(("http://", "https://")):
            return NamedNode(ident) if " " not in ident else None
        prefix, sep, local = ident.partition(":")
        if sep and prefix in self.idspaces:
            return NamedNode(self.idspaces[prefix] + local)
        if sep and prefix and local and " " not in ident and prefix.replace("_", "").isalnum():
            return NamedNode(f"{OBO_PURL}{prefix}_{local}")
        if not sep and ident and " " not in ident:
            # Unprefixed ids (relations such as part_of in a Typedef) live in the ontology.
            return NamedNode(f"{OBO_PURL}{self.ontology}#{ident}")
        return None


def _version_iri(header: OboHeader, ontology: str) -> NamedNode | None:
    version = header.data_version
    if not version:
        return None
    if "/" in version and version.split("/")[0] == ontology.split("/")[0]:
        # DOID 2026 subsets: "doid/releases/2026-07-31/subsets/NCIthesaurus.obo"
        path = version[:-4] + ".owl" if version.endswith(".obo") else version
        return NamedNode(OBO_PURL + path)
    if version.startswith("releases/") or re.match(r"^\d{4}-\d{2}-\d{2}$", version):
        # DOID 2016, CL 2021: "releases/2016-03-04"
        date = version.removeprefix("releases/")
        return NamedNode(f"{OBO_PURL}{ontology}/releases/{date}/{ontology}.owl")
    return None


def _guess_ontology(path: Path) -> str:
    """The ontology's name when the header has no ``ontology:`` tag: the id prefix of a term."""
    _, stanzas = read_obo(path)
    for stanza in stanzas:
        prefix, sep, _ = stanza.id.partition(":")
        if sep and stanza.kind == "Term":
            return prefix.lower()
    return path.name.split(".")[0].lower()


def obo_to_triples(path: Path | str) -> Iterator[Triple]:
    """Stream an OBO file as OWL triples (the OBO 1.4 -> OWL mapping for the tags above).

    :raises OntologyError: when the file is not an OBO file.
    """
    path = Path(path)
    header, stanzas = read_obo(path)
    ontology = header.ontology or _guess_ontology(path)
    mapper = _Mapper(header, ontology)
    ontology_iri = NamedNode(f"{OBO_PURL}{ontology}.owl")
    yield Triple(ontology_iri, RDF.type, OWL.Ontology)
    if (version_iri := _version_iri(header, ontology)) is not None:
        yield Triple(ontology_iri, OWL.versionIRI, version_iri)
    if header.data_version:
        yield Triple(ontology_iri, OWL.versionInfo, Literal(header.data_version))
    for stanza in stanzas:
        yield from _stanza_triples(path, stanza, mapper)


def _stanza_triples(path: Path, stanza: OboStanza, mapper: _Mapper) -> Iterator[Triple]:
    subject = mapper.iri(stanza.id)
    if subject is None:
        logger.warning(
            "%s:%d: id %r cannot be made an IRI; stanza skipped", path, stanza.line, stanza.id
        )
        return
    rdf_type = _STANZA_TYPES.get(stanza.kind)
    if rdf_type is None:
        logger.debug("%s:%d: [%s] stanza ignored", path, stanza.line, stanza.kind)
        return
    yield Triple(subject, RDF.type, rdf_type)
    yield Triple(subject, OBOINOWL.id, Literal(stanza.id))
    is_property = stanza.kind == "Typedef"
    for tag, value in stanza.tags:
        try:
            yield from _tag_triples(subject, tag, value, mapper, is_property)
        except _BadValue as exc:
            logger.warning(
                "%s:%d: [%s] %s: %s; tag skipped", path, stanza.line, stanza.id, tag, exc
            )


class _BadValue(ValueError):
    pass


def _link(mapper: _Mapper, value: str) -> NamedNode:
    target = value.split("{")[0].split()[0] if value.strip() else ""
    node = mapper.iri(target)
    if node is None:
        raise _BadValue(f"cannot read {value!r} as an id")
    return node


def _tag_triples(
    subject: NamedNode, tag: str, value: str, mapper: _Mapper, is_property: bool
) -> Iterator[Triple]:
    if tag == "name":
        yield Triple(subject, RDFS.label, Literal(_unescape(value.strip())))
    elif tag == "def":
        quoted = _quoted(value)
        if quoted is None:
            raise _BadValue("expected a quoted definition")
        yield Triple(subject, _DEFINITION, Literal(quoted[0]))
    elif tag == "comment":
        yield Triple(subject, RDFS.comment, Literal(_unescape(value.strip())))
    elif tag == "synonym" or tag in _OLD_SYNONYM_TAGS:
        quoted = _quoted(value)
        if quoted is None:
            raise _BadValue("expected a quoted synonym")
        text, rest = quoted
        scope = _OLD_SYNONYM_TAGS.get(tag) or (rest.split() or ["RELATED"])[0].upper()
        yield Triple(subject, _SYNONYM_SCOPES.get(scope, OBOINOWL.hasRelatedSynonym), Literal(text))
    elif tag == "xref":
        # DOID 2016-03-04: xrefs with spaces ("JA:Epilepsy Genetics Kiel"), which strict OBO
        # readers reject; the value is kept as written, minus a trailing quoted description.
        xref = value.split(' "')[0].strip()
        if xref:
            yield Triple(subject, OBOINOWL.hasDbXref, Literal(xref))
    elif tag == "alt_id":
        yield Triple(subject, OBOINOWL.hasAlternativeId, Literal(value.strip()))
    elif tag == "is_a":
        predicate = RDFS.subPropertyOf if is_property else RDFS.subClassOf
        yield Triple(subject, predicate, _link(mapper, value))
    elif tag == "relationship" and not is_property:
        # CL 2021-12-07 uses relations that some OBO libraries fail on; any relation is
        # written as an existential restriction, as the OBO -> OWL mapping does.
        parts = value.split()
        if len(parts) < 2:
            raise _BadValue("expected 'relation target'")
        restriction = BlankNode()
        yield Triple(subject, RDFS.subClassOf, restriction)
        yield Triple(restriction, RDF.type, OWL.Restriction)
        yield Triple(restriction, OWL.onProperty, _link(mapper, parts[0]))
        yield Triple(restriction, OWL.someValuesFrom, _link(mapper, parts[1]))
    elif tag == "is_obsolete":
        if value.strip().lower() == "true":
            yield Triple(subject, OWL.deprecated, Literal(True))
    elif tag == "replaced_by":
        yield Triple(subject, _REPLACED_BY, _link(mapper, value))
    elif tag == "consider":
        yield Triple(subject, OBOINOWL.consider, Literal(value.strip()))
    elif tag == "subset":
        yield Triple(
            subject, OBOINOWL.inSubset, NamedNode(f"{OBO_PURL}{mapper.ontology}#{value.strip()}")
        )
    elif tag == "namespace":
        yield Triple(subject, OBOINOWL.hasOBONamespace, Literal(value.strip()))
    elif tag in ("created_by", "creation_date"):
        yield Triple(subject, OBOINOWL[tag], Literal(value.strip()))
    elif tag == "property_value":
        yield from _property_value(subject, value, mapper)
    else:
        logger.debug("tag %s not mapped", tag)


def _property_value(subject: NamedNode, value: str, mapper: _Mapper) -> Iterator[Triple]:
    prop_text, _, rest = value.strip().partition(" ")
    prop = mapper.iri(prop_text)
    if prop is None or not rest:
        raise _BadValue("expected 'property value [datatype]'")
    rest = rest.strip()
    quoted = _quoted(rest)
    if quoted is not None:
        text, type_name = quoted
        if type_name.startswith(_XSD_PREFIX):
            datatype = NamedNode(XSD.uri + type_name[len(_XSD_PREFIX) :])
            yield Triple(subject, prop, Literal(text, datatype=datatype))
        else:
            yield Triple(subject, prop, Literal(text))
        return
    parts = rest.split()
    if len(parts) >= 2 and parts[-1].startswith(_XSD_PREFIX):
        # CL 2021-12-07: unquoted typed values ("2017-01-30T18:53:32Z xsd:dateTime").
        datatype = NamedNode(XSD.uri + parts[-1][len(_XSD_PREFIX) :])
        yield Triple(subject, prop, Literal(" ".join(parts[:-1]), datatype=datatype))
        return
    target = mapper.iri(parts[0])
    yield Triple(subject, prop, target if target is not None else Literal(rest))
