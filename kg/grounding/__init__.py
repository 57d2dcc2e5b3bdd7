"""Grounding: link each free-text mention of a trial to an ontology term, say how, and let
curators see and correct it.

- :mod:`kg.grounding.methods`: the grounding methods, each with its confidence, SSSOM
  justification and vocabulary node;
- :mod:`kg.grounding.match`: text normalisation and the term lookups behind each strategy;
- :mod:`kg.grounding.grounder`: the strategies, tried in order, and :class:`Grounder`;
- :mod:`kg.grounding.sssom`: groundings as SSSOM mappings;
- :mod:`kg.grounding.review`: what a curator should look at, with candidate terms;
- :mod:`kg.grounding.overrides`: a curator's decisions, which win;
- :mod:`kg.grounding.upgrades`: what changes when the same records meet a newer release.
"""

from kg.grounding.grounder import Grounder, ground, ground_mention
from kg.grounding.methods import Method

__all__ = ["Grounder", "Method", "ground", "ground_mention"]
