"""The actions in an html session: the same routes and checks as the JSON and XML views
(views/actions.py, whose functions do the work), answered by a 303 to the page that shows
the outcome (Post/Redirect/Get), so that reloading a page never repeats an action.
Failures raise as they do there and become pages through html.html_failure.
"""
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from .. import actions
from ...envelope import fail
from ...html import FORM_KEY, LAST_SIMULATION_KEY, see_other
from ...predicates import SESSION_TYPE_KEY
from ...tax import InvalidInput
from ...tax.households import MAX_CHILDREN, MAX_SALARY

_ = TranslationStringFactory("impots_pyramid")

FORM_FIELDS = ("married", "children", "salary")


def html_action(route_name, **options):
    return view_config(route_name=route_name, response_type="html", action_checks=True,
                       **options)


@view_config(route_name="init-session", match_param="type=html", request_method="GET",
             action_checks=True)
def init_session(request):
    # Like the other types, only the response type changes: login and simulations stay.
    request.session[SESSION_TYPE_KEY] = "html"
    if request.identity is not None:
        return see_other(request, "display-tax-calculation-view")
    return see_other(request, "display-authentication-view")


@html_action("authenticate-user", request_method="POST")
def authenticate_user(request):
    actions.authenticate_user(request)
    return see_other(request, "display-tax-calculation-view")


def field_message(error):
    """The message shown beside a field, in the reader's language, quoting what was typed."""
    if error.value is None or error.value == "":
        return _("Please fill in this field.")
    value = str(error.value)[:50]
    if error.field == "married":
        return _("[${value}] is not valid: answer yes or no.", mapping={"value": value})
    if error.field == "children":
        return _("[${value}] is not valid: enter a whole number from 0 to ${max}.",
                 mapping={"value": value, "max": MAX_CHILDREN})
    if error.field == "salary":
        return _("[${value}] is not valid: enter a whole number of euros from 0 to ${max}.",
                 mapping={"value": value, "max": f"{MAX_SALARY:,}".replace(",", " ")})
    return error.message  # a field the form does not show (year, rules)


def form_errors(request, invalid: InvalidInput) -> dict:
    """The form as typed, each message beside its field, for the next display only."""
    translate = request.localizer.translate
    errors, messages = {}, []
    for error in invalid.errors:
        if error.field in FORM_FIELDS:
            errors[error.field] = translate(field_message(error))
        else:
            messages.append(error.message)
    values = {field: str(request.POST.get(field, ""))[:100] for field in FORM_FIELDS}
    return {"typed": values, "errors": errors, "messages": messages}


@html_action("calculate-tax", request_method="POST")
def calculate_tax(request):
    try:
        actions.parse_request_calculation(request, request.POST)
    except InvalidInput as invalid:
        request.session[FORM_KEY] = form_errors(request, invalid)
        return see_other(request, "display-tax-calculation-view")
    simulation = actions.calculate_tax(request)["response"]
    request.session[LAST_SIMULATION_KEY] = simulation["id"]
    return see_other(request, "display-tax-calculation-view")


@html_action("list-simulations", request_method="GET")
def list_simulations(request):
    return see_other(request, "display-simulations-view")


@html_action("display-tax-calculation", request_method="GET")
def display_tax_calculation(request):
    return see_other(request, "display-tax-calculation-view")


@html_action("delete-simulation", request_method=("POST", "GET"), state_changing=True)
def delete_simulation(request):
    actions.delete_simulation(request)
    return see_other(request, "display-simulations-view")


@html_action("end-session", request_method=("POST", "GET"), state_changing=True)
def end_session(request):
    actions.end_session(request)
    return see_other(request, "init-session", type="html")


@html_action("get-admindata", request_method="GET")
def get_admindata(request):
    raise fail(request, ["get-admindata is not available in an html session: "
                         "start a json or xml session"], 400)


@html_action("calculate-taxes", request_method="POST")
def calculate_taxes(request):
    raise fail(request, ["calculate-taxes is not available in an html session: "
                         "start a json or xml session, or use the calculation form"], 400)
