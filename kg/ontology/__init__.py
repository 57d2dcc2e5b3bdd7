"""Ontology files: loading them into the store, the OBO reader, the term index."""
