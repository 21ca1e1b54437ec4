"""Fixtures of the HTML front end's tests: WebTest apps in an html session (rolled back
like the suite's testapp), one of them mounted at /impots with the prefix /do."""
import pytest
import webtest

from impots_pyramid import main
from impots_pyramid.models import get_tm_session
from tests.helpers import base_settings, log_in


@pytest.fixture(scope="session")
def html_app(sqlite_url):
    return main({}, **base_settings(sqlite_url))


@pytest.fixture(scope="session")
def mounted_app(sqlite_url):
    """The same, as under Apache's WSGIScriptAlias /impots with impots.url_prefix = /do."""
    return main({}, **base_settings(sqlite_url, **{"impots.url_prefix": "/do"}))


@pytest.fixture(scope="session")
def no_csrf_app(sqlite_url):
    return main({}, **base_settings(sqlite_url, **{"impots.csrf": "false"}))


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


@pytest.fixture
def logged_in(browser):
    """(browser, calculation page) after a successful login."""
    return browser, log_in(browser)
