"""services.throttle: failed logins counted per name in a moving window, in memory or in
Redis (shared by every process), and the store chosen by the session settings."""
import uuid

import pytest
from limits import parse
from limits.storage import MemoryStorage, RedisStorage

from impots_pyramid.services.throttle import FAILED_LOGINS, LoginThrottle, login_throttle


def a_new_name() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def test_five_failures_in_five_minutes_block_a_name():
    assert (FAILED_LOGINS.amount, FAILED_LOGINS.get_expiry()) == (5, 300)
    throttle, name = LoginThrottle(), a_new_name()
    for _ in range(4):
        throttle.failed(name)
        assert throttle.retry_after(name) is None
    throttle.failed(name)
    assert 295 <= throttle.retry_after(name) <= 300


def test_names_are_counted_apart_and_exactly():
    throttle, name = LoginThrottle(limit=parse("1 per minute")), "admin"
    throttle.failed(name)
    assert throttle.retry_after(name) is not None
    for other in ("ADMIN", "admin ", "ädmin", "admin2"):
        assert throttle.retry_after(other) is None, other


def test_retry_after_counts_down_to_the_end_of_the_window():
    throttle, name = LoginThrottle(limit=parse("2 per minute")), a_new_name()
    throttle.failed(name)
    throttle.failed(name)
    assert 55 <= throttle.retry_after(name) <= 60


def test_each_throttle_in_memory_counts_alone():
    first, second, name = LoginThrottle(), LoginThrottle(), a_new_name()
    for _ in range(FAILED_LOGINS.amount):
        first.failed(name)
    assert first.retry_after(name) is not None
    assert second.retry_after(name) is None


@pytest.mark.redis
def test_throttles_on_one_redis_share_their_counts(redis_url):
    """Two processes (here two throttles) see each other's failures."""
    first, second, name = LoginThrottle(redis_url), LoginThrottle(redis_url), a_new_name()
    for _ in range(FAILED_LOGINS.amount):
        first.failed(name)
    assert 295 <= second.retry_after(name) <= 300


def test_cookie_sessions_count_in_memory(make_app):
    assert isinstance(login_throttle(make_app().registry).limiter.storage, MemoryStorage)


@pytest.mark.redis
def test_redis_sessions_count_in_their_redis(make_app, redis_url):
    app = make_app(**{"session.type": "redis", "redis.sessions.url": redis_url})
    storage = login_throttle(app.registry).limiter.storage
    assert isinstance(storage, RedisStorage)
    assert storage.check()  # it answers
