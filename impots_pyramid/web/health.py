"""GET /health: for load balancers. Public, plain JSON, no session, no negotiation."""
import logging

from pyramid.response import Response
from pyramid.view import view_config

from ..models.migrations import schema_lag
from .failures import RETRY_AFTER_SECONDS
from .openapi import JSON

log = logging.getLogger(__name__)


UNAVAILABLE = "unavailable"


def _check(name, probe):
    """"ok", what is wrong for a person to fix, or "unavailable"."""
    try:
        trouble = probe()  # a Redis ping answers True
        return trouble if isinstance(trouble, str) else "ok"
    except Exception as exc:  # any failure means "not answering", whatever the driver says
        log.warning("health: %s does not answer: %s", name, exc)
        return UNAVAILABLE


@view_config(route_name="health", renderer="json", request_method="GET")
def health(request):
    engine = request.registry["dbengine"]

    def probe_database():
        with engine.connect() as connection:  # reads the migration it is at: one query
            lag = schema_lag(connection)
        return None if lag is None else f"{lag}: run initialize_impots_db"

    report = {
        "database": _check("database", probe_database),
        "sessions": _check("session store", request.registry["session_store_ping"]),
    }
    if any(state != "ok" for state in report.values()):
        request.response.status = 503
    if UNAVAILABLE in report.values():  # trying again helps only what may come back
        request.response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    request.response.cache_control = "no-store"
    return report


def health_path(settings, years) -> dict:
    return {"/health": {"get": {
        "summary": "whether the database and the session store answer (for load balancers)",
        "tags": ["resource API"], "security": [],
        "responses": {
            "200": {"description": '{"database": "ok", "sessions": "ok"}',
                    "content": {JSON: {}}},
            "503": {"description": 'what does not answer, e.g. {"database": "unavailable", '
                                   '"sessions": "ok"} (Retry-After), or a database not at '
                                   'the latest migration ("not migrated: run '
                                   'initialize_impots_db")', "content": {JSON: {}}}}}}}


def includeme(config):
    config.add_route("health", "/health")
    config.add_openapi_paths(health_path)
    config.scan(__name__)
    # Asked with another method: the failure policy's 405 (plain JSON, like the report).
    config.add_failure_views(failure_as_json, ["health"])


def failure_as_json(request, failure):
    response = Response(json_body={"error": failure.message}, status=failure.status)
    response.headers.update(failure.headers)
    return response
