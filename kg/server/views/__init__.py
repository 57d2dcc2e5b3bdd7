"""What the pages and documents show, read from the store (no HTTP here): a module per kind of
resource, each read by the routes of that kind through the application's
:class:`~kg.server.context.Context`.

- :mod:`~kg.server.views.trial`: a trial's description and page;
- :mod:`~kg.server.views.terms`: the trials at or below an ontology term, a page at a time;
- :mod:`~kg.server.views.search`: the terms matching a search, with their first trials;
- :mod:`~kg.server.views.describe`: the vocabulary, the dataset's VoID and statistics, and the
  endpoint's service description.
"""
