"""The web server: SPARQL 1.1 Protocol, dereferenceable IRIs, HTML pages (extra ``serve``)."""

from kg.server.app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]
