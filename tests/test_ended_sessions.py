"""An ended session's cookie is worthless: copies of it are logged out.

A cookie session holds its user and its owner key; the server remembers its end through
the owner row (``session_owners``), deleted by end-session and by impots-purge. A Redis
session's data goes at its end. Either way, a copy of the cookie taken before the end
is refused afterwards (101 / 401, or the login page), and a fresh login still works,
under a new owner key.
"""
import pytest
import sqlalchemy as sa
import webtest

from impots_pyramid import main
from impots_pyramid.models import SessionOwner, Simulation, get_engine
from impots_pyramid.web.sessions import COOKIE_NAME
from tests.actions.client import ActionClient
from tests.helpers import TEST_PASSWORD, TEST_USER, base_settings, calculate, csrf_token, log_in

BACKENDS = ["cookie", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(scope="module", params=BACKENDS)
def app(request, sqlite_url):
    """An app that commits, on each session back end."""
    settings = {"session.type": request.param}
    if request.param == "redis":
        settings["redis.sessions.url"] = request.getfixturevalue("redis_url")
    return main({}, **base_settings(sqlite_url, **settings))


@pytest.fixture(scope="module")
def cookie_app(sqlite_url):
    return main({}, **base_settings(sqlite_url, **{"session.type": "cookie"}))


@pytest.fixture(scope="module")
def engine(sqlite_url):
    engine = get_engine({"sqlalchemy.url": sqlite_url})
    yield engine
    engine.dispose()


def copy_of(client: ActionClient) -> ActionClient:
    """Another client holding a copy of ``client``'s cookie and CSRF token."""
    twin = ActionClient(client.app.app, client.type)
    twin.app.set_cookie(COOKIE_NAME, client.app.cookies[COOKIE_NAME])
    twin.token = client.token
    return twin


def assert_refused(client: ActionClient) -> None:
    status, data = client.calculate(married="no", children="0", salary="31000")
    assert data["status"] == 101 and status in (400, 401), data
    status, data = client.get("/list-simulations")
    assert data["status"] == 101 and status in (400, 401), data


def owner_of(engine, salary: int) -> str:
    with engine.connect() as connection:
        return connection.scalar(sa.select(Simulation.owner).where(Simulation.salary == salary))


def owner_row_exists(engine, owner: str) -> bool:
    with engine.connect() as connection:
        return connection.scalar(sa.select(SessionOwner.key).where(SessionOwner.key == owner)) \
            is not None


def test_a_copy_of_the_cookie_is_refused_after_end_session(app, engine):
    client = ActionClient(app).start()
    assert client.calculate(married="yes", children="2", salary="40001")[1]["status"] == 300
    copy = copy_of(client)
    assert copy.simulations()[0]["salary"] == 40001  # the copy is the session, until its end
    copy = copy_of(client)  # the cookie as it was just before the end
    assert client.end()[1]["status"] == 400
    assert_refused(copy)
    assert_refused(client)  # the ended session itself, of course
    # A fresh login from the copy is a new session: nothing of the old one.
    assert copy.init()[1]["status"] == 700
    assert copy.login()[1]["status"] == 200
    assert copy.simulations() == []


def test_a_copy_of_the_cookie_is_refused_after_end_session_on_a_page(app):
    browser = webtest.TestApp(app)
    page = log_in(browser)
    assert calculate(browser, page).status_int == 303
    stolen = browser.cookies[COOKIE_NAME]
    listing = browser.get("/display-simulations-view")
    assert browser.post("/end-session", {"csrf_token": csrf_token(listing)}).status_int == 303
    thief = webtest.TestApp(app)
    thief.set_cookie(COOKIE_NAME, stolen)
    for path in ("/display-simulations-view", "/display-tax-calculation-view"):
        answer = thief.get(path)
        while answer.status_int in (302, 303):
            answer = answer.follow()
        assert 'name="password"' in answer.text  # the authentication page
        assert "55555" not in answer.text


def test_a_purged_owner_row_logs_the_cookie_out_and_a_new_login_gets_a_new_key(
        cookie_app, engine):
    """impots-purge deletes the owner rows of idle sessions: a cookie naming one is
    logged out (the session and every copy of it); logging in again makes a new key, so
    the copies stay refused."""
    client = ActionClient(cookie_app).start()
    assert client.calculate(married="no", children="1", salary="40002")[1]["status"] == 300
    owner = owner_of(engine, 40002)
    copy = copy_of(client)
    with engine.begin() as connection:  # what impots-purge does to an idle session
        connection.execute(sa.delete(Simulation).where(Simulation.owner == owner))
        connection.execute(sa.delete(SessionOwner).where(SessionOwner.key == owner))
    assert_refused(client)
    assert client.init()[1]["status"] == 700  # a new session: a new CSRF token
    status, data = client.login()
    assert (status, data["status"]) == (200, 200), data
    assert client.calculate(married="no", children="1", salary="40003")[1]["status"] == 300
    assert [s["id"] for s in client.simulations()] == [1]
    assert owner_of(engine, 40003) != owner
    assert not owner_row_exists(engine, owner)
    assert_refused(copy)


def test_basic_credentials_do_not_revive_an_ended_cookie(cookie_app, engine):
    """A copied cookie sent with someone's HTTP Basic credentials calculates as that
    user, under a new owner key: the ended key gets no row again, so the copy alone stays
    logged out."""
    client = ActionClient(cookie_app).start()
    assert client.calculate(married="no", children="0", salary="40004")[1]["status"] == 300
    owner = owner_of(engine, 40004)
    copy, second_copy = copy_of(client), copy_of(client)
    assert client.end()[1]["status"] == 400
    copy.app.authorization = ("Basic", (TEST_USER, TEST_PASSWORD))
    status, data = copy.calculate(married="no", children="0", salary="40005")
    assert (status, data["status"]) == (200, 300), data
    assert not owner_row_exists(engine, owner)
    assert owner_of(engine, 40005) != owner
    copy.app.authorization = None
    assert_refused(copy)  # the session it carries now is logged out
    assert_refused(second_copy)
