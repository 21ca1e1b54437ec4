"""The resource API under /api: traversal from ``resources.api_root_factory``, content
negotiation (``negotiation``), problem documents (``problems``, ``errors``), the OpenAPI
document (``openapi``), views in ``views``.

It lives directly under the application root, not under ``impots.url_prefix``.
"""
from pyramid.httpexceptions import HTTPMovedPermanently

from .negotiation import API_ROUTE
from .resources import api_root_factory


def to_the_index(request):
    """/api as people type it: the index is /api/ (the traversal route needs the slash)."""
    query = request.query_string  # as sent: it may not even be UTF-8
    return HTTPMovedPermanently(request.route_url(API_ROUTE, traverse=())
                                + (f"?{query}" if query else ""))


def includeme(config):
    config.include("..web.templating")
    config.include(".negotiation")
    config.add_route(API_ROUTE, "/api/*traverse", factory=api_root_factory)
    config.add_route("api-without-slash", "/api")
    config.add_view(to_the_index, route_name="api-without-slash")
    config.include(".openapi")
    config.include(".errors")
    config.scan(".views")
