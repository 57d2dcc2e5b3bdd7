"""Search: the DOID and CL terms whose label or a synonym contains the words asked for, for
the type-ahead and for the results page (with each term's trials, from its listing)."""

from __future__ import annotations

from kg.ontology.terms import normalise_text
from kg.server.views.terms import TermListings

__all__ = ["TermSearch"]


class TermSearch:
    """Finds terms by name in the index of a term listing, and counts their trials by it."""

    def __init__(self, listings: TermListings) -> None:
        self.listings = listings
        self.index = listings.index

    def suggest(self, q: str, limit: int = 10) -> list[dict[str, str]]:
        """Type-ahead: terms whose label or a synonym contains ``q``."""
        return [
            {"curie": c, "label": self.index.label(c) or c, "matched": name, "page": f"/term/{c}"}
            for _, c, name in self._matches(q)[:limit]
        ]

    def search(self, q: str, limit: int = 25, shown: int = 5) -> list[dict[str, object]]:
        """Matching terms, most trials first, each with how many trials link to it or to
        anything below it and the first ``shown`` of them (its term page lists them all)."""
        results: list[dict[str, object]] = []
        for _, curie, name in self._matches(q)[:limit]:
            total = self.listings.count_trials_under(curie)
            results.append(
                {
                    "curie": curie,
                    "label": self.index.label(curie) or curie,
                    "matched": name,
                    "page": f"/term/{curie}",
                    "total": total,
                    "trials": self.listings.trials_under(curie, limit=shown, total=total),
                }
            )
        results.sort(key=lambda r: -int(r["total"]))  # type: ignore[call-overload]
        return results

    def _matches(self, q: str) -> list[tuple[int, str, str]]:
        """DOID and CL terms whose label or a synonym contains ``q``: (rank, CURIE, name),
        labels before synonyms and names starting with ``q`` first."""
        want = normalise_text(q)
        hits: list[tuple[int, str, str]] = []
        for term in self.index.iter_terms():
            if term.obsolete or not term.curie.startswith(("DOID:", "CL:")):
                continue
            names = [(0, term.label)] + [(1, s.text) for s in term.synonyms]
            for rank, name in names:
                if name and want in normalise_text(name):
                    starts = normalise_text(name).startswith(want)
                    hits.append((rank * 2 + (0 if starts else 1), term.curie, name))
                    break
        return sorted(hits, key=lambda h: (h[0], len(h[2]), h[1]))
