"""What an action reads from its request, shared by its JSON, XML and html views: each
refusal is the action's own failure (its status + 1), whatever the format."""
from ..services import simulations
from ..tax import parse_calculation
from .envelope import fail


def login_fields(request) -> tuple:
    """The form's user and password, or the action's 400 naming each missing one."""
    login, password = request.POST.get("user"), request.POST.get("password")
    missing = [f"missing field [{name}]" for name, value
               in (("user", login), ("password", password)) if not value]
    if missing:
        raise fail(request, missing, 400)
    return login, password


def parse_request_calculation(request, raw):
    settings = request.registry.settings
    return parse_calculation(raw, request.tax_years, settings["impots.default_year"],
                             settings["impots.rules"])


def delete_simulation_or_fail(request) -> None:
    raw_id = request.matchdict["id"]
    if not simulations.delete_from_session(request.dbsession, request.session, raw_id):
        raise fail(request, [f"no simulation [{raw_id[:20]}] in this session"], 404)
