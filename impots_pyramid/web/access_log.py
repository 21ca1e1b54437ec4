"""One log line per request, as the course logged every request and its result: method,
path (never the query string, which may hold a salary), status, duration, user.

Logged at INFO by ``impots_pyramid.access``: development.ini shows it on the console,
production.ini writes it to its log file. The user is the one the request already
identified (the session's, or Basic credentials already checked): logging never checks
credentials itself.
"""
import logging
import time

from pyramid.tweens import INGRESS

from ..services.session_keys import USER

log = logging.getLogger("impots_pyramid.access")


def known_user(request) -> str:
    basic = request.__dict__.get("basic_identity")  # reified once checked
    if basic:
        return basic["login"]
    session = request.__dict__.get("session")  # only a session this request opened
    try:
        return (session.get(USER) if session is not None else None) or "-"
    except Exception:  # a session whose store failed: its answer says so already
        return "-"


def access_log_tween_factory(handler, registry):
    def access_log_tween(request):
        start = time.perf_counter()
        status = 500  # what the WSGI server answers when an exception escapes
        try:
            response = handler(request)
            status = response.status_int
            return response
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info("%s %s %d %.1f ms %s", request.method, request.path, status,
                         (time.perf_counter() - start) * 1000, known_user(request))

    return access_log_tween


def includeme(config):
    config.add_tween("impots_pyramid.web.access_log.access_log_tween_factory", under=INGRESS)
