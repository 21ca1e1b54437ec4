"""The action API in the OpenAPI document: its paths and methods from the action table,
what each answers from here (its summary, form and statuses)."""
from ..web.openapi import (
    CHILDREN, CSV, FORM, JSON, MARRIED, MARRIED_ANSWER, OUTPUTS, SALARY, XML, ref,
)
from .predicates import RESPONSE_TYPES
from .table import ACTIONS, CSRF_FAILED, NO_SESSION, UNAVAILABLE, UNEXPECTED

SCHEMAS = {
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
            "id": {"type": "integer"}, "married": MARRIED_ANSWER,
            "children": CHILDREN, "salary": SALARY, **OUTPUTS, "year": {"type": "integer"},
        },
    },
}

# The answers of every action that needs a session and a login.
COMMON_ANSWERS = {
    "400": f"{NO_SESSION}: no response type in the session (init-session first)",
    "401": f"{NO_SESSION}: not authenticated",
    "403": f"{CSRF_FAILED}: missing or wrong CSRF token (form field csrf_token or X-CSRF-Token)",
    "405": "the action's failure status: a method it does not take (Allow)",
    "503": f"{UNAVAILABLE}: the session store or the database does not answer (Retry-After)",
    "500": f"{UNEXPECTED}: unexpected error",
}


def envelope_answer(description: str, content_types=(JSON, XML)) -> dict:
    return {"description": description,
            "content": {media: {"schema": ref("Envelope") if media == JSON else {"type": "string"}}
                        for media in content_types}}


def form_body(fields: dict, required=()) -> dict:
    schema = {"type": "object", "properties": fields}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {FORM: {"schema": schema}}}


def batch_body(batch_max: int) -> dict:
    return {"required": True, "content": {
        JSON: {"schema": {"type": "array", "minItems": 1, "maxItems": batch_max,
                          "items": ref("Household")}},
        CSV: {"schema": {"type": "string"}},
        XML: {"schema": {"type": "string"}}}}


def descriptions(settings, years) -> dict:
    """Per action: its summary, its answers beyond the common ones (status: text), and
    optionally its parameters and request body."""
    # Empty is accepted as absent, as everywhere in the action API's forms.
    year = {"type": ["integer", "string"], "enum": [*sorted(years), ""],
            "description": "a tax year of the database; absent or empty: impots.default_year"}
    login_field = {"type": "string", "minLength": 1}
    return {
        "init-session": {
            "summary": "choose the session's response type",
            "answers": {"200": "700: session started (with csrf_token)", "400": "701: bad type",
                        "303": "html: to the authentication page, or the calculation page "
                               "when logged in"},
            "parameters": [{"name": "type", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": list(RESPONSE_TYPES)}}]},
        "authenticate-user": {
            "summary": "log in",
            "answers": {"200": "200: authentication successful (with a new csrf_token)",
                        "400": "201: missing field", "401": "201: bad credentials",
                        "429": "201: too many failed logins (Retry-After)"},
            "body": form_body({"user": login_field, "password": login_field},
                              ("user", "password"))},
        "calculate-tax": {
            "summary": "compute and record one simulation",
            "answers": {"200": "300: the new simulation", "400": "301: a message per bad field",
                        "409": "301: the session holds impots.max_simulations simulations"},
            "body": form_body({"married": MARRIED, "children": CHILDREN, "salary": SALARY,
                               "year": year}, ("married", "children", "salary"))},
        "calculate-taxes": {
            "summary": "compute and record a batch of simulations (all or nothing)",
            "answers": {"200": "1500: the new simulations",
                        "400": "1501: not a list, empty, malformed, or items with errors "
                               "(each with an error key); nothing recorded",
                        "409": "1501: the batch would pass impots.max_simulations; "
                               "nothing recorded",
                        "413": "1501: body or batch too large",
                        "415": "1501: body type other than JSON, CSV or XML"},
            "body": batch_body(settings["impots.batch_max"])},
        "list-simulations": {
            "summary": "the session's simulations (all of them, or a page)",
            "answers": {"200": "500: the simulations", "400": "501: bad offset or limit"},
            "parameters": [{"name": name, "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": low}}
                           for name, low in (("offset", 0), ("limit", 1))]},
        "delete-simulation": {
            "summary": "delete a simulation",
            "answers": {"200": "600: the remaining simulations",
                        "404": "601: no such simulation"},
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}]},
        "end-session": {"summary": "end the session", "answers": {"200": "400: session reset"}},
        "display-tax-calculation": {"summary": "the calculation form",
                                    "answers": {"200": "800"}},
        "get-admindata": {
            "summary": "the tax year's parameters",
            "answers": {"200": "1000: the parameters", "400": "1001: in an html session"},
            "parameters": [{"name": "year", "in": "query", "required": False,
                            "schema": year}]},
    }


def common_answers(action) -> dict:
    if action.needs_login:
        return COMMON_ANSWERS
    if action.needs_session:
        return {code: COMMON_ANSWERS[code] for code in ("400", "405", "503", "500")}
    return {code: COMMON_ANSWERS[code] for code in ("405", "503", "500")}


def operation(action, description) -> dict:
    answers = dict(common_answers(action))
    for code, text in description["answers"].items():
        answers[code] = f"{text}; or {answers[code]}" if code in answers else text
    result = {"summary": description["summary"], "tags": ["action API"],
              "parameters": list(description.get("parameters", ())),
              "responses": {code: envelope_answer(text) for code, text in answers.items()}}
    if "303" in answers:
        result["responses"]["303"] = {"description": answers["303"]}
    if "body" in description:
        result["requestBody"] = description["body"]
    return result


def action_paths(settings, years) -> dict:
    prefix = settings["impots.url_prefix"]
    described = descriptions(settings, years)
    paths = {}
    for action in ACTIONS.values():
        # A new action is described by its row alone until it gets words of its own.
        item = operation(action, described.get(action.name, {
            "summary": action.name.replace("-", " "),
            "answers": {"200": f"{action.success}"}}))
        paths[prefix + action.pattern] = {method.lower(): item
                                          for method in action.methods(settings["impots.csrf"])}
    return paths


def includeme(config):
    config.add_openapi_paths(action_paths, SCHEMAS)
