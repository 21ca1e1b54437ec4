"""The ``response_type`` view predicate: the session's response type (json, xml, html)
picks the view, so that one action is registered once per format and Pyramid's view
lookup does the choosing. A session with no type yet counts as json, the format in which
its "no session" error is answered."""

RESPONSE_TYPES = ("json", "xml", "html")
SESSION_TYPE_KEY = "type"


def response_type(request) -> str:
    return request.session.get(SESSION_TYPE_KEY) or "json"


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
