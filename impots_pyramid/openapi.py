"""The OpenAPI 3.1 description of both interfaces, built per request.

Built in Python rather than shipped as a file, because parts of it depend on the
deployment: the server URL (it carries SCRIPT_NAME, e.g. ``/impots`` under Apache), the
action API's ``impots.url_prefix``, the tax years of the database, the limits of the
settings, and whether CSRF protection is on (GET on the state-changing actions only
without it).
"""

JSON, XML, HTML, CSV = "application/json", "application/xml", "text/html", "text/csv"
PROBLEM_JSON, PROBLEM_XML = "application/problem+json", "application/problem+xml"
FORM = "application/x-www-form-urlencoded"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# -- schemas ------------------------------------------------------------------------------

MARRIED = {"type": "string", "enum": ["yes", "no", "oui", "non", "true", "false", "1", "0"],
           "description": "yes or no (also oui/non, true/false, 1/0; any case, blanks ignored)"}
CHILDREN = {"type": "integer", "minimum": 0, "maximum": 20}
SALARY = {"type": "integer", "minimum": 0, "maximum": 1_000_000_000,
          "description": "yearly net taxable salary of the household, in euros"}
AMOUNT = {"type": "integer", "description": "euros"}
RATE = {"type": "number", "description": "the marginal rate, a fraction (0.14, not 14)"}
OUTPUTS = {"tax": AMOUNT, "surcharge": AMOUNT, "discount": AMOUNT, "reduction": AMOUNT,
           "rate": RATE}
RULES = {"type": "string", "enum": ["law", "course"]}
LINK = {"type": "string", "format": "uri"}

SCHEMAS = {
    "Household": {
        "type": "object",
        "required": ["married", "children", "salary"],
        "properties": {
            "married": {"oneOf": [MARRIED, {"type": "boolean"}]},
            "children": CHILDREN,
            "salary": SALARY,
        },
    },
    "TaxResult": {
        "type": "object",
        "required": ["married", "children", "salary", "year", "rules", *OUTPUTS,
                     "parts", "taxable_income"],
        "properties": {
            "married": {"type": "string", "enum": ["yes", "no"]},
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
    "Envelope": {
        "type": "object",
        "description": "Every JSON answer of the action API (in XML: <root> with the same "
                       "children, lists as repeated <item>)",
        "required": ["action", "status", "response"],
        "properties": {
            "action": {"type": "string"},
            "status": {"type": "integer", "description": "the action's status code"},
            "response": {"description": "the action's payload, or its error messages"},
            "csrf_token": {"type": "string",
                           "description": "init-session and authenticate-user only"},
        },
    },
    "Simulation": {
        "type": "object",
        "required": ["id", "married", "children", "salary", *OUTPUTS, "year"],
        "properties": {
            "id": {"type": "integer"}, "married": {"type": "string", "enum": ["yes", "no"]},
            "children": CHILDREN, "salary": SALARY, **OUTPUTS, "year": {"type": "integer"},
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
                   "schema": {"type": "string", "enum": ["law", "course", ""]},
                   "description": "law or course (tax year 2019 only); absent or empty: "
                                  "the service's default (impots.rules)"}


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
    calculate_get = read(
        "the tax of one household", "TaxResult",
        [year, RULES_PARAMETER,
         {"name": "married", "in": "query", "required": True, "schema": MARRIED},
         {"name": "children", "in": "query", "required": True, "schema": CHILDREN},
         {"name": "salary", "in": "query", "required": True, "schema": SALARY}],
        {**not_found, **bad_input})
    calculate_post = read(
        "the tax of a batch of households: all computed, or none", "Batch",
        [year, RULES_PARAMETER],
        {**not_found,
         "400": problem("malformed body (with its position) or bad items (each named with "
                        "its index in errors): nothing is computed"),
         "413": problem(f"body over {max_bytes} bytes or more than {batch_max} households"),
         "415": problem("body type other than JSON, CSV or XML")})
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
    }
    for path in operations.values():
        for operation in path.values():
            operation["security"] = basic
    operations["/health"] = {"get": {
        "summary": "whether the database and the session store answer (for load balancers)",
        "tags": ["resource API"], "security": [],
        "responses": {
            "200": {"description": '{"database": "ok", "sessions": "ok"}', "content": {JSON: {}}},
            "503": {"description": 'what does not answer, e.g. {"database": "unavailable", '
                                   '"sessions": "ok"} (Retry-After)', "content": {JSON: {}}}}}}
    operations["/api/openapi.json"] = {"get": {
        "summary": "this document", "tags": ["resource API"], "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {}}}}}}
    return operations


# -- the action API -----------------------------------------------------------------------

def envelope_answer(description: str, content_types=(JSON, XML)) -> dict:
    return {"description": description,
            "content": {media: {"schema": ref("Envelope") if media == JSON else {"type": "string"}}
                        for media in content_types}}


def action(summary, answers: dict, method="get", form=None, parameters=(), required=()) -> dict:
    operation = {"summary": summary, "tags": ["action API"], "parameters": list(parameters),
                 "responses": {code: envelope_answer(text) for code, text in answers.items()}}
    if form:
        schema = {"type": "object", "properties": form}
        if required:
            schema["required"] = list(required)
        operation["requestBody"] = {"required": True, "content": {FORM: {"schema": schema}}}
    return {method: operation}


COMMON_ACTION_ANSWERS = {
    "400": "101: no response type in the session (init-session first)",
    "401": "101: not authenticated",
    "403": "121: missing or wrong CSRF token (form field csrf_token or X-CSRF-Token)",
    "503": "171: the session store or the database does not answer (Retry-After)",
    "500": "131: unexpected error",
}


def action_paths(settings, years) -> dict:
    # Empty is accepted as absent, as everywhere in the action API's forms.
    year = {"type": ["integer", "string"], "enum": [*sorted(years), ""],
            "description": "a tax year of the database; absent or empty: impots.default_year"}
    household_form = {"married": MARRIED, "children": CHILDREN, "salary": SALARY, "year": year}
    login_field = {"type": "string", "minLength": 1}
    simulation_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    response_type = {"name": "type", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ["json", "xml", "html"]}}

    def with_common(answers):
        return {**answers, **COMMON_ACTION_ANSWERS}

    def state_changing(summary, answers, parameters=()):
        """POST, and GET too for the course's clients when CSRF protection is off."""
        methods = ("post",) if settings["impots.csrf"] else ("post", "get")
        return {method: action(summary, answers, method, parameters=parameters)[method]
                for method in methods}

    paths = {
        "/init-session/{type}": action(
            "choose the session's response type",
            {"200": "700: session started (with csrf_token)", "400": "701: bad type"},
            parameters=[response_type]),
        "/authenticate-user": action(
            "log in", {"200": "200: authentication successful (with a new csrf_token)",
                       "400": "201: missing field", "401": "201: bad credentials",
                       "429": "201: too many failed logins (Retry-After)"},
            "post", {"user": login_field, "password": login_field},
            required=("user", "password")),
        "/calculate-tax": action(
            "compute and record one simulation",
            with_common({"200": "300: the new simulation",
                         "400": "301: a message per bad field"}),
            "post", household_form, required=("married", "children", "salary")),
        "/calculate-taxes": {"post": {
            "summary": "compute and record a batch of simulations (all or nothing)",
            "tags": ["action API"],
            "requestBody": {"required": True, "content": {
                JSON: {"schema": {"type": "array", "minItems": 1,
                                  "maxItems": settings["impots.batch_max"],
                                  "items": ref("Household")}},
                CSV: {"schema": {"type": "string"}},
                XML: {"schema": {"type": "string"}}}},
            "responses": {code: envelope_answer(text) for code, text in with_common({
                "200": "1500: the new simulations",
                "400": "1501: not a list, empty, malformed, or items with errors (each "
                       "with an error key); nothing recorded",
                "413": "1501: body or batch too large",
                "415": "1501: body type other than JSON, CSV or XML"}).items()}}},
        "/list-simulations": action("the session's simulations",
                                    with_common({"200": "500: the simulations"})),
        "/delete-simulation/{id}": state_changing(
            "delete a simulation", with_common({
                "200": "600: the remaining simulations", "404": "601: no such simulation"}),
            parameters=[simulation_id]),
        "/end-session": state_changing("end the session",
                                       with_common({"200": "400: session reset"})),
        "/display-tax-calculation": action("the calculation form",
                                           with_common({"200": "800"})),
        "/get-admindata": action(
            "the tax year's parameters",
            with_common({"200": "1000: the parameters", "400": "1001: in an html session"}),
            parameters=[{"name": "year", "in": "query", "required": False, "schema": year}]),
    }
    for name in ("authentication", "tax-calculation", "simulations", "errors"):
        paths[f"/display-{name}-view"] = {"get": {
            "summary": f"the {name.replace('-', ' ')} page (html sessions)",
            "tags": ["action API"],
            "responses": {"200": {"description": "the page", "content": {HTML: {}}}}}}
    paths["/init-session/{type}"]["get"]["responses"]["303"] = {
        "description": "html: to the authentication page, or the calculation page when "
                       "logged in"}
    prefix = settings["impots.url_prefix"]
    prefixed = {prefix + path: item for path, item in paths.items()}
    prefixed["/"] = {"get": {"summary": "to init-session/html", "tags": ["action API"],
                             "responses": {"302": {"description": "redirect"}}}}
    return prefixed


# -- the document -------------------------------------------------------------------------

def openapi_document(request) -> dict:
    settings = request.registry.settings
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
        "paths": {**resource_paths(settings, request.tax_years),
                  **action_paths(settings, request.tax_years)},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "impots_session"},
            },
        },
    }
