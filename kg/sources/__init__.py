"""The network, opt-in: downloads that run only when a user asks for them.

- :mod:`kg.sources.ctgov`: ClinicalTrials.gov studies from its API v2 (``trialkg fetch``);
- :mod:`kg.sources.ontologies`: an ontology's current release from its PURL
  (``trialkg ontologies fetch``).

The other network code is :mod:`kg.store.remote`, for a store named by URL.
"""
