"""One failure policy for the three interfaces (web.failures), replayed over HTTP: the
same throttle for every credential path, the same retry of a dropped connection, the same
405 with Allow, the same 503 with Retry-After; each answered in its interface's format."""

import pytest
import webtest
from sqlalchemy.engine import make_url

from impots_pyramid import main
from tests.actions.client import ActionClient
from tests.actions.test_reconnect import APPLICATION_NAME, drop_connections
from tests.helpers import TEST_PASSWORD, TEST_USER, base_settings, basic

LIMIT = 5  # failed logins of one name within 5 minutes
TAX = "/api/tax-years/2019/tax?married=yes&children=2&salary=55555"



def test_http_basic_guessing_is_throttled_on_the_resource_api(throttled_app):
    """The brute force of issue 16: wrong Basic passwords on /api, then the right one."""
    client = webtest.TestApp(throttled_app)
    for attempt in range(LIMIT):
        answer = client.get(TAX, headers=basic(TEST_USER, f"guess{attempt}"), status=401)
        assert answer.headers["WWW-Authenticate"] == 'Basic realm="impots"'
    for password in ("guess-again", TEST_PASSWORD):  # the right one too, for a while
        answer = client.get(TAX, headers=basic(TEST_USER, password), status=429)
        assert answer.content_type == "application/problem+json"
        assert 250 < int(answer.headers["Retry-After"]) <= 300
        assert answer.json["detail"].startswith(f"too many failed logins for [{TEST_USER}]")
    # Another name is not blocked by these failures.
    client.get(TAX, headers=basic("somebody-else", "x"), status=401)


def test_basic_failures_and_login_form_failures_share_one_counter(throttled_app):
    """Failures by HTTP Basic block authenticate-user, and the reverse."""
    client = webtest.TestApp(throttled_app)
    for attempt in range(LIMIT - 2):
        client.get(TAX, headers=basic(TEST_USER, f"guess{attempt}"), status=401)
    actions = ActionClient(throttled_app, "json")
    actions.init()
    for attempt in range(2):
        status, data = actions.login(TEST_USER, "wrong")
        assert (status, data["status"]) == (401, 201)
    status, data = actions.login(TEST_USER, TEST_PASSWORD)
    assert (status, data["status"]) == (429, 201), data
    client.get(TAX, headers=basic(TEST_USER, TEST_PASSWORD), status=429)


def test_a_throttled_name_gets_429_on_the_action_api_by_basic_too(throttled_app):
    for attempt in range(LIMIT):
        webtest.TestApp(throttled_app).get(TAX, headers=basic(TEST_USER, f"guess{attempt}"),
                                           status=401)
    client = webtest.TestApp(throttled_app)
    client.get("/init-session/json")
    answer = client.get("/list-simulations", headers=basic(TEST_USER, TEST_PASSWORD),
                        status=429)
    assert answer.json["status"] == 501 and "Retry-After" in answer.headers


@pytest.mark.postgresql
def test_the_resource_api_retries_a_dropped_connection_unseen(postgresql_url):
    """As the action API does (tests/actions/test_reconnect.py): the client never sees it."""
    url = make_url(postgresql_url).update_query_dict({"application_name": APPLICATION_NAME})
    client = webtest.TestApp(main({}, **base_settings(url.render_as_string(hide_password=False))))
    auth = basic(TEST_USER, TEST_PASSWORD)
    assert client.get(TAX, headers=auth).json["tax"] == 2815
    assert drop_connections(postgresql_url) >= 1
    assert client.get(TAX, headers=auth, status=200).json["tax"] == 2815


@pytest.mark.parametrize("path, allowed", [
    ("/list-simulations", "GET, HEAD"),               # an action
    ("/display-simulations-view", "GET, HEAD"),       # a page
    ("/health", "GET, HEAD"),
    ("/api/tax-years", "GET, HEAD"),                  # a resource
    ("/api/tax-years/2019/tax", "GET, HEAD, POST"),
    ("/api/openapi.json", "GET, HEAD"),
])
def test_a_method_no_view_takes_is_one_405_everywhere(testapp, path, allowed):
    answer = testapp.request(path, method="PUT", status=405,
                             headers=basic(TEST_USER, TEST_PASSWORD))
    assert answer.headers["Allow"] == allowed
    assert f"method PUT is not allowed here: use {allowed}" in answer.text


@pytest.mark.parametrize("path, kind", [
    ("/init-session/json", "application/json"),
    ("/display-authentication-view", "text/html"),
    ("/api/tax-years", "application/problem+json"),
])
def test_an_unreachable_session_store_is_503_with_retry_after_everywhere(
        sqlite_url, redis_url, path, kind):
    """A session made while Redis answered, then asked for when it does not (an app of
    the same secret on a Redis that is not there)."""
    client = webtest.TestApp(main({}, **base_settings(sqlite_url, **{
        "session.type": "redis", "redis.sessions.url": redis_url})))
    client.get("/init-session/html")
    client.app = main({}, **base_settings(sqlite_url, **{
        "session.type": "redis", "redis.sessions.url": "redis://127.0.0.1:1/0"}))
    answer = client.get(path, status=503)
    assert answer.content_type == kind
    assert answer.headers["Retry-After"] == "5"
    assert "the session store is unavailable: try again in a few seconds" in answer.text


def test_a_refused_body_is_freed_at_once_not_by_the_garbage_collector(testapp):
    """Pyramid keeps a handled exception on the request, and its traceback's frames hold
    the body: without the failure policy's release, each refused 8 MB body stayed until
    a full collection (the server grew by tens of MB per refused request)."""
    import gc
    import tracemalloc

    body = b"married\n" + b"y\n" * 3_000_000  # 6 MB, far more than batch_max households
    headers = {**basic(TEST_USER, TEST_PASSWORD), "Content-Type": "text/csv"}
    gc.disable()
    tracemalloc.start()
    try:
        for _ in range(3):
            testapp.post("/api/tax-years/2019/tax", body, headers=headers, status=413)
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert held < 5_000_000, f"{held / 1e6:.1f} MB still held after the answers"
