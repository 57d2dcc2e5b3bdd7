"""trialkg: an ontology-linked knowledge graph of clinical trials.

The flow, one module per stage: ``readers`` -> ``model`` -> ``grounding`` -> ``rdf`` ->
``store`` -> ``queries`` / ``export``; ``ontology`` loads DOID and CL and builds the
``TermIndex`` that grounding uses.

>>> from kg import TermIndex, ground, read_trials, trial_to_quads
"""

from kg.errors import (
    OntologyError,
    QueryError,
    RecordError,
    StoreError,
    TrialkgError,
    UnknownTermError,
)
from kg.export import export
from kg.grounding.grounder import Grounder, ground
from kg.load import build, load_records
from kg.model import (
    CellProduct,
    Condition,
    DatedValue,
    DoseArm,
    GroundedTrial,
    Grounding,
    Trial,
)
from kg.ontology.load import OntologyRelease, load_ontology
from kg.ontology.terms import Term, TermIndex
from kg.queries import load_queries, run_named
from kg.rdf.mapping import trial_to_quads
from kg.readers import read_trials
from kg.store import QuadStore, Store, open_store

__all__ = [
    "CellProduct",
    "Condition",
    "DatedValue",
    "DoseArm",
    "GroundedTrial",
    "Grounder",
    "Grounding",
    "OntologyError",
    "OntologyRelease",
    "QuadStore",
    "QueryError",
    "RecordError",
    "Store",
    "StoreError",
    "Term",
    "TermIndex",
    "Trial",
    "TrialkgError",
    "UnknownTermError",
    "build",
    "export",
    "ground",
    "load_ontology",
    "load_queries",
    "load_records",
    "open_store",
    "read_trials",
    "run_named",
    "trial_to_quads",
]
