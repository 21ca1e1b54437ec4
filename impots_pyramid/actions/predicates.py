"""The ``response_type`` view predicate: how the request is answered (json, xml, html)
picks the view, so that one action is registered once per format and Pyramid's view
lookup does the choosing. The browser pages register the html views and the html failure
views with it; the JSON and XML views are in ``views``."""
from ..services.session_keys import RESPONSE_TYPE

RESPONSE_TYPES = ("json", "xml", "html")
# A URL that names one of these answers in it, failures included (init-session/json).
TYPES_SET_BY_URL = ("json", "xml")


def response_type(request) -> str:
    """The type the URL sets (init-session/json, /xml); else the session's; with none
    (a new or expired session, or a session store that does not answer), html for a
    browser that prefers pages to JSON, json for everyone else."""
    requested = (request.matchdict or {}).get("type")
    if requested in TYPES_SET_BY_URL:
        return requested
    try:
        chosen = request.session.get(RESPONSE_TYPE)
    except Exception:  # the session store may be what failed: answered by the failure views
        chosen = None
    if chosen in RESPONSE_TYPES:
        return chosen
    offers = request.accept.acceptable_offers(["application/json", "text/html"])
    return "html" if offers and offers[0][0] == "text/html" else "json"


class ResponseTypePredicate:
    def __init__(self, value, config):
        values = (value,) if isinstance(value, str) else tuple(value)
        unknown = set(values) - set(RESPONSE_TYPES)
        if unknown:
            raise ValueError(f"response_type: unknown type(s) {sorted(unknown)}")
        self.values = values

    def text(self):
        return f"response_type = {self.values}"

    phash = text

    def __call__(self, context, request):
        return request.response_type in self.values


def includeme(config):
    config.add_request_method(response_type, "response_type", reify=True)
    config.add_view_predicate("response_type", ResponseTypePredicate)
