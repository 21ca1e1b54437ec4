"""The actions in an html session: the same routes, table rows and checks as the JSON and
XML views, each calling the same service, and answered by a 303 to the page that shows
the outcome (Post/Redirect/Get), so that reloading a page never repeats an action.
Failures raise as they do there and become pages through ``failures``.
"""
from pyramid.httpexceptions import HTTPFound
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from ..actions.envelope import fail
from ..actions.registration import action_view
from ..actions.forms import (
    delete_simulation_or_fail, login_fields, parse_request_calculation, record_or_fail,
)
from ..services import session_keys, simulations, users
from ..tax import InvalidInput
from ..tax.vocabulary import MAX_CHILDREN, MAX_SALARY
from ..web.echo import shortened
from . import HOME_ROUTES, see_other

_ = TranslationStringFactory("impots_pyramid")

FORM_FIELDS = ("married", "children", "salary")
HTML = {"html": None}  # the html views return their 303 themselves: no renderer
MAX_VALUE_QUOTED = 50   # of a wrong value, in the message beside its field
MAX_VALUE_TYPED = 100   # of what was typed, shown again in the form


@view_config(route_name=HOME_ROUTES[0], request_method="GET")
@view_config(route_name=HOME_ROUTES[1], request_method="GET")
def home(request):
    return HTTPFound(request.route_url("init-session", type="html"))


@action_view("init-session", formats=None, match_param="type=html")
def init_session(request):
    # Like the other types, only the response type changes: login and simulations stay.
    request.session[session_keys.RESPONSE_TYPE] = "html"
    if request.identity is not None:
        return see_other(request, "display-tax-calculation-view")
    return see_other(request, "display-authentication-view")


@action_view("authenticate-user", formats=HTML)
def authenticate_user(request):
    users.log_in(request, *login_fields(request))
    return see_other(request, "display-tax-calculation-view")


def field_message(error):
    """The message shown beside a field, in the reader's language, quoting what was typed."""
    if error.value is None or error.value == "":
        return _("Please fill in this field.")
    value = str(error.value)[:MAX_VALUE_QUOTED]
    if error.field == "married":
        return _("[${value}] is not valid: answer yes or no.", mapping={"value": value})
    if error.field == "children":
        return _("[${value}] is not valid: enter a whole number from 0 to ${max}.",
                 mapping={"value": value, "max": MAX_CHILDREN})
    if error.field == "salary":
        return _("[${value}] is not valid: enter a whole number of euros from 0 to ${max}.",
                 mapping={"value": value, "max": f"{MAX_SALARY:,}".replace(",", " ")})
    return shortened(error).message  # a field the form does not show (year, rules)


def form_errors(request, invalid: InvalidInput) -> dict:
    """The form as typed, each message beside its field, for the next display only."""
    translate = request.localizer.translate
    errors, messages = {}, []
    for error in invalid.errors:
        if error.field in FORM_FIELDS:
            errors[error.field] = translate(field_message(error))
        else:
            messages.append(shortened(error).message)
    values = {field: str(request.POST.get(field, ""))[:MAX_VALUE_TYPED]
              for field in (*FORM_FIELDS, "year")}
    return {"typed": values, "errors": errors, "messages": messages}


@action_view("calculate-tax", formats=HTML)
def calculate_tax(request):
    try:
        calculation = parse_request_calculation(request, request.POST)
    except InvalidInput as invalid:
        request.session[session_keys.FORM] = form_errors(request, invalid)
        return see_other(request, "display-tax-calculation-view")
    simulation = record_or_fail(request, simulations.record_calculation, calculation)
    request.session[session_keys.LAST_SIMULATION] = simulation["id"]
    return see_other(request, "display-tax-calculation-view")


@action_view("list-simulations", formats=HTML)
def list_simulations(request):
    return see_other(request, "display-simulations-view")


@action_view("display-tax-calculation", formats=HTML)
def display_tax_calculation(request):
    return see_other(request, "display-tax-calculation-view")


@action_view("delete-simulation", formats=HTML)
def delete_simulation(request):
    delete_simulation_or_fail(request)
    return see_other(request, "display-simulations-view")


@action_view("end-session", formats=HTML)
def end_session(request):
    simulations.end_session(request)
    return see_other(request, "init-session", type="html")


@action_view("get-admindata", formats=HTML)
def get_admindata(request):
    raise fail(request, ["get-admindata is not available in an html session: "
                         "start a json or xml session"], 400)


@action_view("calculate-taxes", formats=HTML)
def calculate_taxes(request):
    raise fail(request, ["calculate-taxes is not available in an html session: "
                         "start a json or xml session, or use the calculation form"], 400)
