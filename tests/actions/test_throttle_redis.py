"""With Redis sessions, failed-login counts live in Redis: every process sees them."""
import uuid

import pytest

from tests.actions.client import ActionClient
from tests.helpers import new_app

pytestmark = pytest.mark.redis


def test_failed_logins_are_counted_in_redis_across_processes(sqlite_url, redis_url):
    settings = {"session.type": "redis", "redis.sessions.url": redis_url}
    # Two "processes": each application has its own throttle.
    first, second = new_app(sqlite_url, **settings), new_app(sqlite_url, **settings)
    name = f"mallory-{uuid.uuid4().hex[:8]}"
    client = ActionClient(first)
    client.init()
    for _ in range(5):
        assert client.login(user=name, password="wrong")[0] == 401
    other = ActionClient(second)
    other.init()
    status, data = other.login(user=name, password="wrong")
    assert (status, data["status"]) == (429, 201)
    assert data["response"][0].startswith(f"too many failed logins for [{name}]")
