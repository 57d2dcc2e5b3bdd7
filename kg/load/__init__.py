"""Loading records into a store: where their bytes come from, the record loop, and a build.

- :mod:`kg.load.inputs`: files, folders, globs, archives and standard input, one record file
  (or slice of JSON Lines) at a time;
- :mod:`kg.load.loop`: the one record loop, read -> ground -> write -> tally, for both paths;
- :mod:`kg.load.report`: the report every way of loading returns;
- :mod:`kg.load.transactional`: loading into a store others read, one transaction per trial;
- :mod:`kg.load.bulk`: the fast path of a fresh build, worker processes feeding the bulk loader;
- :mod:`kg.load.build`: a whole build, the way the store's kind allows
  (:mod:`kg.store.rebuild`).
"""

from kg.load.build import (
    BuildReport,
    build,
    default_ontologies,
    default_records,
    newest_record_update,
    terms_used_by,
)
from kg.load.bulk import BulkSettings, bulk_build_records
from kg.load.report import LoadReport
from kg.load.transactional import load_into, load_records

__all__ = [
    "BuildReport",
    "BulkSettings",
    "LoadReport",
    "build",
    "bulk_build_records",
    "default_ontologies",
    "default_records",
    "load_into",
    "load_records",
    "newest_record_update",
    "terms_used_by",
]
