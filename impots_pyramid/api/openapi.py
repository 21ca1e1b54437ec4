"""The OpenAPI 3.1 description of the whole service, built per request, served at
/api/openapi.json.

Built in Python rather than shipped as a file, because parts of it depend on the
deployment: the server URL (it carries SCRIPT_NAME, e.g. ``/impots`` under Apache), the
action API's ``impots.url_prefix``, the tax years of the database, the limits of the
settings, and whether CSRF protection is on (GET on the state-changing actions only
without it). The resource API's paths are here; the other interfaces add theirs with
the ``add_openapi_paths`` directive (``web.openapi``).
"""
from ..tax.curve import MAX_POINTS
from ..tax.vocabulary import COURSE_TAX_YEAR, RULE_NAMES
from ..web.openapi import (
    CHILDREN, CSV, HTML, JSON, MARRIED, MARRIED_ANSWER, OUTPUTS, RULES, SALARY, XML,
    contributions, ref,
)
from ..web.sessions import COOKIE_NAME

PROBLEM_JSON, PROBLEM_XML = "application/problem+json", "application/problem+xml"
LINK = {"type": "string", "format": "uri"}

SCHEMAS = {
    "TaxResult": {
        "type": "object",
        "required": ["married", "children", "salary", "year", "rules", *OUTPUTS,
                     "parts", "taxable_income"],
        "properties": {
            "married": MARRIED_ANSWER,
            "children": CHILDREN, "salary": SALARY,
            "year": {"type": "integer"}, "rules": RULES, **OUTPUTS,
            "parts": {"type": "number", "description": "the household's quotient familial parts"},
            "taxable_income": {"type": "integer", "description": "salary after the 10 % deduction"},
        },
    },
    "Batch": {
        "type": "object",
        "required": ["year", "rules", "count", "results"],
        "properties": {
            "year": {"type": "integer"}, "rules": RULES, "count": {"type": "integer"},
            "results": {"type": "array", "items": ref("TaxResult")},
        },
    },
    "TaxYears": {
        "type": "object",
        "required": ["tax_years", "links"],
        "properties": {
            "tax_years": {"type": "array", "items": {
                "type": "object", "required": ["year", "income_year", "href"],
                "properties": {"year": {"type": "integer"}, "income_year": {"type": "integer"},
                               "href": LINK}}},
            "links": {"type": "object", "properties": {"self": LINK}},
        },
    },
    "TaxYear": {
        "type": "object",
        "required": ["year", "tax_year", "income_year", "brackets", "rates", "links"],
        "properties": {
            "year": {"type": "integer"}, "tax_year": {"type": "integer"},
            "income_year": {"type": "integer"},
            "brackets": {"type": "array", "items": {"type": "integer"},
                         "description": "lower bound of each slice of the quotient"},
            "rates": {"type": "array", "items": {"type": "number"}},
            "qf_cap_per_half_part": {"type": "integer"},
            "deduction_rate": {"type": "number"},
            "deduction_min": {"type": "integer"}, "deduction_max": {"type": "integer"},
            "discount_ceiling_single": {"type": "integer"},
            "discount_ceiling_couple": {"type": "integer"},
            "discount_rate": {"type": "number"},
            "reduction_rate": {"type": ["number", "null"]},
            "reduction_full_below": {"type": ["integer", "null"]},
            "reduction_zero_from": {"type": ["integer", "null"]},
            "reduction_per_half_part": {"type": ["integer", "null"]},
            "links": {"type": "object", "properties": {
                "self": LINK, "tax": LINK, "tax_years": LINK}},
        },
    },
    "Explanation": {
        "type": "object",
        "description": "the steps of one household's tax (amounts in euros, rates fractions)",
        "required": ["year", "rules", "married", "children", "salary", "deduction",
                     "taxable_income", "parts", "child_half_parts", "quotient", "brackets",
                     "gross_tax", "tax_without_children", "cap", "cap_reached",
                     "tax_after_cap", "surcharge", "discount", "reduction", "tax",
                     "marginal_rate", "average_rate", "payable", "applied", "sentences"],
        "properties": {
            "year": {"type": "integer"}, "rules": RULES, "married": MARRIED_ANSWER,
            "children": CHILDREN, "salary": SALARY,
            "deduction": {"type": "integer"}, "taxable_income": {"type": "integer"},
            "parts": {"type": "number"}, "child_half_parts": {"type": "integer"},
            "quotient": {"type": "number", "description": "taxable income per part"},
            "brackets": {"type": "array", "description": "the scale's slices, per part",
                         "items": {"type": "object",
                                   "required": ["lower", "upper", "rate", "taxed_income",
                                                "tax"],
                                   "properties": {
                                       "lower": {"type": "integer"},
                                       "upper": {"type": ["integer", "null"]},
                                       "rate": {"type": "number"},
                                       "taxed_income": {"type": "number"},
                                       "tax": {"type": "number"}}}},
            "gross_tax": {"type": "integer"}, "tax_without_children": {"type": "integer"},
            "cap": {"type": "integer", "description": "the quotient familial cap"},
            "cap_reached": {"type": "boolean"}, "tax_after_cap": {"type": "integer"},
            "surcharge": {"type": "integer"}, "discount": {"type": "integer"},
            "reduction": {"type": "integer"}, "tax": {"type": "integer"},
            "marginal_rate": {"type": "number"}, "average_rate": {"type": "number"},
            "payable": {"type": "object", "required": ["amount", "cehr", "collected"],
                        "properties": {"amount": {"type": "integer"},
                                       "cehr": {"type": "integer"},
                                       "collected": {"type": "boolean"}}},
            "applied": {"type": "object", "properties": {
                "cap": {"type": "boolean"}, "discount": {"type": "boolean"},
                "cehr": {"type": "boolean"}, "collected": {"type": "boolean"},
                "reduction": {"type": ["string", "null"],
                              "enum": ["full", "tapered", "none", None]}}},
            "sentences": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Curve": {
        "type": "object",
        "description": "the tax of a household type for the salaries from..to by step",
        "required": ["year", "rules", "married", "children", "from", "to", "step", "count",
                     "points"],
        "properties": {
            "year": {"type": "integer"}, "rules": RULES, "married": MARRIED_ANSWER,
            "children": CHILDREN, "from": {"type": "integer"}, "to": {"type": "integer"},
            "step": {"type": "integer"}, "count": {"type": "integer"},
            "points": {"type": "array", "items": {
                "type": "object",
                "required": ["salary", "tax", "surcharge", "discount", "reduction",
                             "average_rate", "marginal_rate", "slope"],
                "properties": {
                    "salary": {"type": "integer"}, "tax": {"type": "integer"},
                    "surcharge": {"type": "integer"}, "discount": {"type": "integer"},
                    "reduction": {"type": "integer"}, "average_rate": {"type": "number"},
                    "marginal_rate": {"type": "number"},
                    "slope": {"type": "number", "description": "(tax(salary + step) - "
                              "tax(salary)) / step: the effective marginal rate"}}}},
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["field", "value", "detail"],
                "properties": {
                    "field": {"type": "string"},
                    "value": {"description": "as received; null when missing"},
                    "detail": {"type": "string"},
                    "index": {"type": "integer", "description": "the batch item"},
                }}},
            "position": {"type": "object", "description": "where the body is malformed",
                         "properties": {"line": {"type": "integer"},
                                        "column": {"type": "integer"},
                                        "item": {"type": "integer"}}},
        },
    },
}


# -- the resource API ---------------------------------------------------------------------

def representations(schema_name: str) -> dict:
    return {JSON: {"schema": ref(schema_name)}, XML: {"schema": {"type": "string"}},
            HTML: {"schema": {"type": "string"}}}


PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": ref("Problem")},
                   PROBLEM_XML: {"schema": {"type": "string"}}}
VARY = {"Vary": {"description": "always Accept", "schema": {"type": "string"}}}


def problem(description: str, headers=None) -> dict:
    answer = {"description": description, "content": PROBLEM_CONTENT}
    if headers:
        answer["headers"] = headers
    return answer


COMMON_ANSWERS = {
    "401": problem("no or wrong credentials", {
        "WWW-Authenticate": {"schema": {"type": "string"},
                             "description": 'Basic realm="impots"'}}),
    "406": problem("no representation matches Accept or format"),
    "429": problem("too many failed logins for this user name (the same throttle as "
                   "authenticate-user)", {"Retry-After": {"schema": {"type": "string"},
                                                          "description": "seconds"}}),
    "503": problem("the database or the session store does not answer", {
        "Retry-After": {"schema": {"type": "string"}, "description": "seconds"}}),
}
FORMAT = {"name": "format", "in": "query", "required": False,
          "description": "overrides Accept", "schema": {"type": "string",
                                                        "enum": ["json", "xml", "html"]}}


def year_parameter(years) -> dict:
    return {"name": "year", "in": "path", "required": True,
            "schema": {"type": "integer", "enum": sorted(years)},
            "description": "a tax year of the database (404 otherwise)"}

# Empty is accepted as absent, as in the forms of the action API.
RULES_PARAMETER = {"name": "rules", "in": "query", "required": False,
                   "schema": {"type": "string", "enum": [*RULE_NAMES, ""]},
                   "description": f"{' or '.join(RULE_NAMES)} (course: tax year "
                                  f"{COURSE_TAX_YEAR} only); absent or empty: the service's "
                                  "default (impots.rules)"}


def read(summary, schema_name, parameters=(), extra=None) -> dict:
    responses = {"200": {"description": summary, "headers": VARY,
                         "content": representations(schema_name)}, **COMMON_ANSWERS}
    responses.update(extra or {})
    return {"summary": summary, "parameters": [*parameters, FORMAT], "responses": responses,
            "tags": ["resource API"]}


def resource_paths(settings, years) -> dict:
    year = year_parameter(years)
    batch_max = settings["impots.batch_max"]
    max_bytes = settings["impots.max_body_bytes"]
    not_found = {"404": problem("no such tax year")}
    bad_input = {"400": problem("bad field values (each named in errors)")}
    household = [{"name": "married", "in": "query", "required": True, "schema": MARRIED},
                 {"name": "children", "in": "query", "required": True, "schema": CHILDREN},
                 {"name": "salary", "in": "query", "required": True, "schema": SALARY}]
    calculate_get = read("the tax of one household", "TaxResult",
                         [year, RULES_PARAMETER, *household], {**not_found, **bad_input})
    bound = {"type": "integer", "minimum": 0, "maximum": SALARY["maximum"]}
    curve_get = read(
        f"the tax of a household type against the salary (at most {MAX_POINTS} points)",
        "Curve",
        [year, RULES_PARAMETER, household[0], household[1],
         {"name": "from", "in": "query", "required": True, "schema": bound},
         {"name": "to", "in": "query", "required": True, "schema": bound,
          "description": "at least from; included when on the grid"},
         {"name": "step", "in": "query", "required": True,
          "schema": {**bound, "minimum": 1}}],
        {**not_found, **bad_input})
    curve_get["parameters"][-1] = {**FORMAT, "schema": {"type": "string", "enum": [
        "json", "xml", "html", "csv"]}}
    curve_get["responses"]["200"]["content"][CSV] = {"schema": {"type": "string"}}
    explain_get = read("the steps of one household's tax", "Explanation",
                       [year, RULES_PARAMETER, *household], {**not_found, **bad_input})
    calculate_post = read(
        "the tax of a batch of households: all computed, or none", "Batch",
        [year, RULES_PARAMETER],
        {**not_found,
         "400": problem("malformed body (with its position) or bad items (each named with "
                        "its index in errors): nothing is computed"),
         "413": problem(f"body over {max_bytes} bytes or more than {batch_max} households"),
         "415": problem("body type other than JSON, CSV or XML")})
    calculate_post["responses"]["200"]["content"][CSV] = {
        "schema": {"type": "string"},
        "example": "married,children,salary,year,rules,tax,surcharge,discount,reduction,"
                   "rate,parts,taxable_income\r\nyes,2,55555,2019,law,2815,0,0,0,0.14,3.0,"
                   "49999\r\n"}
    calculate_post["requestBody"] = {"required": True, "content": {
        JSON: {"schema": {"type": "array", "minItems": 1, "maxItems": batch_max,
                          "items": ref("Household")}},
        CSV: {"schema": {"type": "string"},
              "example": "married,children,salary\nyes,2,55555\n"},
        XML: {"schema": {"type": "string"},
              "example": "<taxpayers><taxpayer><married>yes</married><children>2</children>"
                         "<salary>55555</salary></taxpayer></taxpayers>"},
    }}
    basic = [{"basicAuth": []}, {"sessionCookie": []}]
    operations = {
        "/api/tax-years": {"get": read("the tax years", "TaxYears")},
        "/api/tax-years/{year}": {"get": read("a tax year's parameters", "TaxYear", [year],
                                              not_found)},
        "/api/tax-years/{year}/tax": {"get": calculate_get, "post": calculate_post},
        "/api/tax-years/{year}/tax/explanation": {"get": explain_get},
        "/api/tax-years/{year}/tax/curve": {"get": curve_get},
    }
    for path in operations.values():
        for operation in path.values():
            operation["security"] = basic
    operations["/api/openapi.json"] = {"get": {
        "summary": "this document", "tags": ["resource API"], "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {}}}}}}
    return operations


# -- the document -------------------------------------------------------------------------

def openapi_document(request) -> dict:
    settings = request.registry.settings
    paths, schemas = {}, {}
    for build_paths, more_schemas in contributions(request.registry):
        paths.update(build_paths(settings, request.tax_years))
        schemas.update(more_schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "impots-pyramid",
            "version": "1.0",
            "description": "French income tax. The action API (session, one URL per "
                           "action, answers in an envelope) and the resource API (/api: "
                           "stateless, representation by Accept, RFC 9457 problems).",
        },
        "servers": [{"url": request.application_url or "/"}],
        "tags": [{"name": "resource API"}, {"name": "action API"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME},
            },
        },
    }


def includeme(config):
    config.add_openapi_paths(resource_paths, SCHEMAS)
