"""Loading records into a store: where their bytes come from, the record loop, and a build.

- :mod:`kg.load.inputs`: files, folders, globs, archives and standard input, one record file
  (or slice of JSON Lines) at a time;
- :mod:`kg.load.report`: the report every way of loading returns;
- :mod:`kg.load.build`: a whole build (ontologies, vocabulary, records) and loading into an
  existing store, one transaction per trial;
- :mod:`kg.load.bulk`: the fast path of a fresh build, worker processes feeding the bulk loader.
"""

from kg.load.build import BuildReport, build, load_into, load_records
from kg.load.report import LoadReport

__all__ = ["BuildReport", "LoadReport", "build", "load_into", "load_records"]
