"""services.throttle: failed logins counted per name and per address, in memory or in
Redis (shared by every process), each attempt's place taken before its password is
checked and given back when it is right; the store chosen by the session settings."""
import uuid

import pytest

from impots_pyramid.services.throttle import (
    PER_ADDRESS, PER_NAME, WINDOW, LoginThrottle, MemoryCounts, RedisCounts, Throttled,
    login_throttle,
)


def a_new_name() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def wrong():
    return False


def right():
    return True


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def throttle(request):
    if request.param == "memory":
        yield LoginThrottle()
        return
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    yield LoginThrottle(RedisCounts(client))
    client.close()


def test_five_failures_from_one_address_block_it(throttle):
    name = a_new_name()
    for _ in range(PER_ADDRESS):
        assert throttle.attempt(name, "192.0.2.1", wrong) is False
    with pytest.raises(Throttled) as refused:
        throttle.attempt(name, "192.0.2.1", right)  # the right password too
    assert WINDOW - 5 <= refused.value.retry_after <= WINDOW
    assert throttle.attempt(name, "192.0.2.2", right) is True  # another address


def test_a_right_password_gives_its_place_back(throttle):
    name = a_new_name()
    for _ in range(PER_ADDRESS - 1):
        throttle.attempt(name, "192.0.2.1", wrong)
    for _ in range(10):
        assert throttle.attempt(name, "192.0.2.1", right) is True
    assert throttle.attempt(name, "192.0.2.1", wrong) is False  # the 5th failure
    with pytest.raises(Throttled):
        throttle.attempt(name, "192.0.2.1", right)


def test_a_name_failed_from_many_addresses_refuses_those_that_failed(throttle):
    name = a_new_name()
    for number in range(PER_NAME):
        throttle.attempt(name, f"203.0.113.{number // (PER_ADDRESS - 1)}", wrong)
    with pytest.raises(Throttled):
        throttle.attempt(name, "203.0.113.0", right)
    assert throttle.attempt(name, "198.51.100.1", right) is True  # a fresh address
    assert throttle.attempt(name, "198.51.100.2", wrong) is False  # its one try
    with pytest.raises(Throttled):
        throttle.attempt(name, "198.51.100.2", right)


def test_names_are_counted_apart_and_exactly(throttle):
    for _ in range(PER_ADDRESS):
        throttle.attempt("admin", "192.0.2.9", wrong)
    for other in ("ADMIN", "admin ", "ädmin", "admin2"):
        assert throttle.attempt(other, "192.0.2.9", right) is True, other
    throttle.reset()
    assert throttle.attempt("admin", "192.0.2.9", right) is True


def test_an_error_while_checking_is_no_failure(throttle):
    name = a_new_name()

    def broken():
        raise ConnectionError("the database went away")

    for _ in range(PER_ADDRESS + 2):
        with pytest.raises(ConnectionError):
            throttle.attempt(name, "192.0.2.1", broken)
    assert throttle.attempt(name, "192.0.2.1", right) is True


def test_each_throttle_in_memory_counts_alone():
    first, second, name = LoginThrottle(), LoginThrottle(), a_new_name()
    for _ in range(PER_ADDRESS):
        first.attempt(name, "192.0.2.1", wrong)
    with pytest.raises(Throttled):
        first.attempt(name, "192.0.2.1", right)
    assert second.attempt(name, "192.0.2.1", right) is True


@pytest.mark.redis
def test_throttles_on_one_redis_share_their_counts(redis_url):
    """Two processes (here two throttles) see each other's failures."""
    import redis

    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    first, second = (LoginThrottle(RedisCounts(client)) for client in clients)
    name = a_new_name()
    for _ in range(PER_ADDRESS):
        first.attempt(name, "192.0.2.1", wrong)
    with pytest.raises(Throttled) as refused:
        second.attempt(name, "192.0.2.1", right)
    assert WINDOW - 5 <= refused.value.retry_after <= WINDOW
    for client in clients:
        client.close()


def test_cookie_sessions_count_in_memory(make_app):
    assert isinstance(login_throttle(make_app().registry).counts, MemoryCounts)


@pytest.mark.redis
def test_redis_sessions_count_in_their_redis(make_app, redis_url):
    app = make_app(**{"session.type": "redis", "redis.sessions.url": redis_url})
    counts = login_throttle(app.registry).counts
    assert isinstance(counts, RedisCounts)
    assert counts.client.ping()
