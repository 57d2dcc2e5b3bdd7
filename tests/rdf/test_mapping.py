"""Trial -> quads: the RDF of the seed trial, its parsing, and its round trip."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.compare import graph_diff, to_isomorphic

from kg.grounding.grounder import ground
from kg.model import (
    Arm,
    CellProduct,
    Code,
    Condition,
    DatedValue,
    Design,
    DoseArm,
    Eligibility,
    Enrollment,
    GroundedTrial,
    Grounding,
    Intervention,
    Location,
    MentionKind,
    Phase,
    Reference,
    SourceRecord,
    Sponsor,
    Trial,
)
from kg.ontology.terms import TermIndex
from kg.rdf.mapping import contact_quads, graphs_of, trial_iri, trial_to_nquads, trial_to_quads
from kg.rdf.vocab import OBO, PROV, RDF, TRIALKG, XSD
from kg.readers.hpscreg import read_record

from conftest import SEED

LOADED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SEED_TRIAL = trial_iri("NCT03877471")


@pytest.fixture(scope="module")
def quads(index: TermIndex) -> list[ox.Quad]:
    grounded = ground(read_record(SEED), index)
    versions = [r.version for r in index.releases]
    return list(trial_to_quads(grounded, loaded_at=LOADED_AT, ontology_versions=versions))


def _objects(quads: list[ox.Quad], subject: ox.NamedNode | ox.BlankNode, predicate: ox.NamedNode):
    return [q.object for q in quads if q.subject == subject and q.predicate == predicate]


def test_all_quads_sit_in_the_seed_records_graph(quads) -> None:
    assert {q.graph_name for q in quads} == {
        ox.NamedNode("https://w3id.org/trialkg/graph/hpscreg/48")
    }


def test_trial_links_straight_to_the_doid_class(quads) -> None:
    assert OBO.DOID_5426 in _objects(quads, SEED_TRIAL, TRIALKG.condition)


def test_trial_cell_product_links_to_the_cl_class(quads) -> None:
    (intervention,) = _objects(quads, SEED_TRIAL, TRIALKG.intervention)
    assert _objects(quads, intervention, TRIALKG.cellType) == [OBO.CL_0000134]


def test_trial_is_an_obi_clinical_trial_in_phase_1(quads) -> None:
    types = _objects(quads, SEED_TRIAL, RDF.type)
    assert OBO.OBI_0003699 in types
    assert OBO.OBI_0003700 in types
    assert _objects(quads, SEED_TRIAL, TRIALKG.phase) == [TRIALKG.Phase1]


def test_start_date_is_estimated(quads) -> None:
    (start,) = _objects(quads, SEED_TRIAL, TRIALKG.startDate)
    assert _objects(quads, start, TRIALKG.date) == [ox.Literal("2019-04-03", datatype=XSD.date)]
    assert _objects(quads, start, TRIALKG.estimated) == [ox.Literal(True)]


def test_target_enrollment_is_28(quads) -> None:
    assert _objects(quads, SEED_TRIAL, TRIALKG.targetEnrollment) == [
        ox.Literal("28", datatype=XSD.integer)
    ]


def test_dose_arms_carry_cell_counts_per_ovary(quads) -> None:
    (intervention,) = _objects(quads, SEED_TRIAL, TRIALKG.intervention)
    arms = _objects(quads, intervention, TRIALKG.doseArm)
    counts = sorted(float(_objects(quads, arm, TRIALKG.cellCount)[0].value) for arm in arms)
    assert counts == [2e6, 5e6, 1e7]
    for arm in arms:
        assert _objects(quads, arm, TRIALKG.doseScope) == [ox.Literal("per ovary")]
        assert "each ovary" in _objects(quads, arm, TRIALKG.sourceText)[0].value


def test_grounding_record_names_method_text_and_release(quads) -> None:
    (mention,) = _objects(quads, SEED_TRIAL, TRIALKG.conditionMention)
    (record,) = _objects(quads, mention, TRIALKG.grounding)
    assert _objects(quads, record, TRIALKG.method) == [TRIALKG.ExactLabelMatch]
    assert _objects(quads, record, TRIALKG.matchedText) == [
        ox.Literal("primary ovarian insufficiency")
    ]
    (used,) = _objects(quads, record, PROV.used)
    assert "2026-07-31" in used.value


def test_graph_records_its_provenance(quads) -> None:
    graph = graphs_of(read_record(SEED)).public
    assert _objects(quads, graph, PROV.wasDerivedFrom) == [
        ox.NamedNode("https://hpscreg.eu/browse/trial/48")
    ]
    assert _objects(quads, graph, PROV.generatedAtTime)
    assert len(_objects(quads, graph, PROV.used)) == 2


def test_contact_details_stay_out_of_the_public_graph(quads) -> None:
    text = " ".join(str(q) for q in quads)
    assert "Long" not in text.replace("Long term", "")
    assert "+8617503296371" not in text


def test_contacts_go_to_the_private_graph_when_asked() -> None:
    trial = read_record(SEED)
    private = list(contact_quads(trial))
    assert {q.graph_name for q in private} == {graphs_of(trial).private}
    assert any(q.object == ox.Literal("+8617503296371") for q in private)


def test_quads_parse_in_rdflib_and_round_trip_through_turtle(quads) -> None:
    triples = [q.triple for q in quads]
    turtle = ox.serialize(triples, None, ox.RdfFormat.TURTLE)
    back = list(ox.parse(turtle, ox.RdfFormat.TURTLE))
    assert len(back) == len(triples)

    nt = ox.serialize(triples, None, ox.RdfFormat.N_TRIPLES).decode()
    original = rdflib.Graph().parse(data=nt, format="nt")
    reparsed = rdflib.Graph().parse(data=turtle.decode(), format="turtle")
    iso_a, iso_b = to_isomorphic(original), to_isomorphic(reparsed)
    if iso_a != iso_b:
        _, only_a, only_b = graph_diff(iso_a, iso_b)
        pytest.fail(f"only before: {sorted(only_a)[:5]}\nonly after: {sorted(only_b)[:5]}")


def test_quads_serialise_as_nquads_and_parse_back(quads) -> None:
    buffer = io.BytesIO()
    ox.serialize(quads, buffer, ox.RdfFormat.N_QUADS)
    assert len(list(ox.parse(buffer.getvalue(), ox.RdfFormat.N_QUADS))) == len(quads)


# -- any trial, round trip -------------------------------------------------------------------

_text = st.text(min_size=1, max_size=40).filter(lambda t: t.strip() != "")
_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))


@st.composite
def trials(draw: st.DrawFn) -> GroundedTrial:
    conditions = tuple(
        Condition(draw(_text), draw(st.none() | _text)) for _ in range(draw(st.integers(0, 3)))
    )
    products = tuple(
        CellProduct(
            draw(_text),
            dose_arms=tuple(
                DoseArm(draw(_text), draw(st.floats(1, 1e12)), draw(st.none() | _text), draw(_text))
                for _ in range(draw(st.integers(0, 2)))
            ),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    trial = Trial(
        source=SourceRecord("hpscreg", str(draw(st.integers(1, 10**6))), "x.txt"),
        title=draw(_text),
        acronym=draw(st.none() | _text),
        nct_id=draw(st.none() | st.from_regex(r"NCT\d{8}", fullmatch=True)),
        description=draw(st.none() | st.text()),
        phases=tuple(draw(st.sets(st.sampled_from(list(Phase)), max_size=2))),
        start=draw(st.none() | _dates.map(lambda d: DatedValue(d.isoformat(), estimated=True))),
        enrollment=draw(st.none() | st.integers(0, 10**5).map(Enrollment)),
        sponsors=tuple(
            Sponsor(name, role, agency)
            for name, role, agency in draw(
                st.lists(
                    st.tuples(
                        _text, st.sampled_from([None, "lead", "collaborator"]), st.none() | _text
                    ),
                    max_size=2,
                )
            )
        ),
        sites=tuple(
            Location(name, city, None, country)
            for name, city, country in draw(
                st.lists(st.tuples(_text, st.none() | _text, st.none() | _text), max_size=2)
            )
        ),
        conditions=conditions,
        condition_mesh=tuple(
            Code(label, draw(st.none() | st.from_regex(r"MESH:D\d{6}", fullmatch=True)))
            for label in draw(st.lists(_text, max_size=2))
        ),
        keywords=tuple(draw(st.lists(_text, max_size=2))),
        cell_products=products,
        interventions=tuple(
            Intervention(name, kind, None, other_names=tuple(others), arm_labels=tuple(arms))
            for name, kind, others, arms in draw(
                st.lists(
                    st.tuples(
                        _text,
                        st.none() | st.sampled_from(["DRUG", "DEVICE"]),
                        st.lists(_text, max_size=2),
                        st.lists(st.sampled_from(["A", "B", "C"]), max_size=2),
                    ),
                    max_size=2,
                )
            )
        ),
        arms=tuple(Arm(label) for label in draw(st.lists(st.sampled_from(["A", "B"]), max_size=2))),
        design=draw(st.none() | st.builds(Design, allocation=st.just("RANDOMIZED"))),
        eligibility=draw(
            st.none()
            | st.builds(
                Eligibility,
                sex=st.sampled_from(["ALL", "FEMALE"]),
                minimum_age=st.none() | st.integers(0, 99).map(lambda n: f"P{n}Y"),
                healthy_volunteers=st.none() | st.booleans(),
            )
        ),
        references=tuple(
            Reference(pmid, "RESULT", citation)
            for pmid, citation in draw(
                st.lists(
                    st.tuples(st.none() | st.from_regex(r"[1-9]\d{3,7}", fullmatch=True), _text),
                    max_size=2,
                )
            )
        ),
    )

    def grounding(kind: MentionKind, label: str) -> Grounding:
        grounded = draw(st.booleans())
        return Grounding(
            kind,
            label,
            "DOID:5426" if grounded else None,
            None,
            "exact_label" if grounded else "none",
            "semapv:LexicalMatching",
            label if grounded else None,
            0.95 if grounded else 0.0,
        )

    return GroundedTrial(
        trial,
        tuple(grounding(MentionKind.CONDITION, c.label) for c in conditions),
        tuple(grounding(MentionKind.CELL_TYPE, p.label) for p in products),
    )


@settings(max_examples=60, deadline=None)
@given(trials())
def test_any_trial_round_trips_through_turtle(grounded: GroundedTrial) -> None:
    triples = [q.triple for q in trial_to_quads(grounded, loaded_at=LOADED_AT)]
    turtle = ox.serialize(triples, None, ox.RdfFormat.TURTLE)
    nt = ox.serialize(triples, None, ox.RdfFormat.N_TRIPLES).decode()
    original = to_isomorphic(rdflib.Graph().parse(data=nt, format="nt"))
    reparsed = to_isomorphic(rdflib.Graph().parse(data=turtle.decode(), format="turtle"))
    assert original == reparsed


def _numbered_blank_nodes(nquads: str) -> str:
    """Blank-node labels replaced by their order of appearance (each call draws new labels)."""
    labels: dict[str, str] = {}
    return re.sub(r"_:\w+", lambda m: labels.setdefault(m.group(), f"_:n{len(labels)}"), nquads)


@settings(max_examples=80, deadline=None)
@given(trials())
def test_nquads_lines_are_what_pyoxigraph_serialises(grounded: GroundedTrial) -> None:
    versions = ["http://purl.obolibrary.org/obo/doid/releases/2026-01-01/doid.owl", "v 1"]
    quads = trial_to_quads(grounded, loaded_at=LOADED_AT, ontology_versions=versions)
    expected = ox.serialize(quads, None, ox.RdfFormat.N_QUADS).decode()
    text = trial_to_nquads(grounded, loaded_at=LOADED_AT, ontology_versions=versions)
    assert _numbered_blank_nodes(text) == _numbered_blank_nodes(expected)
    assert len(list(ox.parse(text, ox.RdfFormat.N_QUADS))) == text.count("\n")
