"""The HTML front end: Jinja2 templates, the static files, French or English pages, and the
pages that an html session's failed actions turn into (Post/Redirect/Get).

Included once by the application factory; the views themselves are in views/html.py.
"""
from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.renderers import render_to_response

from .encoding import readable_form
from .envelope import NO_SESSION, SUCCESS_STATUS, UNAVAILABLE, UNEXPECTED

_ = TranslationStringFactory("impots_pyramid")

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
TRANSLATION_DOMAIN = "impots_pyramid"
TEMPLATES = "impots_pyramid:templates/"

# Session keys, each read once by the view it is meant for (then forgotten).
LOGIN_NOTICE_KEY = "html_login"      # {"messages": [...], "user": typed name}
FORM_KEY = "html_form"               # {"typed": {...}, "errors": {field: message}, "messages": [...]}
ERRORS_KEY = "html_errors"           # [messages] for the errors view
LAST_SIMULATION_KEY = "html_last"    # id of the simulation the calculation view shows

LOGIN_FAILED = SUCCESS_STATUS["authenticate-user"] + 1
CALCULATION_FAILED = SUCCESS_STATUS["calculate-tax"] + 1


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


def _translated(request, messages) -> list:
    return [request.localizer.translate(m) for m in messages]


def _login_messages(http_status, headers, messages) -> list:
    """The authentication failures in the reader's language (the API's text is English);
    a form that could not be read, or a wrong method, in the API's own words."""
    if http_status == 429:
        return [_("Too many failed logins: try again in ${seconds} s.",
                  mapping={"seconds": headers.get("Retry-After", "?")})]
    if http_status == 401:
        return [_("Authentication failed: wrong user name or password.")]
    # The view's "missing field [user]", "missing field [password]".
    if http_status == 400 and all(message.startswith("missing field [") for message in messages):
        return [_("Please enter your user name and your password.")]
    return messages


def html_failure(request, status, response, http_status, headers):
    """An action failed in an html session: 303 to the page that explains it.

    Registered as request.registry["html_failure"]; action_errors.render_envelope calls it.
    """
    # The answer is a 303, which pyramid_tm would commit: a failed action writes nothing.
    request.tm.doom()
    messages = response if isinstance(response, list) else [response]
    messages = [str(message) for message in messages]
    if status == NO_SESSION and http_status == 401:
        request.session[LOGIN_NOTICE_KEY] = {"messages": _translated(request, [
            _("Please log in first.")])}
        return see_other(request, "display-authentication-view")
    if status == NO_SESSION:
        return see_other(request, "init-session", type="html")
    if status == LOGIN_FAILED:
        request.session[LOGIN_NOTICE_KEY] = {
            "messages": _translated(request, _login_messages(http_status, headers, messages)),
            "user": readable_form(request).get("user", "")[:100]}
        return see_other(request, "display-authentication-view")
    if status == CALCULATION_FAILED:
        request.session[FORM_KEY] = {"messages": messages, "errors": {}, "typed": {}}
        return see_other(request, "display-tax-calculation-view")
    if status == UNAVAILABLE:
        # The session store or the database is down: answer the page here, with 503 and
        # Retry-After, rather than redirect to a page that may need them too.
        return error_page(request, messages, http_status, headers)
    if status == UNEXPECTED:
        request.session[ERRORS_KEY] = _translated(request, [
            _("The action could not be completed because of an internal error.")])
        return see_other(request, "display-errors-view")
    request.session[ERRORS_KEY] = messages
    return see_other(request, "display-errors-view")


def error_page(request, messages, http_status, headers):
    """The errors view rendered in place, touching neither the session nor the database."""
    result = render_to_response(template("errors"), {
        "messages": messages, "logged_in": False, "current": None, "csrf_token": ""},
        request=request)
    result.status = http_status
    result.headers.update(headers or {})
    return result


def add_template_filters(config):
    """Filters for figures (registered once the Jinja2 environment exists)."""
    from .views.html.formatting import euros, percent

    def register():
        environment = config.get_jinja2_environment()
        environment.filters.update({"euros": euros, "percent": percent})

    config.action(None, register, order=999)


def includeme(config):
    settings = config.get_settings()
    settings.setdefault("jinja2.i18n.domain", TRANSLATION_DOMAIN)
    config.include("pyramid_jinja2")  # harmless if another feature includes it too
    add_template_filters(config)
    config.add_translation_dirs("impots_pyramid:locale")
    config.set_locale_negotiator(negotiate_locale)
    # Directly under the application root (not under impots.url_prefix), like /api.
    config.add_static_view("static", "impots_pyramid:static", cache_max_age=3600)
    config.registry["html_failure"] = html_failure
