"""What a failure looks like in the browser.

- An action of an html session that fails (its own failure, or one of the failure
  policy's): a 303 to the page that explains it (Post/Redirect/Get), with the message in
  the session for one display; a service that is down: the errors page in place, with
  503 and Retry-After, rather than a redirect to a page that may need it too; a refused
  cross-site request or CSRF token: the errors page in place, 403, nothing written.
- A page itself, or "/", that fails (a method it does not take, a service down...): the
  errors page in place, with the policy's status and headers.
These views are registered for the action routes with ``response_type="html"`` (the
action API's own failure views answer every other type), and for the pages.
"""
from pyramid.i18n import TranslationStringFactory
from pyramid.renderers import render_to_response

from ..actions.errors import add_action_failure_views
from ..actions.table import ACTIONS, CSRF_FAILED, NO_SESSION, UNAVAILABLE, UNEXPECTED
from ..services import session_keys
from ..web.encoding import readable_form
from . import BATCH_CSV, HOME_ROUTES, PAGES, see_other, template

_ = TranslationStringFactory("impots_pyramid")

LOGIN_FAILED = ACTIONS["authenticate-user"].failure
CALCULATION_FAILED = ACTIONS["calculate-tax"].failure
MAX_TYPED_SHOWN = 100  # what the login form shows again of a typed name


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
    """An action failed in an html session: 303 to the page that explains it."""
    # The answer is a 303, which pyramid_tm would commit: a failed action writes nothing.
    request.tm.doom()
    messages = response if isinstance(response, list) else [response]
    messages = [str(message) for message in messages]
    if status == NO_SESSION and http_status == 401:
        request.session[session_keys.LOGIN_NOTICE] = {"messages": _translated(request, [
            _("Please log in first.")])}
        return see_other(request, "display-authentication-view")
    if status == NO_SESSION:
        return see_other(request, "init-session", type="html")
    if status == LOGIN_FAILED:
        request.session[session_keys.LOGIN_NOTICE] = {
            "messages": _translated(request, _login_messages(http_status, headers, messages)),
            "user": readable_form(request).get("user", "")[:MAX_TYPED_SHOWN]}
        return see_other(request, "display-authentication-view")
    if status == CALCULATION_FAILED:
        request.session[session_keys.FORM] = {"messages": messages, "errors": {}, "typed": {}}
        return see_other(request, "display-tax-calculation-view")
    if status in (UNAVAILABLE, CSRF_FAILED):
        # A forged request (another site, no token) writes nothing, not even a message
        # in the victim's session: the errors page in place, 403.
        return error_page(request, messages, http_status, headers)
    if status == UNEXPECTED:
        request.session[session_keys.ERRORS] = _translated(request, [
            _("The action could not be completed because of an internal error.")])
        return see_other(request, "display-errors-view")
    request.session[session_keys.ERRORS] = messages
    return see_other(request, "display-errors-view")


def error_page(request, messages, http_status, headers):
    """The errors view rendered in place, touching neither the session nor the database."""
    result = render_to_response(template("errors"), {
        "messages": messages, "logged_in": False, "current": None, "csrf_token": ""},
        request=request)
    result.status = http_status
    result.headers.update(headers or {})
    return result


def page_failure(request, failure):
    return error_page(request, [failure.message], failure.status, failure.headers)


def includeme(config):
    add_action_failure_views(config, html_failure, response_type="html")
    config.add_failure_views(page_failure, [*HOME_ROUTES, *PAGES, BATCH_CSV[0]])
