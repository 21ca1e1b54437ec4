"""Fixtures of the HTML front end's tests: WebTest apps in an html session (rolled back
like the suite's testapp), one of them mounted at /impots with the prefix /do."""
import pytest

from tests.helpers import log_in, transactional_testapp


@pytest.fixture
def browser(app, tm):
    """A WebTest 'browser' (cookies kept) on a fresh session."""
    return transactional_testapp(app, tm)


@pytest.fixture
def mounted_browser(make_app, tm):
    """The same, as under Apache's WSGIScriptAlias /impots with impots.url_prefix = /do."""
    return transactional_testapp(make_app(**{"impots.url_prefix": "/do"}), tm,
                                 SCRIPT_NAME="/impots")


@pytest.fixture
def no_csrf_browser(make_app, tm):
    return transactional_testapp(make_app(**{"impots.csrf": "false"}), tm)


@pytest.fixture
def logged_in(browser):
    """(browser, calculation page) after a successful login."""
    return browser, log_in(browser)
