"""What term pages keep in memory between requests: trial counts and rankings of terms.

A term page of the root of DOID lists every trial, which costs the store a count and a sort of
them all on each request; kept, they cost that once. Only a store that nothing else changes
while the server serves it may keep them (see :func:`kg.server.create_app`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["RANKED_TRIALS_KEPT", "TermCache"]

#: The most trials a :class:`TermCache` keeps ranked, over all terms (about 70 bytes each).
RANKED_TRIALS_KEPT = 1_000_000


class TermCache:
    """Per term, the number of trials at or below it and, for some, their identifiers in order.

    With ``remember`` off, nothing is kept. :meth:`forget` drops everything after a write; what
    a request read before the write is not kept after it.
    """

    def __init__(self, *, remember: bool) -> None:
        self.remember = remember
        self._counts: dict[str, int] = {}
        # Least recently used first; at most RANKED_TRIALS_KEPT trials in all.
        self._ranked: OrderedDict[str, list[str]] = OrderedDict()
        # Counts up at each forget(), so what a request read before a write is not kept after it.
        self._generation = 0
        self._lock = threading.Lock()  # requests run in threads

    def forget(self) -> None:
        """Drop the counts and rankings kept so far (the store has changed)."""
        with self._lock:
            self._generation += 1
            self._counts.clear()
            self._ranked.clear()

    def fits(self, total: int) -> bool:
        """Whether a ranking of ``total`` trials would be kept."""
        return self.remember and total <= RANKED_TRIALS_KEPT

    def count(self, curie: str, read: Callable[[], int]) -> int:
        """The number of trials at or below a term: the kept one, or else ``read()``'s, kept."""
        with self._lock:
            if curie in self._counts:
                return self._counts[curie]
            generation = self._generation
        # Read outside the lock: other requests go on meanwhile.
        count = read()
        with self._lock:
            if self.remember and generation == self._generation:
                self._counts[curie] = count
        return count

    def ranking(self, curie: str, rank: Callable[[], list[str]] | None = None) -> list[str] | None:
        """The identifiers of the trials at or below a term, in page order.

        The kept ranking, or else ``rank()``'s, kept (the least recently used rankings go
        beyond :data:`RANKED_TRIALS_KEPT` trials); None when none is kept and no ``rank``.
        """
        with self._lock:
            ranked = self._ranked.get(curie)
            if ranked is not None:
                self._ranked.move_to_end(curie)
                return ranked
            generation = self._generation
        if rank is None:
            return None
        ranked = rank()
        with self._lock:
            if generation == self._generation:
                self._keep(curie, ranked)
        return ranked

    def _keep(self, curie: str, ranked: list[str]) -> None:
        """Keep a ranking, dropping the least recently used beyond the bound (lock held)."""
        self._ranked[curie] = ranked
        kept = sum(len(ids) for ids in self._ranked.values())
        while kept > RANKED_TRIALS_KEPT:
            kept -= len(self._ranked.popitem(last=False)[1])
