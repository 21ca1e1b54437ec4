"""Requests that are not UTF-8, refused with a message instead of WebOb's exceptions.

WebOb decodes form fields and query strings as UTF-8 only: another declared charset
raises (a DeprecationWarning, as an exception) and bytes that are not UTF-8 raise
UnicodeDecodeError, and a multipart body that cannot be parsed (no boundary) raises
ValueError: all 500s if nobody looks first. A multipart field sent as a file comes out
as an object, not text. The action checks call ``check_encoding`` before anything reads
the form; answers to requests that may not have passed it read ``readable_form``. A path
that is not UTF-8 fails before any route matches, so its answer is a view of its own,
for every URL.
"""
from urllib.parse import quote

from pyramid.exceptions import URLDecodeError
from pyramid.httpexceptions import HTTPBadRequest
from webob.multidict import MultiDict

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class EncodingError(ValueError):
    def __init__(self, message: str, http_status: int):
        super().__init__(message)
        self.message, self.http_status = message, http_status


def _as_sent(text: str) -> str:
    """A WSGI string (bytes as latin-1) shown percent-encoded, as the client sent it."""
    return quote(text.encode("latin-1"), safe="/=&;,:+")


def check_form_encoding(request) -> None:
    if request.content_type in FORM_TYPES:
        if request.charset != "UTF-8":
            raise EncodingError(f"form data must be UTF-8, not {request.charset}", 415)
        try:
            request.POST
        except ValueError as exc:  # e.g. multipart/form-data without its boundary
            raise EncodingError(f"the form data cannot be read as {request.content_type}: "
                                f"{exc}", 400) from None
        for name, value in request.POST.items():
            if not isinstance(value, str):  # a multipart part with a file name
                raise EncodingError(f"the form field [{name}] is a file ({value.filename}): "
                                    "send its value as text", 400)


def readable_form(request):
    """The form's fields, or none when they cannot be read: for the answer to a request
    that may have failed because of its form (it never reached ``check_encoding``, or
    failed it)."""
    try:
        check_form_encoding(request)
    except EncodingError:
        return MultiDict()
    return request.POST


def check_encoding(request) -> None:
    check_form_encoding(request)
    try:
        request.GET
    except UnicodeDecodeError:
        raise EncodingError("the query string is not UTF-8: "
                            f"{_as_sent(request.environ.get('QUERY_STRING', ''))}", 400) from None


def url_not_utf8(exc, request):
    return HTTPBadRequest(f"the URL's path is not UTF-8: "
                          f"{_as_sent(request.environ.get('PATH_INFO', ''))}")


def includeme(config):
    config.add_exception_view(url_not_utf8, context=URLDecodeError)
