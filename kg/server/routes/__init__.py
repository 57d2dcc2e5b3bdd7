"""The server's routes, a module per group; :mod:`kg.server.app` lists them."""
