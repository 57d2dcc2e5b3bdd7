"""Readers: one module per record format, each turning a file into Trial objects."""
