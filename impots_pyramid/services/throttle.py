"""The failed-login throttle of every credential path (authenticate-user, the login form,
HTTP Basic), counted per user name and per client address.

The policy, with its figures:
- an address that failed ``PER_ADDRESS`` times (5) for one name within ``WINDOW`` (5
  minutes) is refused that name (429, Retry-After) until its oldest failure is 5
  minutes old, whatever the password;
- a name that failed ``PER_NAME`` times (20) within the window, from all addresses
  together, is refused to every address that failed for it in the window; an address
  with no failure for it may still try, and its first failure refuses it too. So
  guessing one name costs at most 20 tries per 5 minutes plus one per fresh address,
  while its owner, typing the right password from an address that has not failed, is
  never locked out by someone else's failures.
An attempt takes its place in both counts *before* the password is checked (one atomic
step: a Lua script in Redis, a lock in memory), and gives it back when the password is
right: parallel attempts cannot get past the limits while their passwords are checked.

The counts are in Redis when the sessions are (shared by every process), else in memory.
"""
import math
import secrets
import threading
import time

import redis

WINDOW = 300  # seconds
PER_ADDRESS = 5
PER_NAME = 20


class Throttled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _wait(oldest: float, now: float) -> int:
    return max(1, math.ceil(oldest + WINDOW - now))


class MemoryCounts:
    """{key: {token: moment}}, behind a lock (one process)."""

    def __init__(self):
        self._failures = {}
        self._lock = threading.Lock()

    def _live(self, key, now):
        moments = self._failures.get(key, {})
        for token in [t for t, moment in moments.items() if moment <= now - WINDOW]:
            del moments[token]
        return moments

    def reserve(self, name_key, address_key, token, now):
        """Seconds to wait if blocked, else None, the place taken (with a ``token``; None:
        only look)."""
        with self._lock:
            by_address, by_name = self._live(address_key, now), self._live(name_key, now)
            if len(by_address) >= PER_ADDRESS or (len(by_name) >= PER_NAME and by_address):
                return _wait(min(by_address.values()), now)
            if token is not None:
                for key in (address_key, name_key):
                    self._failures.setdefault(key, {})[token] = now
            return None

    def release(self, name_key, address_key, token):
        with self._lock:
            for key in (address_key, name_key):
                self._failures.get(key, {}).pop(token, None)

    def reset(self):
        with self._lock:
            self._failures.clear()


# KEYS: the address's sorted set, the name's; ARGV: token ("" to only look), now, window,
# per address, per name. Answers 0 when not blocked (the place taken with a token), else
# the oldest moment that blocks it.
_RESERVE = """
local since = tonumber(ARGV[2]) - tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', since)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', since)
local by_address = redis.call('ZCARD', KEYS[1])
local by_name = redis.call('ZCARD', KEYS[2])
if by_address >= tonumber(ARGV[4]) or (by_name >= tonumber(ARGV[5]) and by_address > 0) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return oldest[2]
end
if ARGV[1] ~= '' then
  for _, key in ipairs(KEYS) do
    redis.call('ZADD', key, ARGV[2], ARGV[1])
    redis.call('EXPIRE', key, ARGV[3])
  end
end
return 0
"""
KEY_PREFIX = "impots:failed-logins:"


class RedisCounts:
    """Sorted sets of failure moments in Redis, changed by one script per attempt."""

    def __init__(self, client: redis.Redis):
        self.client = client
        self._reserve = client.register_script(_RESERVE)

    def reserve(self, name_key, address_key, token, now):
        oldest = self._reserve(keys=[KEY_PREFIX + address_key, KEY_PREFIX + name_key],
                               args=[token or "", now, WINDOW, PER_ADDRESS, PER_NAME])
        return None if float(oldest) == 0 else _wait(float(oldest), now)

    def release(self, name_key, address_key, token):
        with self.client.pipeline() as pipe:
            for key in (address_key, name_key):
                pipe.zrem(KEY_PREFIX + key, token)
            pipe.execute()

    def reset(self):
        for key in self.client.scan_iter(KEY_PREFIX + "*"):
            self.client.delete(key)


class LoginThrottle:
    def __init__(self, counts=None):
        self.counts = counts if counts is not None else MemoryCounts()

    def attempt(self, login: str, address: str, check) -> bool:
        """``check()`` (the password's verification) if ``login`` may try from
        ``address`` now, its place taken in the counts until it says the password is
        right; raises Throttled otherwise."""
        name_key, address_key = f"name:{login}", f"address:{address}:{login}"
        token = secrets.token_hex(8)
        wait = self.counts.reserve(name_key, address_key, token, time.time())
        if wait is not None:
            raise Throttled(wait)
        try:
            right = check()
        except BaseException:  # not the client's failure (a database down...)
            self.counts.release(name_key, address_key, token)
            raise
        if right:
            self.counts.release(name_key, address_key, token)
        return right

    def check(self, login: str, address: str) -> None:
        """Throttled if ``login`` may not try from ``address`` now (nothing counted): for
        credentials already known to be right, which cannot fail."""
        wait = self.counts.reserve(f"name:{login}", f"address:{address}:{login}", None,
                                   time.time())
        if wait is not None:
            raise Throttled(wait)

    def reset(self) -> None:
        """Forget every failure (tests, and an administrator after an attack)."""
        self.counts.reset()


def login_throttle(registry) -> LoginThrottle:
    return registry["login_throttle"]


def includeme(config):
    settings = config.get_settings()
    counts = None
    if settings["session.type"] == "redis":
        url = settings.get("redis.sessions.url") or "redis://127.0.0.1:6379/0"
        counts = RedisCounts(redis.Redis.from_url(url, socket_timeout=2,
                                                  socket_connect_timeout=2))
    config.registry["login_throttle"] = LoginThrottle(counts)
