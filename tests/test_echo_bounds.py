"""Echoed values are shortened in every error, and an html session stores bounded echoes,
so that a cookie session never passes the cookie size limit (issue 17, point 4)."""
import pytest
import webtest

from impots_pyramid import main
from impots_pyramid.web.echo import shorten
from tests.actions.client import ActionClient
from tests.api.conftest import basic
from tests.helpers import TEST_PASSWORD, TEST_USER, base_settings

LONG = "9" * 100_000
SHORT = f"{'9' * 40}… (100000 characters)"


def test_shorten():
    assert shorten("abc") == "abc" and shorten(12) == 12 and shorten(None) is None
    assert shorten("x" * 41) == f"{'x' * 40}… (41 characters)"
    assert shorten(10 ** 5000) == "a number of more than 40 digits"


def test_a_problem_document_quotes_a_100_kb_query_shortened(testapp):
    answer = testapp.get(f"/api/tax-years/2019/tax?married=yes&children=1&salary={LONG}",
                         headers=basic(TEST_USER, TEST_PASSWORD), status=400)
    assert len(answer.body) < 2000
    assert answer.json["errors"] == [{"field": "salary", "value": SHORT, "detail":
        f"invalid value [{SHORT}] for [salary]: a whole number of euros from 0 to "
        "1 000 000 000 expected"}]
    assert len(answer.json["instance"]) < 260
    assert answer.json["instance"].startswith("/api/tax-years/2019/tax?married=yes")


def test_a_batch_problem_quotes_values_shortened(testapp):
    body = '[{"married": "' + "m" * 100 + '", "children": 1, "salary": 1}]'
    answer = testapp.post("/api/tax-years/2019/tax", body, status=400, headers={
        **basic(TEST_USER, TEST_PASSWORD), "Content-Type": "application/json"})
    assert answer.json["errors"][0]["value"] == f"{'m' * 40}… (100 characters)"


def test_the_action_api_quotes_values_shortened(testapp):
    client = ActionClient(testapp).start()
    status, data = client.calculate(married="yes", children="1", salary=LONG)
    assert (status, data["status"]) == (400, 301)
    assert data["response"] == [f"invalid value [{SHORT}] for [salary]: a whole number of "
                                "euros from 0 to 1 000 000 000 expected"]
    status, data = client.get(f"/get-admindata?year={LONG}")
    assert (status, data["status"]) == (400, 1001)
    assert len(data["response"][0]) < 300


@pytest.fixture
def cookie_app(sqlite_url):
    return webtest.TestApp(main({}, **base_settings(sqlite_url)),
                           extra_environ={"HTTP_HOST": "example.com"})


def test_a_3000_char_year_in_an_html_cookie_session_gives_the_form_again(cookie_app):
    cookie_app.get("/init-session/html")
    page = cookie_app.get("/display-authentication-view")
    page = cookie_app.post("/authenticate-user", {
        "user": TEST_USER, "password": TEST_PASSWORD,
        "csrf_token": page.forms[0]["csrf_token"].value}).follow()
    token = page.forms[0]["csrf_token"].value
    answer = cookie_app.post("/calculate-tax", {
        "married": "m" * 4_000_000, "children": "c" * 3000, "salary": "1",
        "year": "2" * 3000, "csrf_token": token}, status=303)
    assert len(answer.headers["Set-Cookie"]) < 4096
    page = answer.follow()
    assert page.status_int == 200
    assert "2" * 41 not in page.text and "m" * 101 not in page.text
