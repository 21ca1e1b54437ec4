"""The resource API under /api: traversal from ``resources.api_root_factory``, content
negotiation (``negotiation``), problem documents (``problems``), views in ``views/api.py``.

It lives directly under the application root, not under ``impots.url_prefix``.
"""
from .resources import api_root_factory


def includeme(config):
    config.include("pyramid_jinja2")
    config.include(".negotiation")
    config.add_route("api", "/api/*traverse", factory=api_root_factory)
