"""Load ontology files into their own named graphs, recording which release each one is.

Every release gets its own graph, ``<base>graph/ontology/<name>/<release key>`` (see
:func:`release_key`), so several releases of one ontology are kept side by side; loading the
same release again replaces its graph. :func:`release_order` ranks the releases of a store from
the oldest to the newest.

Formats: OWL as RDF/XML (``.owl``, ``.rdf``), Turtle (``.ttl``), N-Triples (``.nt``), parsed
by pyoxigraph; OWL functional syntax (``.ofn``) through py-horned-owl; OBO 1.2/1.4 (``.obo``)
through :mod:`kg.ontology.obo`; each also gzipped
(``.gz``). ``owl:imports`` are listed in the release record and reported once; they are never
fetched (pyoxigraph does not follow them, and nothing here opens a network connection).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, cast
from xml.etree import ElementTree

import pyoxigraph as ox

from kg.errors import OntologyError
from kg.ids import DEFAULT_BASE_IRI
from kg.ontology.obo import obo_to_triples
from kg.rdf.vocab import DCTERMS, FOAF, OWL, PROV, RDF, TRIALKG, XSD
from kg.resources import resource_dir
from kg.store import QuadStore

__all__ = [
    "OntologyRelease",
    "inferred_graph",
    "load_ontology",
    "load_vocabulary",
    "ontology_graph",
    "parse_ontology",
    "read_catalog",
    "read_releases",
    "release_key",
    "release_order",
]

logger = logging.getLogger(__name__)

_RDF_FORMATS = {
    ".owl": ox.RdfFormat.RDF_XML,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
}
_OBO_CLASS = re.compile(r"^http://purl\.obolibrary\.org/obo/([A-Za-z]+)_")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True, slots=True)
class OntologyRelease:
    """One ontology file as loaded: which ontology, which release, from where."""

    #: Short name, also a segment of the graph's IRI: ``"doid"``, ``"cl"``.
    name: str
    #: The ontology IRI the file declares, e.g. ``http://purl.obolibrary.org/obo/doid.owl``.
    iri: str | None
    #: ``owl:versionIRI``, when the file has one (editors' files often do not).
    version_iri: str | None
    #: ``owl:versionInfo`` or OBO ``data-version``, when given.
    version_info: str | None
    #: The named graph holding the ontology's triples.
    graph: str
    #: The file it was read from.
    path: str
    #: SHA-256 of the file's bytes.
    sha256: str
    #: Number of triples: those loaded from the file, or, read back from a store, all the
    #: graph holds (the release's description included).
    triples: int
    #: When it was loaded (UTC): it ranks releases whose release dates do not.
    loaded_at: datetime
    #: ``owl:imports`` declared by the file and not followed.
    imports: tuple[str, ...] = ()
    #: ``dcterms:license`` of the ontology, when declared.
    license: str | None = None

    @property
    def version(self) -> str:
        """The best human-readable version: version IRI, else version info, else the checksum."""
        unversioned = f"{Path(self.path).name} sha256:{self.sha256[:16]}"
        return self.version_iri or self.version_info or unversioned

    @property
    def release_date(self) -> str | None:
        """The release date found in the version IRI or info, e.g. ``"2026-07-31"``."""
        return _date_in(self.version_iri or self.version_info)


def _date_in(version: str | None) -> str | None:
    """The first ISO date in a version IRI or version info."""
    match = _DATE.search(version or "")
    return match.group(1) if match else None


def release_key(version_iri: str | None, version_info: str | None, sha256: str) -> str:
    """The segment naming one release in its graph's IRI: stable, and distinct per release.

    The release date found in the version IRI (else the version info), when there is one, then
    12 hex digits of the SHA-256 of the version IRI (else the version info): two subsets of
    the same release (DOID's NCIthesaurus and DO_rare_slim of 2026-07-31) differ in their
    version IRIs. A file with neither is known by its content: the first 12 hex digits of the
    file's SHA-256, so each edit of an editors' file is a release of its own.

    >>> release_key("http://purl.obolibrary.org/obo/doid/releases/2026-07-31/doid.owl", None, "")
    '2026-07-31-0eca90ea0bc6'
    >>> release_key(None, None, "5b50959b8d0d00c9e1f4")
    '5b50959b8d0d'
    """
    version = version_iri or version_info
    if version is None:
        return sha256[:12]
    digest = hashlib.sha256(version.encode("utf-8")).hexdigest()[:12]
    date = _date_in(version)
    return f"{date}-{digest}" if date else digest


def ontology_graph(name: str, key: str, *, base: str = DEFAULT_BASE_IRI) -> ox.NamedNode:
    """The named graph of one release of an ontology: ``<base>graph/ontology/<name>/<key>``,
    ``key`` from :func:`release_key`."""
    return ox.NamedNode(f"{base}graph/ontology/{name}/{key}")


def inferred_graph(release: OntologyRelease, *, base: str = DEFAULT_BASE_IRI) -> ox.NamedNode:
    """The named graph of a release's inferred hierarchy (:mod:`kg.ontology.reason`): its
    graph's IRI with ``graph/inferred/`` for ``graph/ontology/``."""
    key = release.graph.removeprefix(f"{base}graph/ontology/")
    return ox.NamedNode(f"{base}graph/inferred/{key}")


def release_order(release: OntologyRelease) -> tuple[bool, str, datetime]:
    """Sort key ranking releases from the oldest to the newest.

    By release date; a release without one (an editors' file, a local build) ranks after every
    dated one, being the working copy that releases are cut from; releases of the same date,
    and undated ones among themselves, by load time, the later-loaded newer.
    """
    date = release.release_date
    return (date is None, date or "", release.loaded_at)


def _open_binary(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parse_ontology(path: str | Path) -> Iterator[ox.Triple]:
    """Stream the triples of an ontology file, choosing the parser by file suffix.

    :raises OntologyError: for an unknown suffix or a syntax error (with its line).
    """
    path = Path(path)
    suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    if suffix == ".obo":
        yield from obo_to_triples(path)
        return
    if suffix == ".ofn":
        yield from _functional_syntax(path)
        return
    fmt = _RDF_FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted({*_RDF_FORMATS, ".obo", ".ofn"}))
        raise OntologyError(path, f"unknown ontology format {suffix!r}; known: {known} (+ .gz)")
    try:
        with _open_binary(path) as handle:
            for triple in ox.parse(handle, fmt, base_iri=path.resolve().as_uri()):
                if isinstance(triple, ox.Triple):
                    yield triple
                else:  # a quad from a dataset format: keep its triple
                    yield triple.triple
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise OntologyError(
            path, f"{fmt} syntax error: {exc.msg if line else exc}", line=line
        ) from exc
    except (OSError, EOFError) as exc:
        raise OntologyError(path, f"cannot read: {exc}") from exc


def _functional_syntax(path: Path) -> Iterator[ox.Triple]:
    """OWL functional syntax through py-horned-owl, which writes it back as RDF/XML."""
    import pyhornedowl

    try:
        with _open_binary(path) as handle:
            text = handle.read().decode("utf-8-sig")
        ontology = pyhornedowl.open_ontology_from_string(text, "ofn")
        rdfxml = ontology.save_to_string("owl")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise OntologyError(path, f"cannot read: {exc}") from exc
    except Exception as exc:  # py-horned-owl raises plain ValueError/RuntimeError on bad input
        raise OntologyError(path, f"OWL functional syntax error: {exc}") from exc
    try:
        for quad in ox.parse(rdfxml.encode("utf-8"), ox.RdfFormat.RDF_XML):
            yield quad if isinstance(quad, ox.Triple) else quad.triple
    except SyntaxError as exc:
        raise OntologyError(path, f"converted RDF/XML does not parse: {exc}") from exc


def _guess_name(class_prefixes: Counter[str], iri: str | None, path: Path) -> str:
    if class_prefixes:
        return class_prefixes.most_common(1)[0][0].lower()
    if iri:
        return iri.rstrip("/").rsplit("/", 1)[-1].split(".")[0].lower()
    return path.name.split(".")[0].split("-")[0].lower()


def load_ontology(
    store: QuadStore,
    path: str | Path,
    *,
    base: str = DEFAULT_BASE_IRI,
    name: str | None = None,
    catalog: str | Path | None = None,
) -> OntologyRelease:
    """Load an ontology file into the named graph of its release (:func:`ontology_graph`).

    Other releases of the ontology stay in their own graphs; the same release (same name and
    version, or for a file without a version, the same content) loaded again replaces its
    graph. The graph also gets a description of the release (file, checksum, version, load
    time), which :func:`read_releases` reads back. ``owl:imports`` are resolved to local files
    through an XML catalog (the OBO convention, ``catalog-v001.xml``) and loaded into the same
    graph; imports the catalog does not map are reported once and skipped. Nothing is fetched.

    :param name: the short name of the ontology; guessed from its terms when omitted.
    :param catalog: an XML catalog; default: ``catalog-v001.xml`` beside the file, if any.
    :raises OntologyError: when the file cannot be parsed; the store is left as it was.
    """
    path = Path(path)
    if not path.is_file():
        raise OntologyError(path, "no such file")
    triples = list(parse_ontology(path))
    if not triples:
        raise OntologyError(path, "no triples: expected an OWL or OBO ontology")
    ontology_iri = version_iri = version_info = license_ = None
    imports: list[str] = []
    class_prefixes: Counter[str] = Counter()
    for t in triples:
        p, obj = t.predicate, t.object
        if isinstance(obj, ox.Triple):
            continue
        if p == RDF.type and t.object == OWL.Ontology and isinstance(t.subject, ox.NamedNode):
            ontology_iri = ontology_iri or t.subject.value
        elif p == RDF.type and t.object == OWL.Class and isinstance(t.subject, ox.NamedNode):
            match = _OBO_CLASS.match(t.subject.value)
            if match:
                class_prefixes[match.group(1)] += 1
        elif p == OWL.versionIRI:
            version_iri = obj.value
        elif p == OWL.versionInfo:
            version_info = obj.value
        elif p == OWL.imports:
            imports.append(obj.value)
        elif p == DCTERMS.license and ontology_iri in (None, getattr(t.subject, "value", None)):
            license_ = obj.value
    catalog = Path(catalog) if catalog else path.parent / "catalog-v001.xml"
    mapping = read_catalog(catalog) if catalog.is_file() else {}
    imports = _load_imports(imports, mapping, triples)
    if imports:
        logger.warning(
            "%s: %d owl:imports not followed (never fetched over the network): %s",
            path,
            len(imports),
            ", ".join(imports[:3]) + (" ..." if len(imports) > 3 else ""),
        )
    name = name or _guess_name(class_prefixes, ontology_iri, path)
    sha256 = _sha256(path)
    graph = ontology_graph(name, release_key(version_iri, version_info, sha256), base=base)
    release = OntologyRelease(
        name=name,
        iri=ontology_iri,
        version_iri=version_iri,
        version_info=version_info,
        graph=graph.value,
        path=str(path),
        sha256=sha256,
        triples=len(triples),
        loaded_at=datetime.now(UTC),
        imports=tuple(imports),
        license=license_,
    )
    quads = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    store.replace_graph_large(graph, _chain(quads, _release_quads(release, graph)))
    logger.info(
        "loaded ontology %s from %s: %d triples (%s)", name, path, len(triples), release.version
    )
    return release


def read_catalog(path: str | Path) -> dict[str, Path]:
    """The IRI -> local file mapping of an XML catalog (``catalog-v001.xml``, as Protégé and
    ROBOT write it); relative file names are resolved against the catalog's folder.

    :raises OntologyError: when the catalog is not well-formed XML.
    """
    path = Path(path)
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError) as exc:
        raise OntologyError(path, f"not a readable XML catalog: {exc}") from exc
    mapping: dict[str, Path] = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "uri" and element.get("name") and element.get("uri"):
            target = element.get("uri", "").removeprefix("file:")
            mapping[element.get("name", "")] = (path.parent / target).resolve()
    return mapping


def _load_imports(
    imports: list[str], mapping: dict[str, Path], triples: list[ox.Triple]
) -> list[str]:
    """Add the triples of every import the catalog maps (and of their imports); return the rest."""
    skipped: list[str] = []
    seen: set[str] = set()
    pending = list(imports)
    while pending:
        iri = pending.pop(0)
        if iri in seen:
            continue
        seen.add(iri)
        local = mapping.get(iri)
        if local is None or not local.is_file():
            skipped.append(iri)
            continue
        logger.info("owl:imports %s resolved to %s through the catalog", iri, local)
        for triple in parse_ontology(local):
            if triple.predicate == OWL.imports and isinstance(triple.object, ox.NamedNode):
                pending.append(triple.object.value)
            triples.append(triple)
    return skipped


def _chain(*parts: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    for part in parts:
        yield from part


def _release_quads(release: OntologyRelease, graph: ox.NamedNode) -> Iterator[ox.Quad]:
    def lit(value: str, datatype: ox.NamedNode = XSD.string) -> ox.Literal:
        return ox.Literal(value, datatype=datatype)

    yield ox.Quad(graph, RDF.type, TRIALKG.OntologyRelease, graph)
    yield ox.Quad(graph, RDF.type, PROV.Entity, graph)
    yield ox.Quad(graph, DCTERMS.identifier, lit(release.name), graph)
    yield ox.Quad(graph, DCTERMS.source, lit(Path(release.path).name), graph)
    yield ox.Quad(graph, TRIALKG.recordChecksum, lit(f"sha256:{release.sha256}"), graph)
    # Microseconds, since the load time ranks releases loaded one after the other.
    loaded = release.loaded_at.isoformat(timespec="microseconds")
    yield ox.Quad(graph, PROV.generatedAtTime, lit(loaded, XSD.dateTime), graph)
    if release.iri:
        yield ox.Quad(graph, FOAF.primaryTopic, ox.NamedNode(release.iri), graph)
    if release.version_iri:
        yield ox.Quad(graph, PROV.wasDerivedFrom, ox.NamedNode(release.version_iri), graph)


def read_releases(store: QuadStore, *, base: str = DEFAULT_BASE_IRI) -> tuple[OntologyRelease, ...]:
    """The ontology releases loaded in a store, as :func:`load_ontology` recorded them: every
    release of every ontology, by name, each ontology's from the oldest to the newest
    (:func:`release_order`)."""
    prefix = f"{base}graph/ontology/"
    rows = store.query(
        """
        SELECT ?g ?name ?file ?sum ?loaded ?iri ?viri ?vinfo ?license (COUNT(*) AS ?n) WHERE {
          GRAPH ?g {
            ?g a trialkg:OntologyRelease ; dcterms:identifier ?name ; dcterms:source ?file ;
               trialkg:recordChecksum ?sum ; prov:generatedAtTime ?loaded .
            OPTIONAL { ?g foaf:primaryTopic ?iri .
                       OPTIONAL { ?iri owl:versionInfo ?vinfo }
                       OPTIONAL { ?iri dcterms:license ?license } }
            OPTIONAL { ?g prov:wasDerivedFrom ?viri }
            ?s ?p ?o
          }
        } GROUP BY ?g ?name ?file ?sum ?loaded ?iri ?viri ?vinfo ?license
        """,
        prefixes={
            "trialkg": TRIALKG.uri,
            "dcterms": DCTERMS.uri,
            "foaf": FOAF.uri,
            "owl": OWL.uri,
            "prov": PROV.uri,
        },
        union_default_graph=False,
    )
    releases = []
    assert isinstance(rows, ox.QuerySolutions)
    for row in rows:
        graph = row["g"].value
        if not graph.startswith(prefix):
            continue

        def opt(var: str, row: ox.QuerySolution = row) -> str | None:
            term = row[var]
            return term.value if term is not None else None

        releases.append(
            OntologyRelease(
                name=row["name"].value,
                iri=opt("iri"),
                version_iri=opt("viri"),
                version_info=opt("vinfo"),
                graph=graph,
                path=row["file"].value,
                sha256=row["sum"].value.removeprefix("sha256:"),
                triples=int(row["n"].value),
                loaded_at=datetime.fromisoformat(row["loaded"].value),
                license=opt("license"),
            )
        )
    return tuple(sorted(releases, key=lambda r: (r.name, release_order(r))))


def load_vocabulary(store: QuadStore, *, base: str = DEFAULT_BASE_IRI) -> int:
    """Load the trialkg vocabulary (``ontologies/trialkg.ttl``) into ``<base>graph/vocab``."""
    graph = ox.NamedNode(f"{base}graph/vocab")
    path = resource_dir("ontologies") / "trialkg.ttl"
    quads = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in parse_ontology(path))
    return store.replace_graph_large(graph, quads)
