"""The URLs that only show (the HTML pages, /health) asked with another method: 405 with
``Allow``, rather than Pyramid's 404 naming the view whose predicate failed.

The action API and the resource API answer wrong methods in their own formats
(``action_errors``, ``views/api.py``).
"""
from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPMethodNotAllowed

from .routes import VIEW_ROUTES

READ_METHODS = ("GET", "HEAD")  # a view for GET takes HEAD too
READ_ONLY_ROUTES = (*VIEW_ROUTES, "health")


def method_not_allowed(exc, request):
    if request.method in READ_METHODS:
        return exc  # another predicate failed: Pyramid's 404 stands
    return HTTPMethodNotAllowed(headers={"Allow": ", ".join(READ_METHODS)})


def includeme(config):
    for route_name in READ_ONLY_ROUTES:
        config.add_exception_view(method_not_allowed, context=PredicateMismatch,
                                  route_name=route_name)
