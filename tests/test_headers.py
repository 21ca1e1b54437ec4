"""Security headers and the Host check (issue 17, point 6), over HTTP: every header on an
action answer, a page, an /api answer, /health and a static file; no-store on what depends
on a session or credentials, not on static files; 400 for a Host outside
impots.allowed_hosts, and no check without the setting."""
import base64

import pytest

from impots_pyramid import main
from impots_pyramid.settings import ConfigurationError, normalize
from tests.actions.client import ActionClient
from tests.helpers import base_settings
from tests.helpers import log_in, transactional_testapp

EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HTML_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
               "base-uri 'none'; frame-ancestors 'none'")
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
BASIC = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}


def check_headers(answer, policy, no_store=True):
    for name, value in EVERY_ANSWER.items():
        assert answer.headers.get(name) == value, (name, answer.headers)
    assert answer.headers["Content-Security-Policy"] == policy
    if no_store:
        assert answer.headers["Cache-Control"] == "no-store"


def test_an_action_answer(testapp):
    client = ActionClient(testapp, "json")
    answer = testapp.get("/init-session/json")  # sets the session cookie
    check_headers(answer, OTHER_POLICY)
    assert "Set-Cookie" in answer.headers
    client.start()
    status, data = client.calculate(married="yes", children="2", salary="55555")
    assert status == 200
    check_headers(testapp.get("/list-simulations"), OTHER_POLICY)  # the cookie, no Set-Cookie
    check_headers(testapp.get("/init-session/xml"), OTHER_POLICY)


def test_a_failure_answer(testapp):
    check_headers(testapp.post("/calculate-tax", {}, status=400), OTHER_POLICY, no_store=False)


def test_a_page_with_its_policy(app, tm):
    browser = transactional_testapp(app, tm)
    page = log_in(browser)
    check_headers(page, HTML_POLICY)
    # The templates hold no inline style or script, which the policy would block.
    for text in (page.text, browser.get("/display-simulations-view").text,
                 browser.get("/display-authentication-view").text):
        assert "<script" not in text and "style=" not in text and "<style" not in text
        assert "/static/impots.css" in text  # the application's own style sheet


def test_an_api_answer(testapp):
    check_headers(testapp.get("/api/tax-years", headers=BASIC), OTHER_POLICY)
    check_headers(testapp.get("/api/tax-years", headers={**BASIC, "Accept": "text/html"}),
                  HTML_POLICY)
    check_headers(testapp.get("/api/tax-years", status=401), OTHER_POLICY, no_store=False)


def test_health(testapp):
    answer = testapp.get("/health", status="*")
    check_headers(answer, OTHER_POLICY, no_store=False)


def test_a_static_file_keeps_its_cache_headers_even_in_a_session(testapp):
    testapp.get("/init-session/json")
    assert "impots_session" in testapp.cookies
    for url in ("/static/impots.css", "/static/logo.svg"):
        answer = testapp.get(url)
        check_headers(answer, OTHER_POLICY, no_store=False)
        assert answer.headers["Cache-Control"] == "max-age=3600"


def test_basic_requests_are_not_stored(testapp):
    answer = testapp.get("/api/tax-years/2019/tax?married=yes&children=2&salary=55555",
                         headers=BASIC)
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.fixture(scope="module")
def host_app(sqlite_url):
    return main({}, **base_settings(sqlite_url, **{
        "impots.allowed_hosts": "impots.example.org, localhost:6543 [::1]"}))


@pytest.mark.parametrize("host", ["impots.example.org", "impots.example.org:8443",
                                  "IMPOTS.example.org", "localhost:6543", "[::1]:6543"])
def test_allowed_hosts_pass(host_app, tm, host):
    answer = transactional_testapp(host_app, tm, HTTP_HOST=host).get("/init-session/json")
    assert answer.json["status"] == 700


@pytest.mark.parametrize("host", ["evil.example", "localhost", "localhost:80",
                                  "impots.example.org.evil.example", "x" * 500])
def test_other_hosts_are_400_before_anything_runs(host_app, tm, host):
    answer = transactional_testapp(host_app, tm, HTTP_HOST=host).get("/init-session/json", status=400)
    assert answer.content_type == "text/plain"
    assert answer.text.startswith(f"unknown host '{host[:100]}")
    assert len(answer.text) < 200
    assert "Set-Cookie" not in answer.headers  # no session opened
    check_headers(answer, OTHER_POLICY, no_store=False)


def test_without_the_setting_any_host_passes(app, tm):
    answer = transactional_testapp(app, tm, HTTP_HOST="anything.example").get("/init-session/json")
    assert answer.json["status"] == 700


def test_the_setting_is_checked_once(sqlite_url):
    settings = normalize(base_settings(sqlite_url, **{"impots.allowed_hosts": "a.example b:1"}))
    assert settings["impots.allowed_hosts"] == ("a.example", "b:1")
    assert normalize(base_settings(sqlite_url))["impots.allowed_hosts"] == ()
    with pytest.raises(ConfigurationError, match="impots.allowed_hosts"):
        normalize(base_settings(sqlite_url, **{"impots.allowed_hosts": "https://a.example/"}))
