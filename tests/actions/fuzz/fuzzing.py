"""The machinery of the fuzz tests: Hypothesis settings, the applications they run on, the
server's error log, sessions opened for each example, requests sent as they are on the
wire, and what every answer must be."""
import dataclasses
import json
import logging
import re
from typing import Optional

import pytest
import webob
import webtest
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis.control import currently_in_test_context

from impots_pyramid.actions.table import ACTIONS
from impots_pyramid.html import PAGES as VIEW_ROUTES
from tests.actions.client import read_envelope
from tests.helpers import TEST_PASSWORD, TEST_USER, forget_failed_logins

ACTION_ROUTES = {name: action.pattern for name, action in ACTIONS.items()}


def fuzz_settings(max_examples):
    # database=None: no .hypothesis directory written into the repository. One bug per
    # test is shrunk, without the explain phase (several bugs, explained, take minutes);
    # test_found_by_fuzzing lists them all.
    return settings(max_examples=max_examples, deadline=None, database=None,
                    report_multiple_bugs=False,
                    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow,
                                           HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ---------------------------------------------------------------------------------------
# The applications: each session back end, with CSRF on (the default) and off (the
# course's clients). Made once (make_app): Hypothesis runs many examples per test.

@dataclasses.dataclass(frozen=True)
class Variant:
    app: object
    csrf: bool
    sessions: str


VARIANTS = [
    pytest.param(("cookie", True, "sqlite"), id="cookie-csrf"),
    pytest.param(("cookie", False, "sqlite"), id="cookie-nocsrf"),
    pytest.param(("redis", True, "sqlite"), id="redis-csrf", marks=pytest.mark.redis),
    pytest.param(("redis", False, "sqlite"), id="redis-nocsrf", marks=pytest.mark.redis),
]


# PostgreSQL refuses what SQLite stores (a NUL in a string): one sampled variant runs on it.
ON_POSTGRESQL = pytest.param(("redis", False, "postgresql"), id="redis-nocsrf-postgresql",
                             marks=[pytest.mark.redis, pytest.mark.postgresql])


def build_variant(request) -> Variant:
    sessions, csrf, database = request.param
    overrides = {"impots.csrf": "true" if csrf else "false"}
    if sessions == "redis":
        overrides.update({"session.type": "redis",
                          "redis.sessions.url": request.getfixturevalue("redis_url")})
    database_url = request.getfixturevalue(f"{database}_url")
    make_app = request.getfixturevalue("make_app")
    return Variant(make_app(database_url, **overrides), csrf, sessions)


# ---------------------------------------------------------------------------------------
# The server's error log: an html session turns an unexpected error (131) into a 303 to
# the errors page, so the status alone cannot tell; the log can.

class ServerErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def assert_none(self, what):
        logged = "\n".join(self.format(record) for record in self.records)
        self.records.clear()
        assert not logged, f"{what}: the server logged an error:\n{logged}"


SERVER_ERRORS = ServerErrorLog()


# ---------------------------------------------------------------------------------------
# Sessions: every example starts its own, so that examples never see each other.

HTML_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
SESSION_COOKIE = "impots_session"


@dataclasses.dataclass
class Session:
    browser: webtest.TestApp
    type: Optional[str]        # json, xml, html, or None (no session yet, forged cookie)
    token: Optional[str]       # the CSRF token the server expects now


def _html_token(page) -> str:
    return HTML_CSRF_FIELD.search(page.text).group(1)


def open_session(variant, session_type, logged_in, forged_cookie="") -> Session:
    SERVER_ERRORS.records.clear()
    # Each example starts with no failed login behind it (wrong Basic credentials of
    # earlier examples would block the test user's login).
    forget_failed_logins(variant.app)
    browser = webtest.TestApp(variant.app)
    session = Session(browser, session_type, None)
    if session_type is None:
        if forged_cookie:
            browser.set_cookie(SESSION_COOKIE, forged_cookie)
        return session
    if session_type == "html":
        page = browser.get("/init-session/html").maybe_follow()
        session.token = _html_token(page)
        if logged_in:
            page = browser.post("/authenticate-user", {
                "user": TEST_USER, "password": TEST_PASSWORD, "csrf_token": session.token,
            }).maybe_follow()
            assert page.request.path == "/display-tax-calculation-view", page.text
            session.token = _html_token(page)
    else:
        data = read_envelope(browser.get(f"/init-session/{session_type}"))
        assert data["status"] == 700, data
        session.token = data.get("csrf_token")
        if logged_in:
            data = read_envelope(browser.post(
                "/authenticate-user", {"user": TEST_USER, "password": TEST_PASSWORD},
                headers={"X-CSRF-Token": session.token} if session.token else {}))
            assert data["status"] == 200, data
            session.token = data.get("csrf_token")
    SERVER_ERRORS.assert_none(f"opening a {session_type} session")
    return session


# ---------------------------------------------------------------------------------------
# Requests sent as they are on the wire (percent-encoded path and query, raw body bytes).

@dataclasses.dataclass
class WireRequest:
    method: str
    route: Optional[str]       # the route aimed at, None for an unknown path
    path: str                  # percent-encoded
    query: str = ""            # as on the wire
    headers: dict = dataclasses.field(default_factory=dict)
    body: bytes = b""
    path_param: Optional[str] = None  # init-session's type or delete-simulation's id, decoded

    @property
    def url(self) -> str:
        return self.path + ("?" + self.query if self.query else "")


def _decodable(path_info: str) -> bool:
    try:
        path_info.encode("latin-1").decode("utf-8")
        return True
    except UnicodeError:
        return False


def send(session: Session, wire: WireRequest):
    if currently_in_test_context():
        # Printed with a failing example: this Hypothesis shows the test's arguments blank.
        note(f"session {session.type}, sending {wire}")
    headers = {name: value for name, value in wire.headers.items() if value is not None}
    request = webtest.TestRequest.blank(wire.url, method=wire.method, headers=headers)
    if wire.body:
        request.body = wire.body
    if not _decodable(request.environ["PATH_INFO"]):
        # WebTest's cookie jar cannot read such a URL: the session cookie goes by hand,
        # and an exception the application lets out is what a server answers 500 to.
        cookies = "; ".join(f"{c.name}={c.value}" for c in session.browser.cookiejar)
        if cookies:
            request.headers["Cookie"] = cookies
        try:
            return request.get_response(session.browser.app)
        except Exception as exc:
            raise AssertionError(f"{wire}: the application raised {exc!r} "
                                 "(a WSGI server answers 500)") from exc
    return session.browser.do_request(request, status="*", expect_errors=True)


def could_lock_out_the_test_user(wire: WireRequest) -> bool:
    """A failed login as the test user counts towards its throttle (in Redis, shared with
    the rest of the suite): five of them would make the suite's logins answer 429."""
    if wire.route != "authenticate-user" or wire.method != "POST":
        return False
    copy = webob.Request.blank(wire.url, method="POST", headers={
        k: v for k, v in wire.headers.items() if v is not None}, body=wire.body)
    try:
        form = copy.POST
        user, password = form.get("user"), form.get("password")
    except Exception:  # whatever the application makes of it, it is no login
        return False
    return user == TEST_USER and password != TEST_PASSWORD


# ---------------------------------------------------------------------------------------
# What every answer must be.

ENVELOPE_TYPES = {"json": "application/json", "xml": "application/xml"}
ALL_ROUTES = {**ACTION_ROUTES, **VIEW_ROUTES, "home": "/"}


def expected_envelope_format(session: Session, wire: WireRequest) -> Optional[str]:
    """json or xml when the answer must be the envelope, else None."""
    if wire.route not in ACTION_ROUTES or session.type not in ENVELOPE_TYPES:
        return None
    if wire.method == "HEAD":
        return None  # no body
    if wire.path_param is not None and (not wire.path_param or "/" in wire.path_param):
        return None  # the route does not match: Pyramid's own 404
    if wire.route == "init-session":
        if wire.path_param == "html" and wire.method == "GET":
            return None  # switches to pages: a 303
        if wire.path_param in ENVELOPE_TYPES:
            # init-session answers in the type of its URL, failures (405...) included
            return wire.path_param
    return session.type


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def strict_json(body: bytes):
    """JSON as other languages read it: no NaN or Infinity (Python's json writes them)."""
    return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)


def check_answer(session: Session, wire: WireRequest, response):
    assert response.status_code < 500, (
        f"{wire.method} {wire.url} -> {response.status}\n{response.body[:2000]!r}")
    assert b"Traceback" not in response.body, response.body[:2000]
    SERVER_ERRORS.assert_none(f"{wire.method} {wire.url} -> {response.status}")
    envelope_format = expected_envelope_format(session, wire)
    if envelope_format is None:
        return None
    assert response.content_type == ENVELOPE_TYPES[envelope_format], (
        f"{wire.method} {wire.url} -> {response.status} {response.content_type}")
    assert response.charset == "utf-8"
    try:
        if envelope_format == "json":
            strict_json(response.body)
        data = read_envelope(response)
    except Exception as exc:
        raise AssertionError(f"{wire.method} {wire.url} -> {response.status}: not an envelope "
                             f"({exc!r}):\n{response.body[:2000]!r}") from exc
    assert {"action", "status", "response"} <= set(data), data
    assert data["action"] == wire.route, data
    assert isinstance(data["status"], int), data
    return data


def follow_redirects(session: Session, response, hops=3):
    """An html session's actions answer 303s: the pages they lead to must not fail either."""
    for _ in range(hops):
        location = response.headers.get("Location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            return response
        response = session.browser.get(location, status="*", expect_errors=True)
        assert response.status_code < 500, (location, response.status, response.body[:2000])
        assert b"Traceback" not in response.body
        SERVER_ERRORS.assert_none(f"GET {location} -> {response.status}")
    return response


LOGGED_IN_ENVELOPE_STATES = [("json", True), ("xml", True)]


def unsafe_headers(session: Session, **headers) -> dict:
    if session.token:
        headers["X-CSRF-Token"] = session.token
    return headers
