"""The browser pages: Jinja2 templates, the static files, French or English pages; the
course's four pages (``pages``), the batch page (``batch``: a CSV of households
uploaded, their taxes downloaded), the actions of an html session answered by a 303 to the
page that shows their outcome (``views``), and the pages that failures turn into
(``failures``). It uses the action API's table and routes and the services, never the
JSON views.
"""
from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther

from ..web.openapi import CSV, HTML

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
TRANSLATION_DOMAIN = "impots_pyramid"
TEMPLATES = "impots_pyramid:templates/"

# The pages, each at its own GET URL under impots.url_prefix.
PAGES = {
    "display-authentication-view": "/display-authentication-view",
    "display-tax-calculation-view": "/display-tax-calculation-view",
    "display-simulations-view": "/display-simulations-view",
    "display-errors-view": "/display-errors-view",
    "display-batch-view": "/display-batch-view",
}
# The session's simulations as a CSV download (a GET route beside the pages).
SIMULATIONS_CSV = ("display-simulations-csv", "/display-simulations-view.csv")
# The batch page's form: a CSV of households posted, their taxes answered as a download.
BATCH_CSV = ("calculate-batch-csv", "/calculate-batch-csv")
# The start: "/" (and the prefix's own root) lead to init-session/html.
HOME_ROUTES = ("home", "prefix-home")


def negotiate_locale(request) -> str:
    """'en' when the browser prefers English to French, else the course's French."""
    return request.accept_language.lookup(list(LOCALES), default=DEFAULT_LOCALE)


def see_other(request, route_name, **parts):
    """The 303 of Post/Redirect/Get, to a URL Pyramid builds (mount point and prefix)."""
    return HTTPSeeOther(request.route_url(route_name, **parts))


def template(name: str) -> str:
    return TEMPLATES + name + ".jinja2"


def page_values(request, **values) -> dict:
    """What every page's layout needs: whether to show the menu, and the CSRF token."""
    values.setdefault("logged_in", request.identity is not None)
    values.setdefault("current", None)
    values["csrf_token"] = get_csrf_token(request)
    return values


def add_template_filters(config):
    """Filters for figures (registered once the Jinja2 environment exists)."""
    from .formatting import decimal, euros, percent

    def register():
        environment = config.get_jinja2_environment()
        environment.filters.update({"euros": euros, "percent": percent,
                                    "decimal": decimal})

    config.action(None, register, order=999)


def page_paths(settings, years) -> dict:
    prefix = settings["impots.url_prefix"]
    paths = {f"{prefix}{pattern}": {"get": {
        "summary": f"the {name[len('display-'):-len('-view')].replace('-', ' ')} page "
                   "(html sessions)",
        "tags": ["action API"],
        "responses": {"200": {"description": "the page", "content": {HTML: {}}}}}}
        for name, pattern in PAGES.items()}
    paths[prefix + SIMULATIONS_CSV[1]] = {"get": {
        "summary": "the session's simulations as a CSV download (html sessions)",
        "tags": ["action API"],
        "responses": {"200": {"description": "an attachment", "content": {CSV: {}}}}}}
    paths[prefix + BATCH_CSV[1]] = {"post": {
        "summary": "the taxes of an uploaded CSV of households (the batch page's form, "
                   "html sessions): the CSV impots-batch writes, as a download; nothing stored",
        "tags": ["action API"],
        "requestBody": {"content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["households", "csrf_token"],
            "properties": {"households": {"type": "string", "format": "binary"},
                           "year": {"type": "integer"}, "rules": {"enum": ["law", "course"]},
                           "csrf_token": {"type": "string"}}}}}},
        "responses": {"200": {"description": "an attachment, taxes.csv", "content": {CSV: {}}},
                      "400": {"description": "the page again: the file cannot be read",
                              "content": {HTML: {}}},
                      "413": {"description": "the page again: the file is too large",
                              "content": {HTML: {}}}}}}
    paths["/"] = {"get": {"summary": "to init-session/html", "tags": ["action API"],
                          "responses": {"302": {"description": "redirect"}}}}
    return paths


def includeme(config):
    settings = config.get_settings()
    settings.setdefault("jinja2.i18n.domain", TRANSLATION_DOMAIN)
    config.include("..web.templating")
    add_template_filters(config)
    config.add_translation_dirs("impots_pyramid:locale")
    config.set_locale_negotiator(negotiate_locale)
    # Directly under the application root (not under impots.url_prefix), like /api.
    config.add_static_view("static", "impots_pyramid:static", cache_max_age=3600)
    prefix = settings["impots.url_prefix"]
    config.add_route("home", "/")
    # With a prefix, its own root also leads to the start (without one, "home" wins).
    config.add_route("prefix-home", prefix + "/")
    for name, pattern in PAGES.items():
        config.add_route(name, prefix + pattern)
    config.add_route(SIMULATIONS_CSV[0], prefix + SIMULATIONS_CSV[1])
    config.add_route(BATCH_CSV[0], prefix + BATCH_CSV[1])
    config.include(".failures")
    config.add_openapi_paths(page_paths)
    config.scan(".pages")
    config.scan(".views")
    config.scan(".batch")
