"""Term listings: the trials linked to an ontology term or any term below it, a page at a time,
by identifier."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

import pyoxigraph as ox

from kg.ids import to_curie
from kg.ontology.terms import TermIndex
from kg.rdf.vocab import OBO, PREFIXES
from kg.server.cache import TermCache
from kg.store import QuadStore
from kg.store.sparql_text import bind_values

__all__ = ["TERM_PAGE_SIZE", "TermListings"]

# Trials linked to a term or anything below it. The link is one path with two branches, so
# the planner walks it backwards from the classes found below the term; the same link written
# as a UNION made Oxigraph (0.5) read every trial's links first: 7 s for one small term at
# 100,000 trials instead of 5 ms.
_LINKED_UNDER = """
  ?linked rdfs:subClassOf* ?term .
  ?trial trialkg:condition|(trialkg:intervention/trialkg:cellType) ?linked .
"""
_TRIALS_UNDER_COUNT = f"SELECT (COUNT(DISTINCT ?trial) AS ?trials) WHERE {{ {_LINKED_UNDER} }}"
# The trials by identifier. Oxigraph looks a trial's identifier up once per trial (about
# 6 us each); above a few thousand trials reading every identifier once and joining on them
# (the subquery) is cheaper: 155 ms instead of 810 ms for a page of a term with 61,000 trials
# in a 100,000-trial benchmark store.
_IDENTIFIER_LOOKUP = "?trial dcterms:identifier ?id ."
_IDENTIFIER_JOIN = "{ SELECT ?trial ?id WHERE { ?trial dcterms:identifier ?id } }"
_LOOKUP_UP_TO = 5_000
# Their identifiers (an identifier is the trial's key; short, so Oxigraph keeps it inline and
# reading it is cheap, unlike an IRI).
_IDS_UNDER = "SELECT DISTINCT ?id WHERE {{ {linked} {identifier} }}"
# The trials of one page, with their titles.
_ABOUT = """
SELECT ?trial ?id ?title WHERE {{
  VALUES ?id {{ {ids} }}
  ?trial dcterms:identifier ?id ; a obo:OBI_0003699 .
  OPTIONAL {{ ?trial dcterms:title ?title }}
}}
"""
# What the trials of a page link to; the server keeps the links below the term (by its index:
# asking the store to walk the hierarchy again would walk down from the term once more).
_LINKS_OF = """
SELECT ?trial ?linked WHERE {{
  VALUES ?trial {{ {trials} }}
  ?trial trialkg:condition|(trialkg:intervention/trialkg:cellType) ?linked .
}}
"""
#: Trials a term page lists at a time.
TERM_PAGE_SIZE = 100


class TermListings:
    """Reads the trials at or below a term from one store and its term index.

    With ``remember`` (for a store only this process can change), a term's trial count, and
    for a term with many trials its trials in page order, are read once and kept in
    :attr:`cache`; ``cache.forget()`` drops them after a write.
    """

    def __init__(
        self, store: QuadStore, index: TermIndex, base: str, *, remember: bool = False
    ) -> None:
        self.store = store
        self.index = index
        self.base = base
        self.cache = TermCache(remember=remember)

    def count_trials_under(self, curie: str) -> int:
        """How many trials link to a term or any term below it."""
        return self.cache.count(curie, partial(self._read_count, curie))

    def trials_under(
        self,
        curie: str,
        *,
        offset: int = 0,
        limit: int = TERM_PAGE_SIZE,
        total: int | None = None,
    ) -> list[dict[str, str]]:
        """One page of the trials linked to a term or any term below it, by identifier.

        Each trial comes with the term below ``curie`` that links it (``via``; the first by
        CURIE when several do). ``total`` (from :meth:`count_trials_under`) picks the plan.
        """
        if total is None:
            total = self.count_trials_under(curie)
        if offset >= total or limit <= 0:
            return []
        ids = self._ids_under(curie, offset=offset, limit=limit, total=total)
        if not ids:
            return []
        text = _ABOUT.format(ids=" ".join(str(ox.Literal(i)) for i in ids))  # N-Triples
        rows = self.store.query(text, prefixes=PREFIXES)
        assert isinstance(rows, ox.QuerySolutions)
        found: dict[ox.NamedNode, dict[str, str]] = {}
        for row in rows:
            title = row["title"].value if row["title"] else ""
            entry = found.setdefault(
                row["trial"],
                {
                    "key": row["trial"].value.removeprefix(f"{self.base}trial/"),
                    "id": row["id"].value,
                    "title": title,
                },
            )
            entry["title"] = min(filter(None, (entry["title"], title)), default="")
        for trial, via in self._links_under(list(found), curie).items():
            found[trial]["via"] = via
        return sorted(found.values(), key=lambda e: (e["id"], e["key"]))

    def listing(self, curie: str, page: int = 1) -> dict[str, Any] | None:
        """Page ``page`` (from 1) of the trials at or below a term: the trials, ``total``,
        ``page``, ``pages``, ``first`` (the rank of the page's first trial) and the ``prev``
        and ``next`` page paths; None past the last page (a term without trials has one)."""
        size = TERM_PAGE_SIZE
        total = self.count_trials_under(curie)
        pages = max(1, -(-total // size))
        if not 1 <= page <= pages:
            return None
        trials = self.trials_under(curie, offset=(page - 1) * size, limit=size, total=total)
        return {
            "total": total,
            "page": page,
            "pages": pages,
            "first": (page - 1) * size + 1 if trials else 0,
            "prev": f"/term/{curie}?page={page - 1}" if page > 1 else None,
            "next": f"/term/{curie}?page={page + 1}" if page < pages else None,
            "trials": trials,
        }

    def _read_count(self, curie: str) -> int:
        """How many trials link to a term or any term below it, as the store counts them."""
        # Bound in a VALUES block, so the walk starts from the term (see kg.queries).
        text = bind_values(_TRIALS_UNDER_COUNT, {"term": OBO.term(curie)})
        rows = self.store.query(text, prefixes=PREFIXES)
        assert isinstance(rows, ox.QuerySolutions)
        return sum(int(row["trials"].value) for row in rows)

    def _ids_under(self, curie: str, *, offset: int, limit: int, total: int) -> list[str]:
        """``limit`` identifiers of the trials at or below a term, from ``offset`` on, in order."""
        # Keep a ranking only when it saves much and fits: reading it whole costs about what
        # one page costs without it.
        keep = total > _LOOKUP_UP_TO and self.cache.fits(total)
        ranked = self.cache.ranking(curie, partial(self._rank, curie, total) if keep else None)
        if ranked is not None:
            return ranked[offset : offset + limit]
        return self._read_ids(
            curie, total, f" ORDER BY ?id LIMIT {int(limit)} OFFSET {int(offset)}"
        )

    def _rank(self, curie: str, total: int) -> list[str]:
        """Every identifier of the trials at or below a term, in order."""
        # Sorted here: by code point, as ORDER BY sorts plain literals, but faster.
        return sorted(self._read_ids(curie, total))

    def _read_ids(self, curie: str, total: int, page: str = "") -> list[str]:
        """The identifiers of the trials at or below a term (of ``total``), as the store reads
        them: ``page`` (solution modifiers) picks which, in which order."""
        identifier = _IDENTIFIER_LOOKUP if total <= _LOOKUP_UP_TO else _IDENTIFIER_JOIN
        text = _IDS_UNDER.format(linked=_LINKED_UNDER, identifier=identifier) + page
        # Bound in a VALUES block, so the walk starts from the term.
        rows = self.store.query(bind_values(text, {"term": OBO.term(curie)}), prefixes=PREFIXES)
        assert isinstance(rows, ox.QuerySolutions)
        return [row["id"].value for row in rows]

    def _links_under(self, trials: list[ox.NamedNode], curie: str) -> dict[ox.NamedNode, str]:
        """For each trial, the first (by CURIE) of its linked terms at or below ``curie``."""
        if not trials:
            return {}
        text = _LINKS_OF.format(trials=" ".join(str(trial) for trial in trials))  # N-Triples
        rows = self.store.query(text, prefixes=PREFIXES)
        assert isinstance(rows, ox.QuerySolutions)
        links: dict[ox.NamedNode, set[str]] = defaultdict(set)
        for row in rows:
            links[row["trial"]].add(to_curie(row["linked"].value) or row["linked"].value)
        under = {
            c
            for found in links.values()
            for c in found
            if c == curie or (c in self.index and curie in self.index.ancestors(c))
        }
        return {trial: min((links[trial] & under) or links[trial], default="") for trial in trials}
