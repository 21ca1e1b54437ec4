"""A session nobody logged in to expires after ``impots.anonymous_session_timeout`` (600 s
by default), a logged-in one after ``impots.session_timeout``: anyone may start sessions,
and those must not hold Redis for two hours each.

Redis: a new session's key has the short TTL, and takes the long one at login (the login's
own write). Cookie: the cookie's own expiry check uses the short timeout while the session
has no user. For json sessions (the action API) and html ones (the pages) alike.
"""

import pytest
import webtest

from tests.actions.client import ActionClient
from tests.helpers import TEST_PASSWORD, TEST_USER, csrf_token, start

TIMEOUT = 7200  # the default; its refresh window is 60 s
ANONYMOUS = 600  # the default anonymous timeout
HOST = {"HTTP_HOST": "example.com"}





def the_key(store) -> bytes:
    [key] = [key for key in store.keys() if not key.startswith(b"LIMITS")]
    return key


@pytest.fixture
def cookie_app(make_app, cookie_clock):
    return make_app(**{"session.type": "cookie", "impots.session_timeout": str(TIMEOUT)})


@pytest.fixture
def redis_app(make_app, redis_url, store, redis_clock):
    return make_app(**{"session.type": "redis", "redis.sessions.url": redis_url,
                       "impots.session_timeout": str(TIMEOUT)})


def anonymous_status(client) -> tuple:
    """401 while the session lives (not logged in), 400 once it is gone (no session)."""
    status, data = client.get("/list-simulations")
    assert data["status"] == 101
    return status


def page(browser, path="/display-authentication-view"):
    """The login page while the session lives; gone: back to init-session."""
    return browser.get(path, status="*")


# The action API's json sessions -----------------------------------------------------------

def test_an_anonymous_cookie_session_expires_after_the_short_timeout(cookie_app, cookie_clock):
    client = ActionClient(cookie_app)
    assert client.init()[1]["status"] == 700
    cookie_clock(59)  # within the refresh window: the cookie is not rewritten
    assert anonymous_status(client) == 401
    last_request = 59 + ANONYMOUS  # idle for the short timeout since its last request
    cookie_clock(last_request)
    assert anonymous_status(client) == 401  # renewed: a new cookie
    cookie_clock(last_request + ANONYMOUS + 61)  # the short timeout and the window past it
    assert anonymous_status(client) == 400


def test_an_anonymous_cookie_session_is_refused_after_the_short_timeout(cookie_app,
                                                                        cookie_clock):
    client = ActionClient(cookie_app)
    client.init()
    cookie_clock(ANONYMOUS + 61)
    assert anonymous_status(client) == 400


def test_a_logged_in_cookie_session_keeps_the_long_timeout(cookie_app, cookie_clock):
    client = ActionClient(cookie_app)
    client.start()
    cookie_clock(ANONYMOUS + 61)
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (200, 500)


def test_a_new_redis_session_has_the_short_ttl_and_the_long_one_after_login(redis_app,
                                                                           store):
    client = ActionClient(redis_app)
    assert client.init()[1]["status"] == 700
    key = the_key(store)
    assert 0 < store.ttl(key) <= ANONYMOUS
    status, data = client.login(TEST_USER, TEST_PASSWORD)
    assert (status, data["status"]) == (200, 200)
    key = the_key(store)  # rotated at login
    assert TIMEOUT < store.ttl(key) <= TIMEOUT + 60


def test_an_anonymous_redis_session_lives_the_short_timeout_after_its_last_request(
        redis_app, store, redis_clock):
    client = ActionClient(redis_app)
    client.init()
    key = the_key(store)
    store.expire(key, 1000)  # a TTL the test can tell from a rewritten one
    redis_clock(ANONYMOUS - 1)
    assert anonymous_status(client) == 401
    # Each request of a session nobody logged in to rewrites it: short TTL, short expiry.
    assert the_key(store) == key and store.ttl(key) <= ANONYMOUS
    redis_clock(2 * ANONYMOUS - 2)
    assert anonymous_status(client) == 401
    redis_clock(3 * ANONYMOUS - 1)  # idle one second more than the short timeout
    assert anonymous_status(client) == 400


def test_a_logged_in_redis_session_keeps_the_long_timeout(redis_app, store, redis_clock):
    client = ActionClient(redis_app)
    client.start()
    redis_clock(ANONYMOUS + 61)
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (200, 500)


# The pages' html sessions -------------------------------------------------------------------

def test_an_anonymous_html_cookie_session_expires_a_logged_in_one_does_not(cookie_app,
                                                                          cookie_clock):
    anonymous = webtest.TestApp(cookie_app, extra_environ=HOST)
    start(anonymous)
    last_request = ANONYMOUS - 1
    cookie_clock(last_request)
    assert page(anonymous).status_int == 200
    cookie_clock(last_request + ANONYMOUS + 61)
    gone = page(anonymous)
    assert gone.status_int == 303 and gone.location.endswith("/init-session/html")

    cookie_clock(0)
    logged_in = webtest.TestApp(cookie_app, extra_environ=HOST)
    login_page = start(logged_in)
    logged_in.post("/authenticate-user", {"user": TEST_USER, "password": TEST_PASSWORD,
                                          "csrf_token": csrf_token(login_page)}, status=303)
    cookie_clock(ANONYMOUS + 61)
    assert page(logged_in, "/display-simulations-view").status_int == 200


def test_an_anonymous_html_redis_session_has_the_short_ttl_and_expiry(redis_app, store,
                                                                      redis_clock):
    browser = webtest.TestApp(redis_app, extra_environ=HOST)
    start(browser)  # init-session/html, then the login page
    assert 0 < store.ttl(the_key(store)) <= ANONYMOUS
    redis_clock(ANONYMOUS + 1)
    gone = page(browser)
    assert gone.status_int == 303 and gone.location.endswith("/init-session/html")


def test_an_html_redis_session_takes_the_long_ttl_at_its_login(redis_app, store,
                                                               redis_clock):
    browser = webtest.TestApp(redis_app, extra_environ=HOST)
    login_page = start(browser)
    browser.post("/authenticate-user", {"user": TEST_USER, "password": TEST_PASSWORD,
                                        "csrf_token": csrf_token(login_page)}, status=303)
    key = the_key(store)
    assert TIMEOUT < store.ttl(key) <= TIMEOUT + 60
    redis_clock(ANONYMOUS + 61)
    assert page(browser, "/display-simulations-view").status_int == 200
