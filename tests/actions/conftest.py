import pytest

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
