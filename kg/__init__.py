"""trialkg: an ontology-linked knowledge graph of clinical trials."""
