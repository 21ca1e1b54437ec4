"""The action API (the course's), in JSON and XML.

Each action is registered once per format by ``action_view``: the request's response
type picks the view (the ``response_type`` predicate) and a renderer formats the same
data. The views parse the request with ``tax``, call a service and wrap its answer in the
envelope; the browser's views of the same actions are in ``html.views``.
"""
from ..services import simulations, users
from ..services.session_keys import RESPONSE_TYPE
from ..tax import InvalidInput, parse_year
from ..tax.vocabulary import MAX_CHILDREN, MAX_SALARY
from ..tax.columns import parse_columns
from ..web.bodies import BodyError, read_batch, text_columns
from ..web.echo import shortened_messages
from .envelope import fail, success
from .forms import (
    delete_simulation_or_fail, login_fields, page_parameters, parse_request_calculation,
    record_or_fail,
)
from .predicates import RESPONSE_TYPES
from .registration import action_view


def _csrf_extra(request) -> dict:
    """The token that JSON and XML clients send back, in the envelope (never in URLs)."""
    if not request.registry.settings["impots.csrf"]:
        return {}
    return {"csrf_token": request.session.get_csrf_token()}


# init-session answers in the type it sets, so the format comes from the URL.
@action_view("init-session", formats=None, match_param="type=json", renderer="json")
@action_view("init-session", formats=None, match_param="type=xml", renderer="xml")
def init_session(request):
    response_type = request.matchdict["type"]
    request.session[RESPONSE_TYPE] = response_type
    return success(request, [f"session started with response type {response_type}"],
                   **_csrf_extra(request))


@action_view("init-session", formats=None, renderer="json")
def init_session_bad_type(request):
    response_type = request.matchdict["type"]
    raise fail(request, [f"invalid response type [{response_type[:20]}]: "
                         + ", ".join(RESPONSE_TYPES) + " expected"], 400)


@action_view("authenticate-user")
def authenticate_user(request):
    users.log_in(request, *login_fields(request))
    return success(request, "authentication successful", **_csrf_extra(request))


@action_view("calculate-tax")
def calculate_tax(request):
    try:
        calculation = parse_request_calculation(request, request.POST)
    except InvalidInput as exc:
        raise fail(request, shortened_messages(exc), 400)
    return success(request, record_or_fail(request, simulations.record_calculation, calculation))


@action_view("calculate-taxes")
def calculate_taxes(request):
    """A batch, all or nothing: a JSON list, CSV or XML body of households."""
    try:
        batch = read_batch(request, request.registry.settings["impots.batch_max"])
        parsed = _parsed_columns(request, batch)
        if parsed is not None:  # validated, computed and stored by column
            return success(request, record_or_fail(request, simulations.record_columns, parsed))
        raw_households = batch.households()
    except BodyError as exc:
        raise fail(request, [exc.message], exc.status_code)
    calculations, failed = [], False
    answer = []
    for raw in raw_households:
        try:
            calculations.append(parse_request_calculation(request, raw))
            answer.append(raw)
        except InvalidInput as exc:
            failed = True
            answer.append({**raw, "error": "; ".join(shortened_messages(exc))})
    if failed:  # nothing is recorded; the whole list comes back with each item's error
        raise fail(request, answer, 400)
    return success(request, record_or_fail(request, simulations.record_calculations,
                                           calculations))


def _parsed_columns(request, batch):
    """The batch validated by column (``tax.parse_columns``), when its body allows it and
    no household is bad; else None: the households are read one by one (below), for the
    answer that echoes each with its error."""
    columns = text_columns(batch)
    if columns is None or not all(field in columns for field in ("married", "children", "salary")):
        return None
    settings = request.registry.settings
    parsed = parse_columns(
        *(columns[field] for field in ("married", "children", "salary")),
        *(columns.get(field) for field in ("year", "rules")),
        known_years=request.tax_years, default_year=settings["impots.default_year"],
        default_rules=settings["impots.rules"])
    return None if parsed.bad.any() else parsed


@action_view("list-simulations")
def list_simulations(request):
    """The session's simulations; ``?offset=&limit=`` pages them."""
    return success(request, simulations.session_table(
        request.dbsession, request.session, **page_parameters(request)))


@action_view("delete-simulation")
def delete_simulation(request):
    delete_simulation_or_fail(request)
    return success(request, simulations.session_simulations(request.dbsession, request.session))


@action_view("end-session")
def end_session(request):
    simulations.end_session(request)
    return success(request, "session reset")


@action_view("display-tax-calculation")
def display_tax_calculation(request):
    settings = request.registry.settings
    return success(request, {
        "fields": {"married": "yes or no", "children": f"0 to {MAX_CHILDREN}",
                   "salary": f"0 to {MAX_SALARY} (euros)", "year": "optional"},
        "years": sorted(request.tax_years),
        "default_year": settings["impots.default_year"],
        "rules": settings["impots.rules"],
    })


@action_view("get-admindata")
def get_admindata(request):
    raw_year = request.GET.get("year")
    year = request.registry.settings["impots.default_year"]
    if raw_year:
        try:
            year = parse_year(raw_year, request.tax_years)
        except InvalidInput as exc:
            raise fail(request, shortened_messages(exc), 400)
    return success(request, request.tax_years[year].as_dict())
