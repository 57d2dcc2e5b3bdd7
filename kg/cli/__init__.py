"""The ``trialkg`` command: parse, call one library function, format the result.

Data goes to stdout; messages, summaries and warnings to stderr. Exit codes: 0 success,
1 failure or rejected records, 2 usage error.

One module per command or group of commands: ``app`` holds the ``main`` group and adds the
others' commands to it; ``options`` what they share (the store options and the opening of
the store, ``--base-iri``, ``--out``, ``-q``, progress on stderr); ``build`` (build, load),
``query`` (query, sparql), ``export``, ``serve``, ``fetch``, ``ontologies`` and ``mappings``.
"""

from kg.cli.app import main

__all__ = ["main"]
