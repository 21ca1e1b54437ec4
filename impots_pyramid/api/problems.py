"""RFC 9457 problem details: ``application/problem+json`` or its XML form.

A problem is ``{"type", "title", "status", "detail", "instance"}``, plus ``errors``: one
``{"field", "value", "detail"}`` per offending field (with ``index`` for a batch item).
The XML form is RFC 9457's appendix: ``<problem xmlns="urn:ietf:rfc:7807">``, lists as
repeated elements (here ``<item>``, as everywhere in this application's XML).
"""
from pyramid.httpexceptions import status_map
from pyramid.response import Response

from ..web.echo import shorten
from ..web.renderers import utf8_json
from ..web.xml import to_xml

JSON_TYPE = "application/problem+json"
XML_TYPE = "application/problem+xml"
XML_NAMESPACE = "urn:ietf:rfc:7807"
# Which problem type a client asking for one of these gets.
_OFFERS = ["application/json", JSON_TYPE, "application/xml", XML_TYPE, "text/xml"]


class Problem(Exception):
    """An error of the resource API, raised by its views, rendered by an exception view."""

    def __init__(self, status: int, detail: str, errors=(), headers=None, **extensions):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extensions = extensions

    def as_dict(self, request) -> dict:
        return problem_document(request, self.status, self.detail, self.errors,
                                **self.extensions)


def title_of(status: int) -> str:
    exception = status_map.get(status)
    return exception.title if exception is not None else "Error"


# The problem's ``instance`` (path and query) quotes at most this much of the request.
MAX_INSTANCE_CHARS = 200


def problem_document(request, status: int, detail: str, errors=(), **extensions) -> dict:
    document = {
        "type": "about:blank",  # the status says it all; no page documents it further
        "title": title_of(status),
        "status": status,
        "detail": detail,
        "instance": shorten(request.path_qs, MAX_INSTANCE_CHARS),
    }
    if errors:
        document["errors"] = list(errors)
    document.update(extensions)
    return document


def wants_xml(request) -> bool:
    """Whether the client prefers XML (``Accept``, or ``?format=xml`` applied to it)."""
    offers = request.accept.acceptable_offers(_OFFERS)
    return bool(offers) and "xml" in offers[0][0]


def problem_response(request, document: dict, headers=None) -> Response:
    """The problem as a response in the client's preferred form (JSON unless it wants XML)."""
    if wants_xml(request):
        body = to_xml(document, "problem").replace(
            b"<problem>", f'<problem xmlns="{XML_NAMESPACE}">'.encode(), 1)
        content_type = XML_TYPE
    else:
        body = utf8_json(document).encode("utf-8")
        content_type = JSON_TYPE
    response = Response(body=body, status=document["status"], content_type=content_type,
                        charset="utf-8")
    response.headers.update(headers or {})
    return response
