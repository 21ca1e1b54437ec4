"""Content negotiation of the resource API, as configuration rather than code in views.

- Views declare ``accept=`` (JSON, XML, HTML; the curve also CSV); ``add_accept_view_order``
  makes JSON the choice for ``*/*`` and for no ``Accept`` at all (Pyramid would otherwise
  prefer HTML).
- ``?format=json|xml|html|csv`` overrides ``Accept``: it replaces the header before view
  lookup, so the same predicates choose the view (and the error's form).
- Every answer of the API carries ``Vary: Accept``.
"""
from pyramid.events import ContextFound, NewResponse

from .problems import Problem

API_ROUTE = "api"
MEDIA_TYPES = {"json": "application/json", "xml": "application/xml", "html": "text/html",
               "csv": "text/csv"}  # a resource without a CSV view answers it with a 406
FORMAT_PARAMETER = "format"


def on_api_route(request) -> bool:
    route = getattr(request, "matched_route", None)
    return route is not None and route.name == API_ROUTE


def apply_format_override(event):
    request = event.request
    if not on_api_route(request) or FORMAT_PARAMETER not in request.GET:
        return
    requested = request.GET[FORMAT_PARAMETER]
    media_type = MEDIA_TYPES.get(requested.strip().lower())
    if media_type is None:
        # The problem document itself follows Accept, since the override is unusable.
        raise Problem(406, f"no representation named {requested!r}", errors=[{
            "field": FORMAT_PARAMETER, "value": requested,
            "detail": f"one of {', '.join(MEDIA_TYPES)} expected"}])
    request.accept = media_type


def vary_on_accept(event):
    if on_api_route(event.request):
        vary = list(event.response.vary or ())
        if "Accept" not in vary:
            event.response.vary = vary + ["Accept"]


def includeme(config):
    # Earlier calls rank higher: JSON, then XML, then HTML (and the media types of the
    # action API or of others keep Pyramid's defaults after these).
    config.add_accept_view_order(MEDIA_TYPES["json"], weighs_more_than=MEDIA_TYPES["xml"])
    config.add_accept_view_order(MEDIA_TYPES["xml"], weighs_more_than=MEDIA_TYPES["html"])
    config.add_accept_view_order(MEDIA_TYPES["html"], weighs_more_than=MEDIA_TYPES["csv"])
    config.add_accept_view_order(MEDIA_TYPES["csv"])
    config.add_subscriber(apply_format_override, ContextFound)
    config.add_subscriber(vary_on_accept, NewResponse)
