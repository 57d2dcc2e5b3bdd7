"""RDF: the vocabulary namespaces and the Trial -> quads mapping."""
