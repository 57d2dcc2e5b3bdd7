"""Grounding: link each free-text mention of a trial to an ontology term, say how, and let
curators see and correct it.

- :mod:`kg.grounding.grounder`: the strategies, tried in order, and :class:`Grounder`;
- :mod:`kg.grounding.sssom`: groundings as SSSOM mappings, curator review and overrides;
- :mod:`kg.grounding.upgrades`: what changes when the same records meet a newer release.
"""

from kg.grounding.grounder import Grounder, ground, ground_mention

__all__ = ["Grounder", "ground", "ground_mention"]
