"""The four pages of the course, each at its own GET URL. They only show: the notices they
read from the session (a failed login, a form's errors) are meant for one display.

A page needs an html session (else: init-session/html) and, except the authentication
and errors pages, a logged-in user (else: the authentication page).
"""
from pyramid.view import view_config

from ..services import explanations, session_keys, simulations
from ..web.renderers import csv_response
from . import SIMULATIONS_CSV, page_values, see_other, template
from .chart import chart, years_chart


def redirect_unless_allowed(request, needs_login=True):
    """The redirect a page answers instead of itself, or None when it may be shown."""
    if request.session.get(session_keys.RESPONSE_TYPE) != "html":
        return see_other(request, "init-session", type="html")
    if needs_login:
        if request.identity is None:
            return see_other(request, "display-authentication-view")
        # Reading pages keeps the session's owner row alive too (at most a write a
        # minute): impots-purge deletes idle rows, and a row gone is a session ended.
        simulations.note_activity(request.dbsession, request.session)
    return None


def guarded(needs_login=True):
    """view_config's ``decorator``: the page, or the redirect that replaces it."""
    def decorate(view):
        def guarded_view(context, request):
            redirect = redirect_unless_allowed(request, needs_login)
            return redirect if redirect is not None else view(context, request)
        return guarded_view
    return decorate


@view_config(route_name="display-authentication-view", request_method="GET",
             renderer=template("authentication"), decorator=guarded(needs_login=False))
def authentication_page(request):
    notice = request.session.pop(session_keys.LOGIN_NOTICE, None) or {}
    return page_values(request, messages=notice.get("messages", []),
                       user=notice.get("user", ""), logged_in=False)


def _last_simulation(request):
    """The session's last simulation (with its rules), or None."""
    return explanations.session_simulation(
        request.dbsession, request.session, request.session.get(session_keys.LAST_SIMULATION))


def _explained(request, result) -> dict:
    """What the page shows under a result: its steps, the other years, the chart."""
    tax_years = request.tax_years
    points = explanations.chart_curve(result, tax_years)
    years = explanations.across_years(result, tax_years)
    return {"explanation": explanations.explanation(result, tax_years),
            "years": years, "years_chart": years_chart(years, result["year"]),
            "chart": chart(points, result["salary"], result["tax"])}


@view_config(route_name="display-tax-calculation-view", request_method="GET",
             renderer=template("calculation"), decorator=guarded())
def calculation_page(request):
    form = request.session.pop(session_keys.FORM, None)
    result = None if form else _last_simulation(request)
    if form is None:  # show the figures of the result the form produced
        form = {"typed": {key: str(result[key]) for key in ("married", "children", "salary",
                                                             "year")}
                if result else {}, "errors": {}, "messages": []}
    years = sorted(request.tax_years, reverse=True)
    # The form sends its year: the latest unless one was chosen (impots.default_year is
    # the action API's default, for clients that send none).
    chosen = form["typed"].get("year") or str(years[0])
    values = _explained(request, result) if result else {}
    return page_values(request, form=form, result=result, current="calculation",
                       tax_years=years, chosen_year=chosen, **values)


@view_config(route_name="display-simulations-view", request_method="GET",
             renderer=template("simulations"), decorator=guarded())
def simulations_page(request):
    rows = simulations.session_simulations(request.dbsession, request.session)
    return page_values(request, simulations=rows, current="simulations")


@view_config(route_name=SIMULATIONS_CSV[0], request_method="GET", decorator=guarded())
def simulations_csv(request):
    """The list of simulations as a CSV file to save (Content-Disposition: attachment)."""
    text = simulations.session_simulations_csv(request.dbsession, request.session)
    return csv_response(text.encode("utf-8"), "simulations.csv", attachment=True)


@view_config(route_name="display-errors-view", request_method="GET",
             renderer=template("errors"), decorator=guarded(needs_login=False))
def errors_page(request):
    return page_values(request, messages=request.session.pop(session_keys.ERRORS, None) or [])
