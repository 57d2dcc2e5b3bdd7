"""The ``trialkg`` command: parse, call one library function, format the result.

Data goes to stdout; messages, summaries and warnings to stderr. Exit codes: 0 success,
1 failure or rejected records, 2 usage error. ``app`` holds the group and the commands on
trials; ``fetch`` downloads studies; ``ontologies`` and ``mappings`` hold those groups.
"""

from kg.cli import fetch as _fetch  # noqa: F401 -- registers `trialkg fetch`
from kg.cli import mappings as _mappings  # noqa: F401 -- registers `trialkg mappings ...`
from kg.cli import ontologies as _ontologies  # noqa: F401 -- registers `trialkg ontologies ...`
from kg.cli.app import main

__all__ = ["main"]
