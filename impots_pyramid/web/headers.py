"""Security headers on every answer (a NewResponse subscriber: it runs after the session's
response callbacks, so it sees their Set-Cookie), and the Host check (a tween over all
the others).

- ``impots.allowed_hosts`` (settings): a request whose Host is not in the list is
  answered 400, plain text naming the host, before anything else runs (no session, no
  database, no view); an empty list lets any host through.
- Every answer: ``X-Content-Type-Options: nosniff``; ``X-Frame-Options: DENY`` and CSP
  ``frame-ancestors 'none'`` (no framing, no clickjacking); ``Referrer-Policy:
  same-origin`` (other sites never see the application's URLs, whose query strings may
  hold a salary, while the application's own forms keep a Referer for the CSRF check
  of browsers that send no Origin).
- HTML answers: a Content-Security-Policy that lets through only the application's own
  style sheet and images and forms posted to itself (the templates hold no inline style
  or script); other answers: ``default-src 'none'`` (a JSON, XML or SVG answer opened
  in a browser runs nothing).
- ``Cache-Control: no-store`` on every answer that depends on a session or credentials:
  requests with the session cookie or an Authorization header, answers that set a
  cookie. Static files keep their own cache headers.
"""
from pyramid.events import NewResponse
from pyramid.response import Response
from pyramid.tweens import INGRESS

from .echo import shorten
from .sessions import COOKIE_NAME

HTML_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
               "base-uri 'none'; frame-ancestors 'none'")
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
MAX_HOST_QUOTED = 100
STATIC_ROUTE_PREFIX = "__"  # the routes of Pyramid's static views ("__static/")


def host_allowed(host: str, allowed: tuple) -> bool:
    """``host`` (a Host header) matches an entry: an entry with a port needs that port,
    one without takes any."""
    if not allowed:
        return True
    host = host.strip().lower()
    name = host[:host.find("]") + 1] if host.startswith("[") else host.partition(":")[0]
    return host in allowed or name in allowed


def foreign_host(request, host: str) -> Response:
    quoted = shorten(host, MAX_HOST_QUOTED)
    return Response(status=400, content_type="text/plain", charset="utf-8",
                    text=f"unknown host {quoted!r}: this service does not answer for it\n")


def is_static(request) -> bool:
    route = getattr(request, "matched_route", None)
    return route is not None and route.name.startswith(STATIC_ROUTE_PREFIX)


def depends_on_credentials(request, response_names) -> bool:
    """``response_names``: the answer's header names, lower case."""
    return (COOKIE_NAME in request.cookies or "HTTP_AUTHORIZATION" in request.environ
            or "set-cookie" in response_names)


# The headers every answer gets: a list built once, and the lower-case names that the
# answer must not hold twice (the view's own value, if any, is replaced).
EVERY_ANSWER_LIST = list(EVERY_ANSWER.items())
REPLACED = frozenset(name.lower() for name in (*EVERY_ANSWER, "Content-Security-Policy"))
NO_STORE = frozenset(("cache-control", "expires"))


def secure(event) -> None:
    # The answer's header list is edited in place, in one pass: WebOb's ``headers[name] =``
    # scans the list and lowers every name for each header set (7 scans per answer).
    request, response = event.request, event.response
    headerlist = response.headerlist
    names = {name.lower() for name, _ in headerlist}
    no_store = depends_on_credentials(request, names) and not is_static(request)
    replaced = REPLACED | NO_STORE if no_store else REPLACED
    if not names.isdisjoint(replaced):
        headerlist[:] = [(name, value) for name, value in headerlist
                         if name.lower() not in replaced]
    html = (response.content_type or "").lower() in ("text/html", "application/xhtml+xml")
    headerlist.extend(EVERY_ANSWER_LIST)
    headerlist.append(("Content-Security-Policy", HTML_POLICY if html else OTHER_POLICY))
    if no_store:
        headerlist.append(("Cache-Control", "no-store"))


def headers_tween_factory(handler, registry):
    allowed = registry.settings["impots.allowed_hosts"]

    def headers_tween(request):
        host = request.environ.get("HTTP_HOST") or request.host
        if not host_allowed(host, allowed):
            return foreign_host(request, host)
        return handler(request)

    return headers_tween


def includeme(config):
    config.add_subscriber(secure, NewResponse)
    config.add_tween("impots_pyramid.web.headers.headers_tween_factory", under=INGRESS)
