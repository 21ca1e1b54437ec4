"""GET /health: for load balancers. Public, plain JSON, no session, no negotiation."""
import logging

from pyramid.view import view_config
from sqlalchemy import text

log = logging.getLogger(__name__)


def _check(name, probe):
    try:
        probe()
        return "ok"
    except Exception as exc:  # any failure means "not answering", whatever the driver says
        log.warning("health: %s does not answer: %s", name, exc)
        return "unavailable"


@view_config(route_name="health", renderer="json", request_method="GET")
def health(request):
    engine = request.registry["dbengine"]

    def ping_database():
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    report = {
        "database": _check("database", ping_database),
        "sessions": _check("session store", request.registry["session_store_ping"]),
    }
    if any(state != "ok" for state in report.values()):
        request.response.status = 503
        request.response.headers["Retry-After"] = "5"
    request.response.cache_control = "no-store"
    return report
