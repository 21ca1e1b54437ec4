"""The resource API's views: bound to resources (``context=``) on the ``api`` route.

Each readable resource has one view per representation (``accept=`` JSON, XML, HTML),
all returning the same data; a GET that none of them accepts falls through to
``not_acceptable`` (views without an ``accept`` predicate are tried last). Another method
is the failure policy's 405, its Allow read from these registrations. Errors are raised
and turned into problem documents by the exception views of ``errors``.
"""

from pyramid.view import view_config

from ..services.tables import TaxResultTable
from ..tax import (
    OUTPUTS, InvalidInput, calculate, calculate_many, parse_calculation, parse_household,
)
from ..tax.columns import parse_columns
from ..tax.curve import check_bounds, curve as tax_curve
from ..tax.explain import explain
from ..tax.households import (
    MAX_CHILDREN, check_rules_for_year, parse_integer, parse_married, parse_rules,
)
from ..tax.vocabulary import FIELD_ALIASES, yes_no
from ..web import bodies
from ..web.echo import shorten, shortened
from ..web.renderers import csv_bytes, csv_response
from .negotiation import API_ROUTE
from .openapi import openapi_document
from .problems import Problem
from .resources import (
    CALCULATE, DESCRIBE, VIEW, Api, Resource, TaxCalculation, TaxCurve, TaxExplanation,
    TaxYear, TaxYears,
)
TEMPLATES = "impots_pyramid:templates/api/"


def represented(template, **predicates):
    """Register the decorated view three times: as JSON, XML, and an HTML template."""
    def decorate(view):
        common = dict(route_name=API_ROUTE, **predicates)
        for accept, renderer in (("application/json", "json"), ("application/xml", "xml"),
                                 ("text/html", TEMPLATES + template)):
            view = view_config(accept=accept, renderer=renderer, _depth=1, **common)(view)
        return view
    return decorate


# -- /api ---------------------------------------------------------------------------------

@represented("index.jinja2", context=Api, request_method="GET", permission=DESCRIBE)
def api_index(context, request):
    return {"links": {
        "tax_years": request.resource_url(context["tax-years"]),
        # A view name, not a resource: the route generates its URL.
        "openapi": request.route_url(API_ROUTE, traverse=("openapi.json",)),
    }}


@view_config(route_name=API_ROUTE, context=Api, name="openapi.json", request_method="GET",
             permission=DESCRIBE, renderer="json")
def openapi(context, request):
    """The OpenAPI 3.1 description of both interfaces (JSON whatever ``Accept`` says)."""
    if request.subpath:
        raise Problem(404, "no such resource")
    return openapi_document(request)


# -- /api/tax-years -----------------------------------------------------------------------

@represented("tax_years.jinja2", context=TaxYears, request_method="GET", permission=VIEW)
def tax_years(context, request):
    years = context.years()
    return {
        "tax_years": [{
            "year": year,
            "income_year": years[year].income_year,
            "href": request.resource_url(context[str(year)]),
        } for year in sorted(years)],
        "links": {"self": request.resource_url(context)},
    }


@represented("tax_year.jinja2", context=TaxYear, request_method="GET", permission=VIEW)
def tax_year(context, request):
    return {
        "year": context.year,
        **context.parameters.as_dict(),
        "links": {
            "self": request.resource_url(context),
            "tax": request.resource_url(context["tax"]),
            "tax_years": request.resource_url(context.__parent__),
        },
    }


# -- /api/tax-years/{year}/tax ------------------------------------------------------------

def default_rules(request) -> str:
    return request.registry.settings["impots.rules"]


@represented("tax.jinja2", context=TaxCalculation, request_method="GET", permission=CALCULATE)
def tax(context, request):
    """One household from the query string: married, children, salary, optional rules."""
    year = context.tax_year.year
    calculation = query_calculation(context, request)
    result = calculate(calculation.household, context.tax_year.parameters, calculation.rules)
    return {
        **household_fields(calculation.household.married, calculation.household.children,
                           calculation.household.salary),
        "year": year,
        "rules": calculation.rules,
        "tax": result.tax, "surcharge": result.surcharge, "discount": result.discount,
        "reduction": result.reduction, "rate": result.rate, "parts": result.parts,
        "taxable_income": result.taxable_income,
    }


def query_calculation(context, request):
    """Household and rules from the query string, for the year of the URL (``context``'s);
    every bad field reported at once (InvalidInput, a 400 problem)."""
    year = context.tax_year.year
    raw = {name: value for name, value in request.GET.items()
           if name not in FIELD_ALIASES["year"]}
    # The year is the URL's, whatever the query says.
    return parse_calculation({**raw, "year": year}, [year], year, default_rules(request))


# -- /api/tax-years/{year}/tax/explanation ------------------------------------------------

@represented("explanation.jinja2", context=TaxExplanation, request_method="GET",
             permission=CALCULATE)
def explanation(context, request):
    """The steps of one household's tax (``tax.explain``), same query as ``tax``."""
    calculation = query_calculation(context, request)
    return explain(calculation.household, context.tax_year.parameters, calculation.rules)


# -- /api/tax-years/{year}/tax/curve ------------------------------------------------------

CURVE_COLUMNS = ("salary", "tax", "surcharge", "discount", "reduction", "average_rate",
                 "marginal_rate", "slope")


def curve_points(context, request) -> dict:
    """The household type's tax for the salaries from..to by step (``tax.curve``): bad
    fields (married, children, rules, from, to, step) all named in one 400 problem."""
    query = request.GET
    rules = query.get("rules")
    if rules in (None, ""):
        rules = default_rules(request)
    points = tax_curve(context.tax_year.parameters, query.get("married"),
                       query.get("children"), query.get("from"), query.get("to"),
                       query.get("step"), rules)
    # Valid, since tax_curve accepted them: their typed values.
    start, stop, step = check_bounds(query["from"], query["to"], query["step"])
    columns = [points[name].tolist() for name in CURVE_COLUMNS]
    return {
        "year": context.tax_year.year, "rules": parse_rules(rules),
        "married": yes_no(parse_married(query["married"])),
        "children": parse_integer(query["children"], "children", 0, MAX_CHILDREN),
        "from": start, "to": stop, "step": step, "count": len(columns[0]),
        "points": [dict(zip(CURVE_COLUMNS, values)) for values in zip(*columns)],
    }


@represented("curve.jinja2", context=TaxCurve, request_method="GET", permission=CALCULATE)
def curve(context, request):
    return curve_points(context, request)


@view_config(route_name=API_ROUTE, context=TaxCurve, request_method="GET",
             permission=CALCULATE, accept="text/csv")
def curve_csv(context, request):
    """The points as CSV: a header line, then one line per salary."""
    data = curve_points(context, request)
    body = csv_bytes([CURVE_COLUMNS, *([point[name] for name in CURVE_COLUMNS]
                                       for point in data["points"])])
    return csv_response(body, f"tax-curve-{data['year']}.csv")


# CSRF: the batch is computed, never stored, and its body types (JSON, CSV, XML) are not
# ones a cross-site form can send; Basic clients have no token to send.
@represented("taxes.jinja2", context=TaxCalculation, request_method="POST",
             permission=CALCULATE, require_csrf=False)
def taxes(context, request):
    """A batch: every household computed, or a 400 naming each bad item by its index."""
    return batch_results(context, request)


BATCH_CSV_COLUMNS = ("married", "children", "salary", "year", "rules", *OUTPUTS, "parts",
                     "taxable_income")


@view_config(route_name=API_ROUTE, context=TaxCalculation, request_method="POST",
             permission=CALCULATE, require_csrf=False, accept="text/csv")
def taxes_csv(context, request):
    """The batch's results as CSV (``Accept: text/csv``): a header line, then one line per
    household in the body's order; its errors as the other formats' problem documents."""
    data = batch_results(context, request)
    results = data["results"]
    if isinstance(results, TaxResultTable):  # its lines made column by column
        lines = results.csv_bytes(BATCH_CSV_COLUMNS)
    else:
        lines = csv_bytes([result[name] for name in BATCH_CSV_COLUMNS] for result in results)
    return csv_response(csv_bytes([BATCH_CSV_COLUMNS]) + lines, f"taxes-{data['year']}.csv")


def batch_results(context, request) -> dict:
    year = context.tax_year.year
    rules = batch_rules(request, year)
    batch = bodies.read_batch(request, request.registry.settings["impots.batch_max"])
    table = column_results(context, batch, rules)
    if table is not None:  # validated, computed and answered by column
        return {"year": year, "rules": rules, "count": len(table), "results": table}
    raw_households = batch.households()
    households = parse_batch(raw_households)
    figures = calculate_many(context.tax_year.parameters,
                             [h.married for h in households],
                             [h.children for h in households],
                             [h.salary for h in households], rules)
    columns = {name: values.tolist() for name, values in figures.items()}
    results = []
    for index, household in enumerate(households):
        results.append({
            **household_fields(household.married, household.children, household.salary),
            "year": year, "rules": rules,
            **{name: column[index] for name, column in columns.items()},
        })
    return {"year": year, "rules": rules, "count": len(results), "results": results}


HOUSEHOLD_FIELDS = ("married", "children", "salary")


def column_results(context, batch, rules: str):
    """The batch's results as a TaxResultTable, validated by column (``tax.parse_columns``,
    the household's three fields only: the year is the URL's, the rules the query's) and
    computed by one ``calculate_many``, when its body allows it and no household is bad;
    else None: ``parse_batch`` reads the households one by one, for the problem document
    that names each bad one."""
    columns = bodies.text_columns(batch, HOUSEHOLD_FIELDS)
    if columns is None or not all(field in columns for field in HOUSEHOLD_FIELDS):
        return None
    year = context.tax_year.year
    parsed = parse_columns(*(columns[field] for field in HOUSEHOLD_FIELDS),
                           known_years=[year], default_year=year, default_rules=rules)
    if parsed.bad.any():
        return None
    figures = calculate_many(context.tax_year.parameters, parsed.married, parsed.children,
                             parsed.salary, rules)
    return TaxResultTable(parsed.married, parsed.children, parsed.salary, year, rules, figures)


def batch_rules(request, year) -> str:
    raw = request.GET.get("rules")
    rules = default_rules(request) if raw in (None, "") else parse_rules(raw)
    check_rules_for_year(rules, year)
    return rules


def parse_batch(raw_households) -> list:
    """Typed households, or InvalidInput-like Problem listing each bad item by index."""
    households, errors = [], []
    for index, raw in enumerate(raw_households):
        try:
            households.append(parse_household(raw))
        except InvalidInput as exc:
            errors += [{"index": index, **shortened(error).as_dict()} for error in exc.errors]
    if errors:
        bad_items = len({error["index"] for error in errors})
        raise Problem(400, f"{bad_items} of {len(raw_households)} households have errors: "
                           "nothing was computed", errors=errors)
    return households


def household_fields(married: bool, children: int, salary: int) -> dict:
    return {"married": yes_no(married), "children": children, "salary": salary}


# -- fallbacks ----------------------------------------------------------------------------

@view_config(route_name=API_ROUTE, context=Resource, request_method="GET")
def not_acceptable(context, request):
    """Reached only when no representation matched ``Accept``."""
    raise Problem(406, "none of application/json, application/xml, text/html is acceptable "
                       f"(Accept: {shorten(request.headers.get('Accept', ''))}); "
                       "?format=json|xml|html chooses one")
