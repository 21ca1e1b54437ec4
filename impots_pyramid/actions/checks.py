"""The checks made before every action, in the spec's order, as a view deriver.

Views opt in with ``action_checks=<the action's row of the table>``:
1. no response type in the session (actions that need a session): 101, HTTP 400;
2. not authenticated (actions that need a login): 101, HTTP 401;
3. a body over ``impots.max_body_bytes``: the action's failure status, HTTP 413, before
   anything parses it; a form in another charset than UTF-8 (415) or a query string that
   is not UTF-8 (400), before anything decodes them;
4. CSRF (``impots.csrf``): an unsafe request without the session's token (form field
   ``csrf_token`` or header ``X-CSRF-Token``): 121, HTTP 403. HTTP Basic requests need none.
Then the session's activity is noted (at most once a minute) for impots-purge.

A method that the action does not take (GET on the state-changing ones while CSRF
protection is on) never gets here: no view of the action is registered for it, and the
failure policy answers 405 before any check.
"""
from pyramid.csrf import check_csrf_token

from ..services import simulations
from ..services.session_keys import RESPONSE_TYPE
from ..web.bodies import BodyError, read_body
from ..web.encoding import EncodingError, check_encoding
from .envelope import ActionFailure, fail
from .table import CSRF_FAILED, NO_SESSION

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    unsafe = settings["impots.csrf"] and request.method not in SAFE_METHODS
    if unsafe and (request.identity or {}).get("via") != "basic":
        if not check_csrf_token(request, token=CSRF_FIELD, header=CSRF_HEADER, raises=False):
            raise ActionFailure(CSRF_FAILED, [
                f"missing or invalid CSRF token: send the session's token as form field "
                f"{CSRF_FIELD} or header {CSRF_HEADER}"], 403)
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
