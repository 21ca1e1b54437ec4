"""What the OpenAPI document's parts share, and how an interface adds its own.

The document is served by the resource API (``api.openapi``); each interface adds its
paths and schemas with the ``add_openapi_paths`` directive, so that the document describes
what is configured and no module above knows another's URLs. The schemas of the inputs
come from the engine's vocabulary (``tax.vocabulary``), never restated.
"""
from ..tax.vocabulary import MARRIED_WORDS, MAX_CHILDREN, MAX_SALARY, RULE_NAMES

JSON, XML, HTML, CSV = "application/json", "application/xml", "text/html", "text/csv"
FORM = "application/x-www-form-urlencoded"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


MARRIED = {"type": "string", "enum": list(MARRIED_WORDS),
           "description": "yes or no (also oui/non, true/false, 1/0; any case, blanks ignored)"}
MARRIED_ANSWER = {"type": "string", "enum": ["yes", "no"]}
CHILDREN = {"type": "integer", "minimum": 0, "maximum": MAX_CHILDREN}
SALARY = {"type": "integer", "minimum": 0, "maximum": MAX_SALARY,
          "description": "yearly net taxable salary of the household, in euros"}
AMOUNT = {"type": "integer", "description": "euros"}
RATE = {"type": "number", "description": "the marginal rate, a fraction (0.14, not 14)"}
OUTPUTS = {"tax": AMOUNT, "surcharge": AMOUNT, "discount": AMOUNT, "reduction": AMOUNT,
           "rate": RATE}
RULES = {"type": "string", "enum": list(RULE_NAMES)}

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
}

CONTRIBUTIONS_KEY = "openapi_contributions"


def add_openapi_paths(config, build_paths, schemas=None):
    """Directive: ``build_paths(settings, tax_years) -> {path: path item}`` adds paths to
    the document (built per request: they may depend on the settings and the database),
    ``schemas`` its components."""
    config.registry.setdefault(CONTRIBUTIONS_KEY, []).append((build_paths, schemas or {}))


def contributions(registry) -> list:
    return [(lambda settings, years: {}, SCHEMAS), *registry.get(CONTRIBUTIONS_KEY, [])]


def includeme(config):
    config.add_directive("add_openapi_paths", add_openapi_paths)
