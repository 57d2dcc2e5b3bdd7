"""Grounding benchmark: trialkg, Gilda and a plain exact lookup, scored on hand-labelled mentions.

The rows are ``../shared/grounding-gold/`` (real condition mentions and cell-product
interventions from the ClinicalTrials.gov corpus, each labelled with the term it should link
to; its README says how to score). All three systems ground the same rows against the same
releases, in one run:

- **trialkg**: :class:`kg.grounding.grounder.Grounder` grounding each row's mention inside the
  corpus records that hold it, exactly as a build does (the record's own abbreviations, its
  MeSH coding, the intervention's description); a cell-product row is grounded only when the
  reader takes the intervention for cells. Where the records disagree, the answer most of them
  give counts. ``trialkg-text`` grounds the mention's words alone, with no record;
- **gilda**: Gilda's grounder built from the same releases' labels and exact synonyms (offline;
  Gilda's own resources are never loaded), its best match in the mention's ontology;
- **exact**: the one term whose label or exact synonym equals the mention (case and spacing
  aside), else nothing.

Scoring, as the gold set's README says: a grounded mention is correct when its term is a chosen
id or an ``also_acceptable`` one; for a ``none`` row, leaving it ungrounded is correct. A term
that is an ancestor of a chosen id is wrong ("too general"), counted apart. Precision is correct
over grounded, recall correct over the rows that are not ``none``. Speed is mentions per second
over all rows, after one throw-away mention per kind builds each system's lookup tables (a
load builds them once); for ``trialkg`` it includes grounding every other mention of the
records that hold each row.

    python benchmarks/grounding.py
    python benchmarks/grounding.py --json grounding.json --misses

The corpus is ``../shared/corpus/ctgov/`` (``--corpus``); a row no record holds is grounded
from its words alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
for _folder in (PROJECT, PROJECT / "benchmarks"):  # this checkout's kg, and machine.py
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

import machine  # noqa: E402

from kg.grounding.grounder import Grounder  # noqa: E402
from kg.grounding.methods import Method  # noqa: E402
from kg.load.inputs import iter_trials  # noqa: E402
from kg.model import CellProduct, Condition, Grounding, MentionKind, Trial  # noqa: E402
from kg.ontology.terms import TermIndex  # noqa: E402
from kg.readers.ctgov import is_cell_product  # noqa: E402

SHARED = PROJECT.parent / "shared"
GOLD = SHARED / "grounding-gold"
DOID_2024 = SHARED / "ontologies" / "doid" / "doid-2024-01-31.obo.gz"
CL_EDIT = SHARED / "ontologies" / "cl" / "cl-edit-2026-08-19.owl"
CORPUS = SHARED / "corpus" / "ctgov"

KINDS = {"conditions": MentionKind.CONDITION, "cell products": MentionKind.CELL_TYPE}
PREFIX = {MentionKind.CONDITION: "DOID", MentionKind.CELL_TYPE: "CL"}

#: A system: (kind, mention text, intervention type or None) -> the CURIEs it links (none when
#: it leaves the mention ungrounded; several when the mention names several conditions).
System = Callable[[MentionKind, str, str | None], tuple[str, ...]]


class Corpus:
    """The records that hold each mention, by kind and text."""

    def __init__(self, trials: Iterable[Trial] = ()) -> None:
        self.holding: dict[tuple[MentionKind, str], list[Trial]] = {}
        for trial in trials:
            texts = [(MentionKind.CONDITION, c.label) for c in trial.conditions]
            texts += [(MentionKind.CELL_TYPE, p.label) for p in trial.cell_products]
            for key in dict.fromkeys(texts):
                self.holding.setdefault(key, []).append(trial)

    def __len__(self) -> int:
        return len({id(t) for trials in self.holding.values() for t in trials})

    def records(self, kind: MentionKind, mention: str) -> list[Trial]:
        return self.holding.get((kind, mention), [])


@dataclass(frozen=True, slots=True)
class GoldRow:
    """One hand-labelled mention."""

    kind: MentionKind
    mention: str
    #: The intervention type, for cell products (``BIOLOGICAL``, ``Procedure``, ...).
    type: str | None
    relation: str
    chosen: tuple[str, ...]
    also: tuple[str, ...]


def _ids(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


def read_gold(folder: Path = GOLD) -> list[GoldRow]:
    """Every row of the gold files in ``folder`` (conditions, then cell products)."""
    rows: list[GoldRow] = []
    for name, kind, id_column in (
        ("conditions-dev.tsv", MentionKind.CONDITION, "doid_ids"),
        ("cell-products-dev.tsv", MentionKind.CELL_TYPE, "cl_ids"),
    ):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle, delimiter="\t"):
                rows.append(
                    GoldRow(
                        kind=kind,
                        mention=record.get("mention") or record["name"],
                        type=record.get("type"),
                        relation=record["relation"].strip(),
                        chosen=_ids(record[id_column]),
                        also=_ids(record.get("also_acceptable") or ""),
                    )
                )
    return rows


@dataclass
class Score:
    """One system's result on one kind of mention."""

    rows: int = 0
    #: Rows whose relation is not ``none``: the denominator of recall.
    linkable: int = 0
    grounded: int = 0
    correct_grounded: int = 0
    #: ``none`` rows left ungrounded (correct, but no link).
    correct_unlinked: int = 0
    too_general: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct_grounded / self.grounded if self.grounded else 0.0

    @property
    def recall(self) -> float:
        return self.correct_grounded / self.linkable if self.linkable else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def score(rows: Iterable[GoldRow], system: System, index: TermIndex, kind: MentionKind) -> Score:
    """Ground every row of ``kind`` with ``system`` and score it as the gold README says."""
    result = Score()
    picked = [row for row in rows if row.kind == kind]
    # One mention no row has first: the lookup tables a system builds on first use (once per
    # load) are not counted as the cost of a mention.
    system(kind, "warm up: no such mention", None)
    start = time.perf_counter()
    answers = [system(kind, row.mention, row.type) for row in picked]
    result.seconds = time.perf_counter() - start
    for row, answer in zip(picked, answers, strict=True):
        result.rows += 1
        result.linkable += row.relation != "none"
        if not answer:
            if row.relation == "none":
                result.correct_unlinked += 1
            else:
                result.misses.append(f"missed   {row.mention!r} -> {'|'.join(row.chosen)}")
            continue
        result.grounded += 1
        # Right when every term linked is right: a mention naming two conditions may link
        # both ("multi" rows list both), never one that is not there.
        wrong = [curie for curie in answer if curie not in row.chosen and curie not in row.also]
        if not wrong:
            result.correct_grounded += 1
            continue
        general = all(
            any(c in index and curie in index.ancestors(c) for c in row.chosen) for curie in wrong
        )
        result.too_general += general
        reason = "too general" if general else "wrong"
        expected = "|".join(row.chosen) or "none"
        linked = "|".join(answer)
        result.misses.append(f"{reason:<11} {row.mention!r} -> {linked} (gold {expected})")
    return result


# -- the systems ------------------------------------------------------------------------------


def trialkg_system(index: TermIndex, corpus: Corpus) -> System:
    """As a build grounds: each record holding the mention grounded whole by one
    :class:`Grounder`; the answer most records give."""
    grounder = Grounder(index, warn_ungrounded=False)
    alone = _words_alone(grounder)

    def ground(
        kind: MentionKind, mention: str, kind_of_intervention: str | None
    ) -> tuple[str, ...]:
        answers: list[tuple[str, ...]] = []
        for trial in corpus.records(kind, mention):
            grounded = grounder(trial)
            found = grounded.conditions if kind == MentionKind.CONDITION else grounded.cell_products
            answers += [_linked(g) for g in found if g.subject_label == mention][:1]
        if not answers:
            return alone(kind, mention, kind_of_intervention)
        return max(dict.fromkeys(answers), key=answers.count)

    return ground


def trialkg_text_system(index: TermIndex, _corpus: Corpus) -> System:
    """The mention's words alone, with no record."""
    return _words_alone(Grounder(index, warn_ungrounded=False))


def _words_alone(grounder: Grounder) -> System:
    """One :class:`Grounder` for every mention, interventions only when they administer
    cells."""

    def ground(
        kind: MentionKind, mention: str, kind_of_intervention: str | None
    ) -> tuple[str, ...]:
        if kind == MentionKind.CONDITION:
            return _linked(grounder.mention(kind, Condition(mention)))
        if not is_cell_product(kind_of_intervention, mention):
            return ()
        product = CellProduct(mention, intervention_type=kind_of_intervention)
        return _linked(grounder.mention(kind, product))

    return ground


def _linked(grounding: Grounding) -> tuple[str, ...]:
    return tuple(link.object_id for link in grounding.links if link.object_id)


def exact_system(index: TermIndex, _corpus: Corpus) -> System:
    def ground(kind: MentionKind, mention: str, _type: str | None) -> tuple[str, ...]:
        found = {
            curie
            for curie in (*index.by_label(mention), *index.by_synonym(mention))
            if curie.startswith(PREFIX[kind] + ":") and not index[curie].obsolete
        }
        return tuple(found) if len(found) == 1 else ()

    return ground


def gilda_system(index: TermIndex, _corpus: Corpus) -> System:
    """Gilda's grounder over the same releases: labels and exact synonyms of live terms."""
    from gilda.grounder import Grounder
    from gilda.process import normalize
    from gilda.term import Term as GildaTerm

    terms = []
    for term in index.iter_terms():
        if term.obsolete or not term.label:
            continue
        prefix = term.curie.split(":", 1)[0]
        names = [(term.label, "name")]
        names += [(s.text, "synonym") for s in term.synonyms if s.scope == "EXACT"]
        for text, status in names:
            terms.append(
                GildaTerm(normalize(text), text, prefix, term.curie, term.label, status, prefix)
            )
    grounder = Grounder(terms)

    def ground(kind: MentionKind, mention: str, _type: str | None) -> tuple[str, ...]:
        matches = grounder.ground(mention, namespaces=[PREFIX[kind]])
        return (matches[0].term.id,) if matches else ()

    return ground


@dataclass
class ScopeCheck:
    """How often trialkg says a condition names no disease (a population, procedure, symptom,
    ...), on ``none`` rows (right) and on rows with a term (wrong).

    A build's grounded share "of the mentions that may name a disease" leaves those mentions
    out of its denominator; one said of a real disease would flatter that share, so both sides
    are counted.
    """

    none_rows: int = 0
    none_said: int = 0
    term_rows: int = 0
    term_said: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"conditions said to name no disease: {self.none_said} of the {self.none_rows}"
            f" 'none' rows; {len(self.term_said)} of the {self.term_rows} rows with a term"
            + "".join(f"\n  said of {mention!r}" for mention in self.term_said)
        )


def scope_check(rows: Iterable[GoldRow], index: TermIndex) -> ScopeCheck:
    """Ground each condition row's words and count the mentions said to name no disease."""
    grounder = Grounder(index, warn_ungrounded=False)
    check = ScopeCheck()
    for row in rows:
        if row.kind != MentionKind.CONDITION:
            continue
        said = grounder.mention(row.kind, Condition(row.mention)).method == Method.OUT_OF_SCOPE
        if row.relation == "none":
            check.none_rows += 1
            check.none_said += said
        else:
            check.term_rows += 1
            if said:
                check.term_said.append(row.mention)
    return check


SYSTEMS: dict[str, Callable[[TermIndex, Corpus], System]] = {
    "trialkg": trialkg_system,
    "trialkg-text": trialkg_text_system,
    "gilda": gilda_system,
    "exact": exact_system,
}


def _table(results: dict[str, dict[str, Score]]) -> str:
    lines = [
        f"{'kind':<14} {'system':<12} {'rows':>5} {'grounded':>8} {'correct':>7} "
        f"{'too gen.':>8} {'precision':>9} {'recall':>6} {'F1':>5} {'mentions/s':>10}"
    ]
    for kind in KINDS:
        for name, by_kind in results.items():
            s = by_kind[kind]
            lines.append(
                f"{kind:<14} {name:<12} {s.rows:>5} {s.grounded:>8} {s.correct_grounded:>7} "
                f"{s.too_general:>8} {s.precision:>9.3f} {s.recall:>6.3f} {s.f1:>5.3f} "
                f"{s.per_second:>10,.0f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=GOLD, help="folder of the gold TSV files")
    parser.add_argument("--doid", type=Path, default=DOID_2024, help="the DOID release")
    parser.add_argument("--cl", type=Path, default=CL_EDIT, help="the CL release")
    parser.add_argument(
        "--corpus", type=Path, default=CORPUS, help="records that hold the mentions"
    )
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help="comma-separated, of: " + ", ".join(SYSTEMS)
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--misses", action="store_true", help="list every wrong or missed row")
    args = parser.parse_args(argv)

    rows = read_gold(args.gold)
    start = time.perf_counter()
    index = TermIndex.from_files(args.doid, args.cl)
    print(machine.summary(machine.describe()))
    print(
        f"{len(index):,} terms indexed in {time.perf_counter() - start:.1f} s"
        f" ({args.doid.name}, {args.cl.name}); {len(rows)} gold rows"
    )
    start = time.perf_counter()
    corpus = Corpus(iter_trials([args.corpus]) if args.corpus.exists() else ())
    print(f"{len(corpus):,} corpus records read in {time.perf_counter() - start:.1f} s")
    results: dict[str, dict[str, Score]] = {}
    for name in args.systems.split(","):
        system = SYSTEMS[name](index, corpus)
        results[name] = {label: score(rows, system, index, kind) for label, kind in KINDS.items()}
    print(_table(results))
    check = scope_check(rows, index)
    print(check)
    if args.misses:
        for name, by_kind in results.items():
            for label, s in by_kind.items():
                print(f"\n{name}, {label}: {len(s.misses)} not right")
                print("\n".join(f"  {line}" for line in s.misses))
    if args.json:
        figures: dict[str, object] = {
            name: {
                label: {
                    "rows": s.rows,
                    "grounded": s.grounded,
                    "correct": s.correct_grounded,
                    "too_general": s.too_general,
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "mentions_per_second": s.per_second,
                    "misses": s.misses,
                }
                for label, s in by_kind.items()
            }
            for name, by_kind in results.items()
        }
        figures["no_disease"] = {
            "none_rows": check.none_rows,
            "none_said": check.none_said,
            "term_rows": check.term_rows,
            "term_said": check.term_said,
        }
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
