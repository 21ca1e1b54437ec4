"""Exception views of the action API: every failure ends in the envelope.

- ActionFailure: the action's own status and HTTP code;
- the session store or the database unreachable: 171, HTTP 503 with Retry-After, naming
  which; nothing is cached, so the service recovers by itself when it comes back;
- anything else: 131, HTTP 500, logged with its traceback; the client learns what failed,
  not how.
The answer is in the session's response type when the session can be read, else JSON;
init-session/json and init-session/xml answer in the type they set, failures included.
They are registered for the action routes only; the resource API has its own.
"""
import logging

import redis
from pyramid.renderers import render_to_response
from pyramid_retry import is_last_attempt, mark_error_retryable
from pyramid.response import Response
from sqlalchemy.exc import DBAPIError, OperationalError

from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPMethodNotAllowed

from .envelope import (
    SUCCESS_STATUS, UNAVAILABLE, UNEXPECTED, ActionFailure, action_name, envelope,
    failure_status,
)
from .predicates import SESSION_TYPE_KEY

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
SESSION_STORE_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def _session_type(request):
    try:
        return request.session.get(SESSION_TYPE_KEY)
    except Exception:  # the session store itself may be what failed
        return None


def _type_being_set(request):
    """json or xml for init-session/json and init-session/xml, which answer in it."""
    if action_name(request) == "init-session":
        requested = (request.matchdict or {}).get("type")
        if requested in ("json", "xml"):
            return requested
    return None


def _wants_pages(request) -> bool:
    """An html session; or, with none (e.g. expired), a browser that prefers pages."""
    session_type = _session_type(request)
    if session_type is not None:
        return session_type == "html"
    offers = request.accept.acceptable_offers(["application/json", "text/html"])
    return bool(offers) and offers[0][0] == "text/html"


def render_envelope(request, status, response, http_status, headers=None):
    format_set = _type_being_set(request)
    # An html session's failures are pages, not envelopes: the front end registers how.
    html_failure = request.registry.get("html_failure")
    if html_failure is not None and format_set is None and _wants_pages(request):
        return html_failure(request, status, response, http_status, headers or {})
    renderer = format_set or ("xml" if _session_type(request) == "xml" else "json")
    result = render_to_response(renderer, envelope(request, status, response),
                                request=request, response=Response())
    result.status = http_status
    result.headers.update(headers or {})
    return result


def action_failure(exc, request):
    return render_envelope(request, exc.status, exc.response, exc.http_status, exc.headers)


def session_store_unavailable(exc, request):
    log.error("session store unavailable: %s", exc)
    return render_envelope(request, UNAVAILABLE, [
        "the session store is unavailable: try again in a few seconds"], 503,
        {"Retry-After": str(RETRY_AFTER_SECONDS)})


def database_unavailable(exc, request):
    if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) \
            and not exc.connection_invalidated:
        return unexpected(exc, request)
    log.error("database unavailable: %s", exc)
    return render_envelope(request, UNAVAILABLE, [
        "the database is unavailable: try again in a few seconds"], 503,
        {"Retry-After": str(RETRY_AFTER_SECONDS)})


def is_transient(exc) -> bool:
    """A deadlock, serialization failure or lock timeout, or a pooled connection that the
    database had dropped (SQLAlchemy discards the pool with it): trying again will do."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "pgcode", None) or (exc.orig.args[0] if exc.orig.args else None)
    return code in ("40001", "40P01", 1213, 1205) or "database is locked" in str(exc.orig)


def _maybe_committed(exc, request) -> bool:
    """A connection lost during the commit (pyramid_tm has left the request's transaction
    by then, removing tm.active): the commit may have been applied; no second try."""
    return exc.connection_invalidated and "tm.active" not in request.environ


class RetryFirstPredicate:
    """``retry_first=True``: no exception view for a transient database error before the
    last attempt, so that pyramid_retry runs the request again in a new transaction."""

    def __init__(self, value, config):
        self.value = value

    def text(self):
        return f"retry_first = {self.value}"

    phash = text

    def __call__(self, context, request):
        if self.value and is_transient(context) and not is_last_attempt(request) \
                and not _maybe_committed(context, request):
            mark_error_retryable(context)
            return False
        return True


# The methods each action answers (GET on the state-changing ones only with CSRF off).
ALLOWED_METHODS = {"home": "GET", "prefix-home": "GET", "init-session": "GET",
                   "list-simulations": "GET", "display-tax-calculation": "GET",
                   "get-admindata": "GET"}


def http_exception(exc, request):
    """Pyramid's own HTTP answers pass; a method no view takes is a 405 envelope."""
    if not isinstance(exc, PredicateMismatch):
        return exc
    name = action_name(request)
    allowed = ALLOWED_METHODS.get(name, "POST")
    if name not in SUCCESS_STATUS:  # the root is no action: no envelope
        return HTTPMethodNotAllowed(headers={"Allow": allowed})
    return render_envelope(request, failure_status(request),
                           [f"method {request.method} not allowed for {name}: use {allowed}"],
                           405, {"Allow": allowed})


def unexpected(exc, request):
    log.exception("unexpected error in %s %s", request.method, request.path)
    return render_envelope(request, UNEXPECTED, [
        f"internal error: the action could not be completed ({type(exc).__name__})"], 500)


def includeme(config):
    config.add_view_predicate("retry_first", RetryFirstPredicate)
    for route_name in ["home", "prefix-home", *SUCCESS_STATUS]:
        for exception, view in ((ActionFailure, action_failure),
                                (HTTPException, http_exception),
                                (SESSION_STORE_ERRORS, session_store_unavailable),
                                (DBAPIError, database_unavailable),
                                (Exception, unexpected)):
            for exc_class in (exception if isinstance(exception, tuple) else (exception,)):
                config.add_exception_view(view, context=exc_class, route_name=route_name,
                                          retry_first=True)
