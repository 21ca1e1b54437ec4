"""The checks made before every action, in the spec's order, as a view deriver.

Views opt in with ``action_checks=<the action's row of the table>``:
1. no response type in the session (actions that need a session): 101, HTTP 400;
2. not authenticated (actions that need a login): 101, HTTP 401;
3. a body over ``impots.max_body_bytes``: the action's failure status, HTTP 413, before
   anything parses it; a form in another charset than UTF-8 (415) or a query string that
   is not UTF-8 (400), before anything decodes them;
4. CSRF (``impots.csrf``), on unsafe requests: 121, HTTP 403, when
   - its ``Origin`` header (or, without one, its ``Referer``) names another site than the
     request's own scheme, host and port (``Origin: null`` too), unless that site is in
     ``pyramid.csrf_trusted_origins``; or ``Sec-Fetch-Site`` says ``cross-site``. Over
     HTTP as over HTTPS (Pyramid's ``check_csrf_origin`` only looks at HTTPS). Requests
     with neither header (API clients) go on to the token;
   - it carries a session (the session cookie, or a session that is not new) and not the
     session's token (form field ``csrf_token`` or header ``X-CSRF-Token``), whatever
     else it carries: HTTP Basic credentials exempt only requests without a session (a
     browser sends a stolen cookie along with any credentials it is made to send).
Then the session's activity is noted (at most once a minute) for impots-purge.

A method that the action does not take (GET on the state-changing ones while CSRF
protection is on) never gets here: no view of the action is registered for it, and the
failure policy answers 405 before any check.
"""
from urllib.parse import urlsplit

from pyramid.csrf import check_csrf_token
from pyramid.settings import aslist

from ..services import simulations
from ..services.session_keys import RESPONSE_TYPE
from ..web.bodies import BodyError, read_body
from ..web.echo import shorten
from ..web.encoding import EncodingError, check_encoding
from ..web.sessions import COOKIE_NAME
from .envelope import ActionFailure, fail
from .table import CSRF_FAILED, NO_SESSION

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_ORIGIN_QUOTED = 100


def _origin(url: str):
    """(scheme, host, port) of a URL or an origin, or None if it names none (``null``)."""
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or DEFAULT_PORTS[scheme]


def _trusted(origin, request) -> bool:
    """``origin`` is in ``pyramid.csrf_trusted_origins``: a host[:port] (any scheme,
    the scheme's default port if none) or a whole origin (https://host[:port])."""
    scheme, host, port = origin
    for entry in aslist(request.registry.settings.get("pyramid.csrf_trusted_origins") or ""):
        if "://" in entry:
            if _origin(entry) == origin:
                return True
        elif _origin(f"{scheme}://{entry}") == origin:
            return True
    return False


def foreign_origin(request):
    """What names another site than the request's own (a sentence), or None."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        return "the browser says the request comes from another site (Sec-Fetch-Site: cross-site)"
    for name in ("Origin", "Referer"):
        value = request.headers.get(name)
        if value is None:
            continue
        origin = _origin(value)
        if origin is not None and (origin == _origin(request.host_url) or _trusted(origin, request)):
            return None
        quoted = shorten(value, MAX_ORIGIN_QUOTED)
        return f"the request comes from another site ({name}: {quoted})"
    return None


def carries_session(request) -> bool:
    return COOKIE_NAME in request.cookies or not request.session.new


def check_csrf(request) -> None:
    """Step 4 (the module's docstring): 121, HTTP 403, or nothing."""
    foreign = foreign_origin(request)
    if foreign is not None:
        raise ActionFailure(CSRF_FAILED, [
            f"cross-site request refused: {foreign}, not from {request.host_url}"], 403)
    if not carries_session(request) and (request.identity or {}).get("via") == "basic":
        return
    if not check_csrf_token(request, token=CSRF_FIELD, header=CSRF_HEADER, raises=False):
        raise ActionFailure(CSRF_FAILED, [
            f"missing or invalid CSRF token: send the session's token as form field "
            f"{CSRF_FIELD} or header {CSRF_HEADER}"], 403)


def check_body_size(request, limit: int) -> None:
    """413 before parsing: from Content-Length, or while reading a body without one."""
    length = request.content_length
    if (length is None and request.method in SAFE_METHODS) or (length is not None and length <= limit):
        return
    try:
        request.body = read_body(request, limit)  # refuses past the limit, reads no further
    except BodyError:
        raise fail(request, [f"request body too large: at most {limit} bytes accepted"], 413)


def run_checks(request, action) -> None:
    settings = request.registry.settings
    if action.needs_session and RESPONSE_TYPE not in request.session:
        raise ActionFailure(NO_SESSION, [
            "no session: start one with init-session/json, init-session/xml "
            "or init-session/html"], 400)
    if action.needs_login and request.identity is None:
        raise ActionFailure(NO_SESSION, ["not authenticated: log in with authenticate-user"], 401)
    check_body_size(request, settings["impots.max_body_bytes"])
    try:
        check_encoding(request)  # before anything reads the form (the CSRF token)
    except EncodingError as exc:
        raise fail(request, [exc.message], exc.http_status)
    if settings["impots.csrf"] and request.method not in SAFE_METHODS:
        check_csrf(request)
    simulations.note_activity(request.dbsession, request.session)


def action_checks(view, info):
    action = info.options.get("action_checks")
    if action is None:
        return view

    def checked_view(context, request):
        run_checks(request, action)
        return view(context, request)

    return checked_view


action_checks.options = ("action_checks",)


def includeme(config):
    config.add_view_deriver(action_checks)
