"""Redis sessions cost one command per request, and still expire as the spec says.

A request that changes nothing in its session only reads it (GET): no EXPIRE, no write.
The expiry travels in the session and is rewritten (SETEX) once it is due, at most once a
minute; a session lives at least ``impots.session_timeout`` seconds after its last
request, and is refused after that even while Redis still holds it.
"""
import json

import pytest

from tests.actions.client import ActionClient
from tests.apache.probes import RedisMonitor, redis_db

pytestmark = pytest.mark.redis

TIMEOUT = 7200  # the default; its refresh window is 60 s
HOUSEHOLD = {"married": "yes", "children": "2", "salary": "55555"}




@pytest.fixture
def client(make_app, redis_url, store, redis_clock):
    # The clock first: a session made on the real clock could be a second older than
    # redis_clock.start, and its expiry a second earlier than the test computes.
    app = make_app(**{"session.type": "redis", "redis.sessions.url": redis_url,
                      "impots.session_timeout": str(TIMEOUT)})
    client = ActionClient(app)
    client.start()
    return client


def the_session(store):
    [key] = [key for key in store.keys() if not key.startswith(b"impots:failed-logins:")]
    return key, json.loads(store.get(key))


def test_a_request_that_changes_nothing_only_reads_its_session(client, store, redis_url):
    client.calculate(**HOUSEHOLD)  # the first notes the session's activity (a write)
    database = redis_db(redis_url)
    with RedisMonitor(redis_url) as monitor:
        for _ in range(3):
            assert client.calculate(**HOUSEHOLD)[1]["status"] == 300
    # Only this database's commands: other clients of the server (other tests' databases)
    # are not the application's.
    used = [command["command"].split()[0].lower() for command in monitor.commands
            if int(command["db"]) == database]
    assert used == ["get"] * 3


def test_the_expiry_is_rewritten_once_due_and_outlives_the_last_request(client, store,
                                                                        redis_clock):
    client.calculate(**HOUSEHOLD)  # the first notes the session's activity (a write)
    key, session = the_session(store)
    expires = session["x"]
    assert expires == redis_clock.start + TIMEOUT + 60
    store.expire(key, 1000)  # a TTL the test can tell from a rewritten one

    redis_clock(59)  # not yet due: neither the payload nor the TTL changes
    assert client.calculate(**HOUSEHOLD)[1]["status"] == 300
    assert the_session(store)[1]["x"] == expires and store.ttl(key) <= 1000

    # The worst case: idle for the whole timeout after a request that rewrote nothing.
    last_request = redis_clock(59 + TIMEOUT)
    assert client.calculate(**HOUSEHOLD)[1]["status"] == 300
    # Due: rewritten, with the full TTL, and the same id.
    rewritten_key, rewritten = the_session(store)
    assert rewritten_key == key and rewritten["x"] == last_request + TIMEOUT + 60
    assert store.ttl(key) > TIMEOUT


def test_a_session_is_refused_after_its_timeout_though_redis_still_holds_it(client, store,
                                                                            redis_clock):
    key, _ = the_session(store)
    redis_clock(TIMEOUT + 61)
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (400, 101)
    assert store.ttl(key) > 0  # Redis has not dropped it yet: the payload's expiry did
