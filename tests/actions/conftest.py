import types

import pytest
import redis
from pyramid import session as pyramid_session
from pyramid_session_redis import session as redis_session
from pyramid_session_redis import util as redis_session_util

from impots_pyramid.web import sessions
from tests.actions.client import ActionClient
from tests.helpers import transactional_testapp

SESSION_BACKENDS = ["cookie", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=["json", "xml"])
def response_type(request):
    return request.param


@pytest.fixture(params=SESSION_BACKENDS)
def session_settings(request):
    if request.param == "redis":
        return {"session.type": "redis",
                "redis.sessions.url": request.getfixturevalue("redis_url")}
    return {"session.type": "cookie"}


@pytest.fixture
def make_client(app, tm, dbsession, response_type):
    """Clients of the rolled-back test app (cookie sessions), in the test's format."""
    def make():
        return ActionClient(transactional_testapp(app, tm, dbsession), response_type)
    return make


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def committed_app(make_app, session_settings):
    """An app that really commits (threads, concurrency), on each session back end."""
    return make_app(**session_settings)


# -- the session libraries' clocks, moved by the expiry tests -----------------------------

def moved_clock(start):
    """``at(offset)`` moves the clock to ``start + offset`` and returns that moment."""
    now = {"offset": 0}

    def at(offset):
        now["offset"] = offset
        return start + offset

    at.start = start
    at.now = lambda: start + now["offset"]
    return at


@pytest.fixture
def cookie_clock(monkeypatch):
    """The clock of Pyramid's cookie sessions and of web.sessions' anonymous check."""
    at = moved_clock(float(int(pyramid_session.time.time())))
    clock = types.SimpleNamespace(time=at.now)
    monkeypatch.setattr(pyramid_session, "time", clock)
    monkeypatch.setattr(sessions, "time", clock)
    return at


@pytest.fixture
def redis_clock(monkeypatch):
    """pyramid_session_redis's clock (whole seconds)."""
    at = moved_clock(redis_session_util.int_time())
    monkeypatch.setattr(redis_session, "int_time", at.now)
    monkeypatch.setattr(redis_session_util, "int_time", at.now)
    return at


@pytest.fixture
def store(redis_url):
    """The tests' Redis database, emptied: the only session in it is the test's."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()
