"""Several releases of one ontology in one store: each kept in its own graph, merged by the index.

The real DOID releases differ as releases do: DOID 2016-03-04 labels DOID:5683 "hereditary breast
ovarian cancer" and gives DOID:10584 the synonym "RP", words the 2026-07-31 NCIthesaurus subset
no longer has; 2026 made DOID:2089 "constipation" obsolete and DOID:370 live again; DOID:11868
"chronic erythremia" is a term in 2016 and an alternative id of DOID:8997 in 2026.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kg.grounding.grounder import ground_mention
from kg.model import MentionKind
from kg.ontology.load import OntologyRelease, load_ontology, read_releases, release_order
from kg.ontology.terms import Synonym, Term, TermIndex, merge_releases
from kg.store import Store

from conftest import DOID_2016, DOID_NCIT_2026, DOID_RARE_2026, PRIMARY_OVARIAN_INSUFFICIENCY

NCIT_2026_VERSION = (
    "http://purl.obolibrary.org/obo/doid/releases/2026-07-31/subsets/NCIthesaurus.owl"
)
HEREDITARY_BREAST_OVARIAN_CANCER = "DOID:5683"


@pytest.fixture(scope="module")
def both() -> Store:
    """DOID 2016-03-04, then the DOID 2026-07-31 NCIthesaurus subset."""
    store = Store.in_memory()
    load_ontology(store, DOID_2016)
    load_ontology(store, DOID_NCIT_2026)
    return store


@pytest.fixture(scope="module")
def merged(both: Store) -> TermIndex:
    return TermIndex.from_store(both)


@pytest.fixture(scope="module")
def newest_loaded_first() -> TermIndex:
    """The same two releases loaded the other way round."""
    return TermIndex.from_files(DOID_NCIT_2026, DOID_2016)


def test_every_release_keeps_its_own_graph(both: Store) -> None:
    releases = read_releases(both)
    assert [(r.name, r.release_date) for r in releases] == [
        ("doid", "2016-03-04"),
        ("doid", "2026-07-31"),
    ]
    assert {g.value for g in both.named_graphs()} == {r.graph for r in releases}
    assert len(both) == sum(r.triples for r in releases)


def test_loading_the_same_release_again_replaces_its_graph(tmp_path: Path) -> None:
    store = Store.in_memory()
    first = load_ontology(store, DOID_NCIT_2026)
    size = len(store)
    packed = tmp_path / "doid-ncit.obo.gz"  # the same release (same version), other bytes
    packed.write_bytes(gzip.compress(DOID_NCIT_2026.read_bytes()))
    again = load_ontology(store, packed)
    assert again.graph == first.graph and again.sha256 != first.sha256
    assert len(store) == size
    (release,) = read_releases(store)
    assert release.path == "doid-ncit.obo.gz"


def test_a_mention_only_the_older_release_names_grounds_to_the_newer_term(
    merged: TermIndex, index: TermIndex
) -> None:
    mention = "hereditary breast ovarian cancer"  # DOID:5683's label in 2016 only
    assert ground_mention(MentionKind.CONDITION, mention, index).object_id is None  # 2026 alone
    grounding = ground_mention(MentionKind.CONDITION, mention, merged)
    assert grounding.object_id == HEREDITARY_BREAST_OVARIAN_CANCER
    assert grounding.object_label == "hereditary breast ovarian cancer syndrome"  # 2026's
    assert grounding.object_source_version == NCIT_2026_VERSION
    assert merged.by_synonym("RP") == ("DOID:10584",)  # a 2016 synonym


@pytest.mark.parametrize("built", ["merged", "newest_loaded_first"])
def test_the_newest_release_decides_label_and_obsolete_status(
    built: str, request: pytest.FixtureRequest
) -> None:
    index: TermIndex = request.getfixturevalue(built)
    constipation = index["DOID:2089"]  # live in 2016, obsolete in 2026
    assert constipation.obsolete and constipation.label == "obsolete constipation"
    assert constipation.parents == ()
    olfactory = index["DOID:370"]  # obsolete in 2016, live in 2026
    assert not olfactory.obsolete and olfactory.label == "malignant olfactory nerve neoplasm"
    term = index[PRIMARY_OVARIAN_INSUFFICIENCY]  # "premature ovarian failure" in 2016
    assert term.label == "primary ovarian insufficiency"
    assert Synonym("premature ovarian failure", "EXACT") in term.synonyms
    assert term.parents == ("DOID:1100",)


def test_older_labels_become_synonyms(merged: TermIndex) -> None:
    term = merged[HEREDITARY_BREAST_OVARIAN_CANCER]
    assert Synonym("hereditary breast ovarian cancer", "EXACT") in term.synonyms
    # 2016's "cherubism" (DOID:1856) is DOID:0070648's label in 2026: a related name only.
    assert Synonym("cherubism", "RELATED") in merged["DOID:1856"].synonyms
    texts = [s.text.casefold() for s in merged["DOID:10584"].synonyms]
    assert len(texts) == len(set(texts))


def test_a_term_merged_into_another_resolves_to_it(merged: TermIndex) -> None:
    term = merged["DOID:11868"]
    assert term.curie == "DOID:8997" and "DOID:11868" in term.alt_ids
    assert merged.by_synonym("chronic erythremia") == ("DOID:8997",)
    assert "DOID:11868" not in {t.curie for t in merged.iter_terms()}


def test_release_of_names_the_newest_release_defining_the_term(merged: TermIndex) -> None:
    newest = merged.release_of(PRIMARY_OVARIAN_INSUFFICIENCY)
    assert newest is not None and newest.version_iri == NCIT_2026_VERSION
    only_2016 = merged.release_of("DOID:0060330")  # Rapp-Hodgkin syndrome: not in the subset
    assert only_2016 is not None and only_2016.release_date == "2016-03-04"


def test_a_subset_that_drops_parents_does_not_make_roots() -> None:
    index = TermIndex.from_files(DOID_NCIT_2026, DOID_RARE_2026)  # same date: rare is newest
    newest = max(index.releases, key=release_order)
    assert newest.path == DOID_RARE_2026.name and index.release_of("DOID:3927") == newest
    assert index["DOID:3927"].parents == ("DOID:37",)  # DO_rare_slim gives none


# -- the rules, on small hand-made releases ---------------------------------------------------


def _release(version_iri: str | None, loaded: int) -> OntologyRelease:
    return OntologyRelease(
        name="doid",
        iri=None,
        version_iri=version_iri,
        version_info=None,
        graph=f"g{loaded}",
        path="doid.obo",
        sha256="0" * 64,
        triples=0,
        loaded_at=datetime(2026, 1, 1, 0, 0, loaded, tzinfo=UTC),
    )


def test_releases_rank_by_date_then_undated_then_by_load_time() -> None:
    dated_2026 = _release("http://x/releases/2026-07-31/doid.owl", loaded=0)
    other_2026 = _release("http://x/releases/2026-07-31/subset.owl", loaded=1)
    dated_2016 = _release("http://x/releases/2016-03-04/doid.owl", loaded=2)
    editors = _release(None, loaded=3)
    older_editors = _release(None, loaded=1)
    ranked = sorted([editors, dated_2026, older_editors, other_2026, dated_2016], key=release_order)
    assert ranked == [dated_2016, dated_2026, other_2026, older_editors, editors]


def _term(
    curie: str,
    label: str,
    *,
    synonyms: tuple[Synonym, ...] = (),
    alt_ids: tuple[str, ...] = (),
    obsolete: bool = False,
    parents: tuple[str, ...] = (),
    xrefs: tuple[str, ...] = (),
) -> Term:
    return Term(
        curie=curie,
        iri=f"http://purl.obolibrary.org/obo/{curie.replace(':', '_')}",
        label=label,
        definition=None,
        comment=None,
        synonyms=synonyms,
        xrefs=xrefs,
        alt_ids=alt_ids,
        obsolete=obsolete,
        replaced_by=(),
        consider=(),
        parents=parents,
        ontology="doid",
    )


def test_an_older_label_of_an_obsolete_term_is_only_a_related_synonym() -> None:
    newest = [_term("DOID:1", "new name", parents=("DOID:4",))]
    older = [_term("DOID:1", "obsolete old name", obsolete=True)]
    (term,) = merge_releases([newest, older])
    assert not term.obsolete and term.synonyms == (Synonym("old name", "RELATED"),)


def test_the_newest_scope_of_a_synonym_wins_and_xrefs_are_united_once() -> None:
    newest = [_term("DOID:1", "a", synonyms=(Synonym("b", "RELATED"),), xrefs=("MESH:D1",))]
    older = [_term("DOID:1", "a", synonyms=(Synonym("B", "EXACT"),), xrefs=("MSH:D1", "NCI:C1"))]
    (term,) = merge_releases([newest, older])
    assert term.synonyms == (Synonym("b", "RELATED"),)
    assert term.xrefs == ("MESH:D1", "NCI:C1")


def test_an_id_a_newer_release_makes_a_term_again_is_no_alternative_id() -> None:
    newest = [_term("DOID:1", "a"), _term("DOID:2", "b")]
    older = [_term("DOID:1", "a", alt_ids=("DOID:2",))]
    terms = {t.curie: t for t in merge_releases([newest, older])}
    assert terms["DOID:1"].alt_ids == () and terms["DOID:2"].label == "b"


def test_a_live_term_without_parents_in_the_newest_release_keeps_older_ones() -> None:
    newest = [_term("DOID:1", "a"), _term("DOID:2", "b", obsolete=True)]
    older = [_term("DOID:1", "a", parents=("DOID:4",)), _term("DOID:2", "b", parents=("DOID:4",))]
    terms = {t.curie: t for t in merge_releases([newest, older])}
    assert terms["DOID:1"].parents == ("DOID:4",)
    assert terms["DOID:2"].parents == ()  # obsolete now: out of the hierarchy
