"""What an action reads from its request, shared by its JSON, XML and html views: each
refusal is the action's own failure (its status + 1), whatever the format."""
from ..services import simulations
from ..tax import parse_calculation
from ..web.echo import shorten
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


def record_or_fail(request, record_function, calculations):
    """``simulations.record_calculation(s)`` within ``impots.max_simulations``: a session
    that is full gets the action's failure, HTTP 409 (the request is valid, the session's
    state refuses it; it may succeed once simulations are deleted), nothing written."""
    limit = request.registry.settings["impots.max_simulations"]
    try:
        return record_function(request.dbsession, request.session, calculations,
                               request.tax_years, limit)
    except simulations.TooManySimulations as exc:
        raise fail(request, [exc.message], 409) from None


PAGE_PARAMETERS = ("offset", "limit")
MAX_PAGE_DIGITS = 9


def page_parameters(request) -> dict:
    """list-simulations' optional ``offset`` and ``limit`` (whole numbers, limit at least
    1), or the action's 400 naming each bad one; none: the whole list, as the course's
    clients expect."""
    page, errors = {}, []
    for name in PAGE_PARAMETERS:
        raw = request.GET.get(name)
        if raw is None:
            continue
        low = 1 if name == "limit" else 0
        text = raw.strip()
        if (text.isascii() and text.isdigit() and len(text) <= MAX_PAGE_DIGITS
                and int(text) >= low):
            page[name] = int(text)
        else:
            errors.append(f"invalid value [{shorten(raw)}] for [{name}]: a whole number "
                          f"from {low} expected")
    if errors:
        raise fail(request, errors, 400)
    return page


def delete_simulation_or_fail(request) -> None:
    raw_id = request.matchdict["id"]
    if not simulations.delete_from_session(request.dbsession, request.session, raw_id):
        raise fail(request, [f"no simulation [{raw_id[:20]}] in this session"], 404)
