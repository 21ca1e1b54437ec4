"""Whole requests in whole sessions: any method, path, query, headers and body, on each
session back end with CSRF on and off; HTTP Basic credentials on every action."""
import urllib.parse

from hypothesis import assume, given, strategies as st

from tests.actions.fuzz.fuzzing import (
    ACTION_ROUTES, WireRequest, check_answer, could_lock_out_the_test_user, follow_redirects,
    fuzz_settings, open_session, send,
)
from tests.actions.fuzz.strategies import (
    FORM_TYPE, NATURAL_METHOD, batch_body, session_for, valid_households, wire_requests,
)
from tests.helpers import TEST_PASSWORD, TEST_USER, basic_authorization


@fuzz_settings(max_examples=120)
@given(data=st.data())
def test_any_request_on_any_route_gets_no_server_error(variant, data):
    """Any method, path, query, headers and body, in any session: never a 5xx; in a json
    or xml session, an action's answer is the envelope; html pages it leads to work."""
    session = session_for(data.draw, variant)
    wire = data.draw(wire_requests(session), label="request")
    assume(not could_lock_out_the_test_user(wire))
    response = send(session, wire)
    check_answer(session, wire, response)
    if wire.route is not None and response.status_code < 400 and wire.method != "HEAD":
        follow_redirects(session, response)


@fuzz_settings(max_examples=20)
@given(route=st.sampled_from(sorted(ACTION_ROUTES)),
       session_type=st.sampled_from(["json", "xml", "html"]), logged_in=st.booleans(),
       households=st.lists(valid_households(), min_size=1, max_size=3),
       credentials=st.sampled_from([(TEST_USER, TEST_PASSWORD), (TEST_USER, "wrong"),
                                    ("nobody", "x")]))
def test_http_basic_credentials_on_the_action_api(variant, route, session_type, logged_in,
                                                   households, credentials):
    """HTTP Basic is for the resource API, but the action API sees it too (it exempts from
    the CSRF token only a request without a session): every action, valid input, any
    session, never a server error."""
    session = open_session(variant, session_type, logged_in)
    path = ACTION_ROUTES[route].replace("{id}", "1").replace("{type}", session_type)
    headers = {"Authorization": basic_authorization(*credentials)}
    body = b""
    if route == "calculate-tax":
        headers["Content-Type"] = FORM_TYPE
        body = urllib.parse.urlencode(households[0][0]).encode()
    elif route == "calculate-taxes":
        headers["Content-Type"], body = batch_body(households, "json")
    param = {"init-session": session_type, "delete-simulation": "1"}.get(route)
    wire = WireRequest(NATURAL_METHOD.get(route, "POST"), route, path, headers=headers,
                       body=body, path_param=param)
    response = send(session, wire)
    check_answer(session, wire, response)
    follow_redirects(session, response)
