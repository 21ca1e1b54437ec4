"""The checks made before every action, in the spec's order, as a view deriver.

Views opt in with ``action_checks=True``:
1. no response type in the session (except init-session): 101, HTTP 400;
2. not authenticated (except init-session and authenticate-user): 101, HTTP 401;
3. a body over ``impots.max_body_bytes``: the action's failure status, HTTP 413, before
   anything parses it; a form in another charset than UTF-8 (415) or a query string that
   is not UTF-8 (400), before anything decodes them;
4. CSRF (``impots.csrf``): an unsafe request without the session's token (form field
   ``csrf_token`` or header ``X-CSRF-Token``): 121, HTTP 403. HTTP Basic requests need none.
Then the session's activity is noted (at most once a minute) for impots-purge.

Views that change state with ``state_changing=True`` accept GET only when CSRF protection
is off (the course's clients); with it on, GET gets HTTP 405, before any other check, as
a method that no view of the action takes does.
"""
import time

from pyramid.csrf import check_csrf_token

from . import simulations
from .bodies import BodyError, read_body
from .encoding import EncodingError, check_encoding
from .envelope import CSRF_FAILED, NO_SESSION, ActionFailure, action_name, fail
from .predicates import SESSION_TYPE_KEY

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OWNER_KEY = "owner"
TOUCHED_KEY = "seen"
TOUCH_INTERVAL = 60  # seconds


def check_body_size(request, limit: int) -> None:
    """413 before parsing: from Content-Length, or while reading a body without one."""
    length = request.content_length
    if (length is None and request.method in SAFE_METHODS) or (length is not None and length <= limit):
        return
    try:
        request.body = read_body(request, limit)  # refuses past the limit, reads no further
    except BodyError:
        raise fail(request, [f"request body too large: at most {limit} bytes accepted"], 413)


def run_checks(request, state_changing=False) -> None:
    settings = request.registry.settings
    name = action_name(request)
    # The method first, as for the methods no view of the action takes (action_errors).
    if state_changing and settings["impots.csrf"] and request.method in SAFE_METHODS:
        raise fail(request, [f"{name} changes the session: use POST (with the CSRF token)"],
                   405, {"Allow": "POST"})
    if name != "init-session":
        if SESSION_TYPE_KEY not in request.session:
            raise ActionFailure(NO_SESSION, [
                "no session: start one with init-session/json, init-session/xml "
                "or init-session/html"], 400)
        if name != "authenticate-user" and request.identity is None:
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
    note_activity(request)


def note_activity(request) -> None:
    owner = request.session.get(OWNER_KEY)
    if owner is None:
        return
    moment = int(time.time())
    if moment - request.session.get(TOUCHED_KEY, 0) >= TOUCH_INTERVAL:
        simulations.touch(request.dbsession, owner)
        request.session[TOUCHED_KEY] = moment


def action_checks(view, info):
    if not info.options.get("action_checks"):
        return view

    state_changing = bool(info.options.get("state_changing"))

    def checked_view(context, request):
        run_checks(request, state_changing)
        return view(context, request)

    return checked_view


action_checks.options = ("action_checks", "state_changing")


def includeme(config):
    config.add_view_deriver(action_checks)
