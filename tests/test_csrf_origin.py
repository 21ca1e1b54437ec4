"""CSRF over HTTP (issue 17, point 3): the attacks replayed.

- A session is checked for its token whatever else the request carries: HTTP Basic
  credentials exempt only requests without a session (before, Basic bob with admin's
  session cookie deleted admin's simulation without a token).
- An unsafe request whose Origin (or, without it, Referer) names another site is refused,
  token or not, over HTTP as over HTTPS; pyramid.csrf_trusted_origins adds sites.
Each refusal is 121, HTTP 403, with a sentence, and writes nothing."""

import pytest

from impots_pyramid import main
from impots_pyramid.services.users import save_user
from tests.actions.client import ActionClient
from tests.helpers import base_settings, basic, csrf_token, log_in, transactional_testapp

EVIL = "https://evil.example"
HOUSEHOLD = {"married": "yes", "children": "2", "salary": "55555"}



@pytest.fixture
def admin(testapp):
    """admin logged in to a json session, with one simulation."""
    client = ActionClient(testapp, "json").start()
    status, data = client.calculate(**HOUSEHOLD)
    assert (status, data["status"]) == (200, 300), data
    return client


def refused(status_data, word):
    status, data = status_data
    assert (status, data["status"]) == (403, 121), data
    assert word in data["response"][0], data


def test_basic_credentials_do_not_exempt_a_session_from_its_token(admin, dbsession):
    """The attack of issue 17: Basic bob + admin's session cookie, no token."""
    save_user(dbsession, "bob", "bob's password")
    dbsession.flush()
    admin.token = None  # the attacker has the cookie, not the token
    refused(admin.post("/delete-simulation/1", headers=basic("bob", "bob's password")), "CSRF token")
    refused(admin.post("/end-session", headers=basic("bob", "bob's password")), "CSRF token")
    assert [s["id"] for s in admin.simulations()] == [1]


def test_basic_credentials_without_a_session_need_no_token(testapp):
    """An API client with Basic credentials and no session cookie: no token to send (it
    gets 101 for having no session, not 121)."""
    answer = testapp.post("/calculate-tax", HOUSEHOLD, headers=basic("admin", "admin"),
                          status=400)
    assert answer.json["status"] == 101


@pytest.mark.parametrize("headers", [
    {"Origin": EVIL},
    {"Origin": "null"},
    {"Origin": "https://example.com"},  # another scheme than the request's (http)
    {"Origin": "http://example.com:8080"},  # another port
    {"Referer": f"{EVIL}/page"},
    {"Sec-Fetch-Site": "cross-site"},
], ids=["origin", "origin-null", "other-scheme", "other-port", "referer", "sec-fetch-site"])
def test_a_request_from_another_site_is_refused_even_with_the_token(admin, headers):
    refused(admin.post("/calculate-tax", HOUSEHOLD, headers=headers),
            "cross-site request refused")
    refused(admin.post("/delete-simulation/1", headers=headers), "cross-site request refused")
    assert [s["id"] for s in admin.simulations()] == [1]


def test_the_origin_is_quoted_shortened(admin):
    long_origin = "https://" + "x" * 300 + ".example"
    status, data = admin.post("/calculate-tax", HOUSEHOLD, headers={"Origin": long_origin})
    assert status == 403 and len(data["response"][0]) < 250, data


@pytest.mark.parametrize("headers", [
    {"Origin": "http://example.com"},
    {"Origin": "http://EXAMPLE.com:80"},
    {"Referer": "http://example.com/display-tax-calculation-view"},
    {"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"},
    {},  # neither header: API clients, the token decides
])
def test_a_request_from_the_site_itself_passes(admin, headers):
    status, data = admin.post("/calculate-tax", HOUSEHOLD, headers=headers)
    assert (status, data["status"]) == (200, 300), data


@pytest.mark.parametrize("trusted", ["partner.example", "https://partner.example",
                                     "partner.example:443"])
def test_trusted_origins_pass(sqlite_url, tm, trusted):
    app = main({}, **base_settings(sqlite_url, **{"pyramid.csrf_trusted_origins":
                                                  f"other.example {trusted}"}))
    client = ActionClient(transactional_testapp(app, tm), "json").start()
    status, data = client.post("/calculate-tax", HOUSEHOLD,
                               headers={"Origin": "https://partner.example"})
    assert (status, data["status"]) == (200, 300), data
    refused(client.post("/calculate-tax", HOUSEHOLD, headers={"Origin": EVIL}),
            "cross-site request refused")


def test_html_pages_refuse_another_site_with_their_errors_page(app, tm):
    browser = transactional_testapp(app, tm)
    page = log_in(browser)
    answer = browser.post("/calculate-tax", {**HOUSEHOLD, "csrf_token": csrf_token(page)},
                          headers={"Origin": EVIL}, status=403)
    assert answer.content_type == "text/html"
    assert "cross-site request refused" in answer.text
    assert "Set-Cookie" not in answer.headers  # not even a message in the session
    assert 'class="simulations"' not in browser.get("/display-simulations-view").text
