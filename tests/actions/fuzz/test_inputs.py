"""One input at a time, in a logged-in json or xml session (or an html one): valid
households and batches are computed, any form, batch body, XML with entities,
credentials, path or query parameter gets its action's own answer."""
import urllib.parse

from hypothesis import assume, given, strategies as st

from tests.actions.fuzz.fuzzing import (
    ENVELOPE_TYPES, LOGGED_IN_ENVELOPE_STATES, SERVER_ERRORS, WireRequest, check_answer,
    follow_redirects, fuzz_settings, open_session, send, unsafe_headers,
)
from tests.actions.fuzz.strategies import (
    BILLION_LAUGHS, FORM_TYPE, YEARS, batch_body, bodies, form_bodies, hostile_xml_bodies,
    path_params, quote_param, session_for, valid_households, value_bytes,
)
from tests.helpers import TEST_USER


def check_simulation(simulation, expected):
    assert {key: simulation[key] for key in expected} == expected, simulation
    assert isinstance(simulation["tax"], int) and simulation["tax"] >= 0, simulation
    for figure in ("surcharge", "discount", "reduction"):
        assert simulation[figure] >= 0, simulation
    assert 0 <= simulation["rate"] <= 1, simulation


@fuzz_settings(max_examples=30)
@given(data=st.data(), household=valid_households())
def test_valid_households_are_computed(sampled_variant, data, household):
    """A valid household is never refused: HTTP 200, status 300, a tax >= 0."""
    form, expected = household
    session = session_for(data.draw, sampled_variant, LOGGED_IN_ENVELOPE_STATES)
    wire = WireRequest("POST", "calculate-tax", "/calculate-tax",
                       headers=unsafe_headers(session, **{"Content-Type": FORM_TYPE}),
                       body=urllib.parse.urlencode(form).encode())
    response = send(session, wire)
    answer = check_answer(session, wire, response)
    assert (response.status_code, answer["status"]) == (200, 300), answer
    check_simulation(answer["response"], expected)


@fuzz_settings(max_examples=20)
@given(data=st.data(), households=st.lists(valid_households(), min_size=1, max_size=6),
       kind=st.sampled_from(["json", "csv", "xml"]))
def test_valid_batches_are_computed(sampled_variant, data, households, kind):
    session = session_for(data.draw, sampled_variant, LOGGED_IN_ENVELOPE_STATES)
    content_type, body = batch_body(households, kind)
    wire = WireRequest("POST", "calculate-taxes", "/calculate-taxes", body=body,
                       headers=unsafe_headers(session, **{"Content-Type": content_type}))
    response = send(session, wire)
    answer = check_answer(session, wire, response)
    assert (response.status_code, answer["status"]) == (200, 1500), answer
    assert len(answer["response"]) == len(households)
    for simulation, (_, expected) in zip(answer["response"], households):
        check_simulation(simulation, expected)
    assert [s["id"] for s in answer["response"]] == list(range(1, len(households) + 1))


@fuzz_settings(max_examples=10)
@given(household=valid_households())
def test_valid_households_are_computed_in_html(sampled_variant, household):
    """The calculation form of an html session: 303 to the page with the result, no error."""
    form, expected = household
    session = open_session(sampled_variant, "html", True)
    response = session.browser.post("/calculate-tax", {**form, "csrf_token": session.token},
                                    status="*")
    assert response.status_code == 303, response.status
    page = session.browser.get(response.headers["Location"])
    SERVER_ERRORS.assert_none("the calculation form")
    assert page.request.path == "/display-tax-calculation-view"
    assert 'class="result"' in page.text and "field-error" not in page.text, page.text


@fuzz_settings(max_examples=40)
@given(data=st.data())
def test_any_form_on_calculate_tax_is_computed_or_refused_field_by_field(sampled_variant, data):
    """With the token and a login, any form gets 300 or 301 (HTTP 400), never anything else."""
    session = session_for(data.draw, sampled_variant, LOGGED_IN_ENVELOPE_STATES)
    content_type, body = data.draw(form_bodies())
    wire = WireRequest("POST", "calculate-tax", "/calculate-tax", body=body,
                       headers=unsafe_headers(session, **{"Content-Type": content_type}))
    response = send(session, wire)
    answer = check_answer(session, wire, response)
    assert (response.status_code, answer["status"]) in {(200, 300), (400, 301)}, answer
    if answer["status"] == 301:
        assert answer["response"] and all(isinstance(m, str) and "[" in m
                                          for m in answer["response"]), answer


@fuzz_settings(max_examples=50)
@given(data=st.data())
def test_any_batch_body_is_computed_or_refused(sampled_variant, data):
    """calculate-taxes with any body and content type: 1500, or 1501 with 400, 413 or 415."""
    session = session_for(data.draw, sampled_variant, LOGGED_IN_ENVELOPE_STATES)
    content_type, body = data.draw(bodies())
    headers = unsafe_headers(session, **{"Content-Type": content_type})
    wire = WireRequest("POST", "calculate-taxes", "/calculate-taxes", headers=headers, body=body)
    response = send(session, wire)
    answer = check_answer(session, wire, response)
    assert (response.status_code, answer["status"]) in {
        (200, 1500), (400, 1501), (413, 1501), (415, 1501)}, answer


@fuzz_settings(max_examples=15)
@given(data=st.data(), body=st.one_of(st.just(BILLION_LAUGHS), hostile_xml_bodies()),
       content_type=st.sampled_from(["application/xml", "text/xml", "application/atom+xml"]))
def test_entities_in_xml_are_refused_with_400(sampled_variant, data, body, content_type):
    """defusedxml refuses DTDs and entities: 400 and 1501, never a 500, nothing expanded."""
    session = session_for(data.draw, sampled_variant, LOGGED_IN_ENVELOPE_STATES)
    wire = WireRequest("POST", "calculate-taxes", "/calculate-taxes",
                       headers=unsafe_headers(session, **{"Content-Type": content_type}), body=body)
    response = send(session, wire)
    answer = check_answer(session, wire, response)
    assert (response.status_code, answer["status"]) == (400, 1501), answer
    assert answer["response"][0].startswith("forbidden XML construct"), answer


@fuzz_settings(max_examples=25)
@given(data=st.data(), user=st.text(max_size=30), password=st.text(max_size=30),
       session_type=st.sampled_from(["json", "xml", "html"]))
def test_any_credentials_get_a_login_answer(sampled_variant, data, user, password, session_type):
    """authenticate-user with any user name and password: 200, or 201 with 400, 401, 429;
    an html session answers 303 to the page that says so."""
    assume(user != TEST_USER)  # the suite's user must not be throttled (see above)
    session = open_session(sampled_variant, session_type, False)
    form = {"user": user, "password": password}
    if session_type == "html":
        form["csrf_token"] = session.token
    response = session.browser.post("/authenticate-user", form,
                                    headers=unsafe_headers(session), status="*")
    if session_type == "html":
        assert response.status_code == 303, response.status
        follow_redirects(session, response)
        return
    wire = WireRequest("POST", "authenticate-user", "/authenticate-user")
    answer = check_answer(session, wire, response)
    assert (response.status_code, answer["status"]) in {
        (200, 200), (400, 201), (401, 201), (429, 201)}, answer


@fuzz_settings(max_examples=30)
@given(data=st.data(), param=path_params, year=value_bytes)
def test_path_and_query_parameters_get_their_action_answers(sampled_variant, data, param, year):
    """init-session/{type}, delete-simulation/{id} and get-admindata?year= with any value:
    the action's own success or failure, never anything else."""
    session = session_for(data.draw, sampled_variant, LOGGED_IN_ENVELOPE_STATES)
    quoted = quote_param(param)
    matches = bool(param) and "/" not in param

    wire = WireRequest("POST", "delete-simulation", f"/delete-simulation/{quoted}",
                       headers=unsafe_headers(session), path_param=param)
    response = send(session, wire)
    answer = check_answer(session, wire, response)
    if matches:  # a new session has no simulation to delete
        assert (response.status_code, answer["status"]) == (404, 601), answer

    wire = WireRequest("GET", "get-admindata", "/get-admindata",
                       query="year=" + urllib.parse.quote_from_bytes(year))
    answer = check_answer(session, wire, send(session, wire))
    assert answer["status"] in (1000, 1001), answer
    if year.strip() in {str(y).encode() for y in YEARS}:
        assert answer["status"] == 1000 and answer["response"]["tax_year"] == int(year), answer

    wire = WireRequest("GET", "init-session", f"/init-session/{quoted}", path_param=param)
    response = send(session, wire)
    answer = check_answer(session, wire, response)
    if matches and param != "html":
        expected = (200, 700) if param in ENVELOPE_TYPES else (400, 701)
        assert (response.status_code, answer["status"]) == expected, answer
