"""Fixtures of the HTML front end's tests: WebTest apps in an html session (rolled back
like the suite's testapp), one of them mounted at /impots with the prefix /do."""
import re

import pytest
import webtest

from impots_pyramid import main
from impots_pyramid.models import get_tm_session
from tests.conftest import TEST_PASSWORD, TEST_USER, base_settings

HOST = "http://example.com"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def html_settings(url, **overrides):
    return base_settings(url, **overrides)


@pytest.fixture(scope="session")
def html_app(sqlite_url):
    return main({}, **html_settings(sqlite_url))


@pytest.fixture(scope="session")
def mounted_app(sqlite_url):
    """The same, as under Apache's WSGIScriptAlias /impots with impots.url_prefix = /do."""
    return main({}, **html_settings(sqlite_url, **{"impots.url_prefix": "/do"}))


@pytest.fixture(scope="session")
def no_csrf_app(sqlite_url):
    return main({}, **html_settings(sqlite_url, **{"impots.csrf": "false"}))


def webtest_app(wsgi_app, tm, **environ):
    dbsession = get_tm_session(wsgi_app.registry["dbsession_factory"], tm)
    return webtest.TestApp(wsgi_app, extra_environ={
        "HTTP_HOST": "example.com",
        "tm.active": True,  # pyramid_tm leaves the transaction to the test
        "tm.manager": tm,
        "app.dbsession": dbsession,
        **environ,
    })


@pytest.fixture
def browser(html_app, tm):
    """A WebTest 'browser' (cookies kept) on a fresh session."""
    return webtest_app(html_app, tm)


@pytest.fixture
def mounted_browser(mounted_app, tm):
    return webtest_app(mounted_app, tm, SCRIPT_NAME="/impots")


@pytest.fixture
def no_csrf_browser(no_csrf_app, tm):
    return webtest_app(no_csrf_app, tm)


def csrf_token(response) -> str:
    return CSRF_FIELD.search(response.text).group(1)


def start(app):
    """init-session/html, followed to the authentication page."""
    return app.get("/init-session/html").follow()


def log_in(app, user=TEST_USER, password=TEST_PASSWORD):
    """Logged in: returns the calculation page."""
    page = start(app)
    answer = app.post("/authenticate-user", {"user": user, "password": password,
                                             "csrf_token": csrf_token(page)})
    assert answer.status_int == 303
    return answer.follow()


def calculate(app, page, married="yes", children="2", salary="55555"):
    """Submits the calculation form of ``page``; returns the 303 answer."""
    return app.post("/calculate-tax", {"married": married, "children": children,
                                       "salary": salary, "csrf_token": csrf_token(page)})


@pytest.fixture
def logged_in(browser):
    """(browser, calculation page) after a successful login."""
    return browser, log_in(browser)
