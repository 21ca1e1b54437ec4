"""The failure policy of the whole application, written once.

Which errors are worth a second try, which mean that a service is down, which methods a
URL takes, and what a failure tells the client are decided here, for the action API, the
browser pages and the resource API alike. An interface only says how a failure looks in
its own format: it calls ``add_failure_views(config, render, route_names)``, and
``render(request, failure)`` draws the envelope, the page or the problem document.

- a deadlock, a serialization failure, a lock timeout or a pooled connection that the
  database dropped: the request runs again in a new transaction (pyramid_retry), unseen
  by the client; after the last attempt it is answered as below;
- the session store or the database unreachable: 503 with Retry-After, naming which;
  nothing is cached, so the service recovers by itself when it comes back;
- a method that no view of the URL takes: 405 with Allow, the methods its views do take,
  read from their registrations (nothing to keep in step by hand);
- a login refused (any credential path): 401, or 429 with Retry-After;
- Pyramid's own HTTP errors: their status; its redirects pass;
- anything else: 500, logged with its traceback; the client learns what failed, not how.
"""
import dataclasses
import inspect
import logging
import traceback

import redis
from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException
from pyramid.tweens import INGRESS
from pyramid_retry import is_last_attempt, mark_error_retryable
from sqlalchemy.exc import DBAPIError, OperationalError

from ..models.committed import CommitInDoubt
from ..services.users import LoginRefused

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
SESSION_STORE_ERRORS = (redis.ConnectionError, redis.TimeoutError)
# Headers of Pyramid's HTTP errors that the answer keeps, whatever its format.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# What every failure view is registered for (the interfaces add their own errors).
POLICY_CONTEXTS = (PredicateMismatch, HTTPException, LoginRefused, *SESSION_STORE_ERRORS,
                   DBAPIError, Exception)


@dataclasses.dataclass(frozen=True)
class Failure:
    """What the client is told: an HTTP status, a sentence, headers."""

    status: int
    message: str
    headers: dict = dataclasses.field(default_factory=dict)


def unavailable(what: str) -> Failure:
    return Failure(503, f"the {what} is unavailable: try again in a few seconds",
                   {"Retry-After": str(RETRY_AFTER_SECONDS)})


# -- retries --------------------------------------------------------------------------------

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
    by then, removing tm.active) or during a statement committed on its own
    (models.committed): it may have been applied; no second try."""
    return exc.connection_invalidated and (
        "tm.active" not in request.environ or isinstance(exc, CommitInDoubt))


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


# -- 405: the methods a URL's views take -----------------------------------------------------

def _methods(request_methods) -> tuple:
    if isinstance(request_methods, str):
        request_methods = (request_methods,)
    methods = set(request_methods)
    if "GET" in methods:
        methods.add("HEAD")  # Pyramid answers HEAD with a GET view
    return tuple(method for method in METHOD_ORDER if method in methods)


def _view_methods(registry) -> list:
    """(route name, context class, view name, methods or None for any) of every view."""
    table = registry.get("view_methods")
    if table is None:
        table = []
        for entry in registry.introspector.get_category("views"):
            view = entry["introspectable"]
            context = view["context"]
            if view["exception_only"] or (inspect.isclass(context)
                                          and issubclass(context, BaseException)):
                continue
            methods = view["request_methods"]
            table.append((view["route_name"], context, view["name"],
                          None if methods is None else _methods(methods)))
        registry["view_methods"] = table
    return table


def allowed_methods(request) -> tuple:
    """The methods that some view of the request's URL (route, context, view name) takes."""
    route = getattr(request, "matched_route", None)
    route_name = route.name if route is not None else None
    context = getattr(request, "context", None)
    allowed = set()
    for view_route, view_context, name, methods in _view_methods(request.registry):
        if view_route != route_name or name != (request.view_name or ""):
            continue
        if view_context is not None and not (
                isinstance(context, view_context) if inspect.isclass(view_context)
                else view_context.providedBy(context)):
            continue
        allowed.update(METHOD_ORDER if methods is None else methods)
    return tuple(method for method in METHOD_ORDER if method in allowed)


def method_failure(request) -> Failure:
    allowed = allowed_methods(request)
    if not allowed or request.method in allowed:
        # Another predicate failed (a type, a parameter): there is nothing here.
        return Failure(404, "no such resource")
    listed = ", ".join(allowed)
    return Failure(405, f"method {request.method} is not allowed here: use {listed}",
                   {"Allow": listed})


# -- the policy ------------------------------------------------------------------------------

def is_unavailable(exc) -> bool:
    """A database error that says the server is out of reach (not a bad statement)."""
    return isinstance(exc, OperationalError) or exc.connection_invalidated


def failure_of(exc, request):
    """The Failure that ``exc`` means, or None for an HTTP answer that is no error."""
    if isinstance(exc, PredicateMismatch):
        return method_failure(request)
    if isinstance(exc, LoginRefused):
        return Failure(exc.http_status, exc.message, exc.headers)
    if isinstance(exc, HTTPException):
        if exc.code < 400:
            return None
        headers = {name: exc.headers[name] for name in KEPT_HEADERS if name in exc.headers}
        return Failure(exc.code, exc.detail or exc.explanation, headers)
    if isinstance(exc, SESSION_STORE_ERRORS):
        log.error("session store unavailable: %s", exc)
        return unavailable("session store")
    if isinstance(exc, DBAPIError) and is_unavailable(exc):
        log.error("database unavailable: %s", exc)
        return unavailable("database")
    log.exception("unexpected error in %s %s", request.method, request.path)
    return Failure(500, "internal error: the request could not be completed "
                        f"({type(exc).__name__})")


def add_failure_views(config, render, route_names, **predicates):
    """The policy's exception views on ``route_names``, answered by ``render(request,
    failure)``; ``predicates`` narrow them (e.g. the session's response type)."""
    def failure_view(exc, request):
        failure = failure_of(exc, request)
        return exc if failure is None else render(request, failure)

    for route_name in route_names:
        for context in POLICY_CONTEXTS:
            config.add_exception_view(failure_view, context=context, route_name=route_name,
                                      retry_first=True, **predicates)


# -- what a failure leaves behind ----------------------------------------------------------

def _tracebacks(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc.__traceback__
        exc = exc.__cause__ or exc.__context__


def release_failure_tween_factory(handler, registry):
    """Pyramid keeps a handled exception on the request (``request.exception``,
    ``exc_info``), and its traceback's frames hold the request, its body and what was
    parsed of it: a reference cycle that only the garbage collector's rare full pass
    frees, so refused 8 MB bodies piled up request after request. Once the answer is
    made, the frames' locals are cleared (the exception itself stays, for pyramid_retry)."""
    def release_failure_tween(request):
        try:
            return handler(request)
        finally:
            exc = request.__dict__.get("exception")
            if exc is not None:
                for tb in _tracebacks(exc):
                    traceback.clear_frames(tb)

    return release_failure_tween


def includeme(config):
    config.add_tween("impots_pyramid.web.failures.release_failure_tween_factory",
                     under=INGRESS)
    config.add_view_predicate("retry_first", RetryFirstPredicate)
    config.add_directive("add_failure_views", add_failure_views)
