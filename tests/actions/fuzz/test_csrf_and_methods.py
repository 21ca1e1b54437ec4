"""The CSRF token on every state-changing action (a missing or wrong one is refused with
CSRF on, never with it off), and GET on the actions the course's clients GET."""
import urllib.parse

from hypothesis import assume, given, strategies as st

from tests.actions.fuzz.fuzzing import (
    ACTION_ROUTES, LOGGED_IN_ENVELOPE_STATES, WireRequest, check_answer, follow_redirects,
    fuzz_settings, open_session, send,
)
from tests.actions.fuzz.strategies import header_text, session_for


UNSAFE_ACTIONS = ["authenticate-user", "calculate-tax", "calculate-taxes", "delete-simulation",
                  "end-session"]


@fuzz_settings(max_examples=25)
@given(data=st.data(), route=st.sampled_from(UNSAFE_ACTIONS),
       method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
       token=st.one_of(st.none(), header_text), in_field=st.booleans())
def test_unsafe_requests_without_the_token(variant, data, route, method, token, in_field):
    """CSRF on: a missing or wrong token is 121 (HTTP 403) on every POST action (a method it
    does not take may be 405 first). CSRF off: never 121."""
    session = session_for(data.draw, variant, LOGGED_IN_ENVELOPE_STATES)
    assume(token is None or token != session.token)  # None: no token sent
    path = ACTION_ROUTES[route].replace("{id}", "1")
    form = {"user": "nobody", "password": "x", "married": "yes", "children": "1", "salary": "1"}
    headers = {}
    if token is not None:
        if in_field:
            form["csrf_token"] = token
        else:
            headers["X-CSRF-Token"] = token
    wire = WireRequest(method, route, path, headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"},
        body=urllib.parse.urlencode(form).encode())
    response = send(session, wire)
    answer = check_answer(session, wire, response)
    if not variant.csrf:
        assert answer["status"] != 121, answer
    elif method == "POST":
        assert (response.status_code, answer["status"]) == (403, 121), answer
    else:
        assert response.status_code in (403, 405), answer


@fuzz_settings(max_examples=12)
@given(route=st.sampled_from(["delete-simulation", "end-session"]),
       session_type=st.sampled_from(["json", "xml", "html"]))
def test_get_on_state_changing_actions(variant, route, session_type):
    """The course's clients GET delete-simulation and end-session: allowed with CSRF off,
    405 with it on (html sessions: a 303 to the page that says so)."""
    session = open_session(variant, session_type, True)
    response = session.browser.get(ACTION_ROUTES[route].replace("{id}", "1"), status="*")
    if session_type == "html":
        assert response.status_code == 303, response.status
        follow_redirects(session, response)
        return
    wire = WireRequest("GET", route, ACTION_ROUTES[route].replace("{id}", "1"))
    answer = check_answer(session, wire, response)
    if variant.csrf:
        assert response.status_code == 405, answer
    else:
        assert answer["status"] in {600, 601, 400}, answer
