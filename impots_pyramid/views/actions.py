"""The action API (the course's), in JSON and XML.

Each action is registered once per format by ``action_view``: the session's response
type picks the view (the ``response_type`` predicate) and a renderer formats the same
data; the views only talk to the engine and the database. Until the HTML front end
takes over, an html session gets the JSON answers.
"""
from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPFound
from pyramid.security import forget, remember
from pyramid.view import view_config

from .. import simulations
from ..bodies import BodyError, read_households
from ..checks import OWNER_KEY
from ..envelope import fail, success
from ..predicates import RESPONSE_TYPES, SESSION_TYPE_KEY
from ..security import check_credentials
from ..tax import InvalidInput, calculate, calculate_batch, parse_calculation, parse_year

JSON_FOR = ("json",)  # the response types answered by the JSON views (html: views/html/)


def action_view(route_name, **options):
    """Register the decorated view for json and for xml sessions, with the checks."""
    def decorate(view):
        for renderer, types in (("json", JSON_FOR), ("xml", "xml")):
            view = view_config(route_name=route_name, renderer=renderer, response_type=types,
                               action_checks=True, **options)(view)
        return view
    return decorate


def _csrf_extra(request) -> dict:
    """The token that JSON and XML clients send back, in the envelope (never in URLs)."""
    if not request.registry.settings["impots.csrf"]:
        return {}
    return {"csrf_token": request.session.get_csrf_token()}


@view_config(route_name="home", request_method="GET")
@view_config(route_name="prefix-home", request_method="GET")
def home(request):
    return HTTPFound(request.route_url("init-session", type="html"))


# init-session answers in the type it sets, so the format comes from the URL.
@view_config(route_name="init-session", match_param="type=json", renderer="json",
             request_method="GET", action_checks=True)
@view_config(route_name="init-session", match_param="type=xml", renderer="xml",
             request_method="GET", action_checks=True)
def init_session(request):
    response_type = request.matchdict["type"]
    request.session[SESSION_TYPE_KEY] = response_type
    return success(request, [f"session started with response type {response_type}"],
                   **_csrf_extra(request))


@view_config(route_name="init-session", renderer="json", request_method="GET",
             action_checks=True)
def init_session_bad_type(request):
    response_type = request.matchdict["type"]
    raise fail(request, [f"invalid response type [{response_type}]: "
                         + ", ".join(RESPONSE_TYPES) + " expected"], 400)


@action_view("authenticate-user", request_method="POST")
def authenticate_user(request):
    login, password = request.POST.get("user"), request.POST.get("password")
    missing = [f"missing field [{name}]" for name, value
               in (("user", login), ("password", password)) if not value]
    if missing:
        raise fail(request, missing, 400)
    throttle = request.registry["login_throttle"]
    wait = throttle.retry_after(login)
    if wait is not None:
        raise fail(request, [f"too many failed logins for [{login}]: try again in {wait} s"],
                   429, {"Retry-After": str(wait)})
    if not check_credentials(request.dbsession, login, password):
        throttle.failed(login)
        raise fail(request, [f"authentication failed for user [{login}]"], 401)
    # A new session id on login (no session fixation), keeping type and simulations.
    kept = {key: request.session[key] for key in (SESSION_TYPE_KEY, OWNER_KEY)
            if key in request.session}
    request.session.invalidate()
    request.session.update(kept)
    simulations.ensure_owner(request.dbsession, session_owner(request))
    remember(request, login)
    new_csrf_token(request)
    return success(request, "authentication successful", **_csrf_extra(request))


def _calculation_row(calculation, figures: dict) -> dict:
    """The row stored for one simulation: its inputs, outputs, year and rules."""
    household = calculation.household
    return {"married": household.married, "children": household.children,
            "salary": household.salary, "tax": figures["tax"],
            "surcharge": figures["surcharge"], "discount": figures["discount"],
            "reduction": figures["reduction"], "rate": figures["rate"],
            "year": calculation.year, "rules": calculation.rules}


def session_owner(request) -> str:
    """The key of the session's simulations, made on first need: a session that never
    logged in (an API client sending HTTP Basic credentials) has none yet."""
    owner = request.session.get(OWNER_KEY)
    if owner is None:
        owner = request.session[OWNER_KEY] = simulations.new_owner_key()
    return owner


def parse_request_calculation(request, raw):
    settings = request.registry.settings
    return parse_calculation(raw, request.tax_years, settings["impots.default_year"],
                             settings["impots.rules"])


@action_view("calculate-tax", request_method="POST")
def calculate_tax(request):
    try:
        calculation = parse_request_calculation(request, request.POST)
    except InvalidInput as exc:
        raise fail(request, exc.messages, 400)
    result = calculate(calculation.household, request.tax_years[calculation.year],
                       calculation.rules)
    [simulation] = simulations.record(request.dbsession, session_owner(request),
                                      [_calculation_row(calculation, result.outputs())])
    return success(request, simulation)


@action_view("calculate-taxes", request_method="POST")
def calculate_taxes(request):
    """A batch, all or nothing: a JSON list, CSV or XML body of households."""
    try:
        raw_households = read_households(request, request.registry.settings["impots.batch_max"])
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
            answer.append({**raw, "error": "; ".join(exc.messages)})
    if failed:  # nothing is recorded; the whole list comes back with each item's error
        raise fail(request, answer, 400)
    rows = [_calculation_row(calculation, figures) for calculation, figures
            in zip(calculations, calculate_batch(calculations, request.tax_years))]
    return success(request, simulations.record(request.dbsession, session_owner(request), rows))


@action_view("list-simulations", request_method="GET")
def list_simulations(request):
    return success(request, simulations.list_for(request.dbsession, request.session.get(OWNER_KEY)))


@action_view("delete-simulation", request_method=("POST", "GET"), state_changing=True)
def delete_simulation(request):
    raw_id = request.matchdict["id"]
    owner = request.session.get(OWNER_KEY)
    number = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10 else None
    if number is None or not simulations.delete_one(request.dbsession, owner, number):
        raise fail(request, [f"no simulation [{raw_id}] in this session"], 404)
    return success(request, simulations.list_for(request.dbsession, owner))


@action_view("end-session", request_method=("POST", "GET"), state_changing=True)
def end_session(request):
    simulations.end(request.dbsession, request.session.get(OWNER_KEY))
    forget(request)
    request.session.invalidate()
    return success(request, "session reset")


@action_view("display-tax-calculation", request_method="GET")
def display_tax_calculation(request):
    settings = request.registry.settings
    return success(request, {
        "fields": {"married": "yes or no", "children": "0 to 20",
                   "salary": "0 to 1000000000 (euros)", "year": "optional"},
        "years": sorted(request.tax_years),
        "default_year": settings["impots.default_year"],
        "rules": settings["impots.rules"],
    })


@action_view("get-admindata", request_method="GET")
def get_admindata(request):
    raw_year = request.GET.get("year")
    year = request.registry.settings["impots.default_year"]
    if raw_year:
        try:
            year = parse_year(raw_year, request.tax_years)
        except InvalidInput as exc:
            raise fail(request, exc.messages, 400)
    return success(request, request.tax_years[year].as_dict())
