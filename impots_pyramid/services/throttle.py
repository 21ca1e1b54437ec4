"""Failed logins throttled per user name: after 5 failures within 5 minutes, every login
path (authenticate-user, the login form, HTTP Basic) answers 429 with Retry-After,
whatever the password.

The ``limits`` library keeps the counts: in Redis when sessions are there (shared by every
process), in memory otherwise.
"""
import math
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

FAILED_LOGINS = parse("5 per 5 minutes")


class LoginThrottle:
    def __init__(self, storage_uri: str = "memory://", limit=FAILED_LOGINS):
        self.limit = limit
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def retry_after(self, login: str):
        """Seconds to wait if ``login`` is blocked now, else None."""
        if self.limiter.test(self.limit, "login", login):
            return None
        reset_at, _remaining = self.limiter.get_window_stats(self.limit, "login", login)
        return max(1, math.ceil(reset_at - time.time()))

    def failed(self, login: str) -> None:
        self.limiter.hit(self.limit, "login", login)


def login_throttle(registry) -> LoginThrottle:
    return registry["login_throttle"]


def includeme(config):
    settings = config.get_settings()
    storage = "memory://"
    if settings["session.type"] == "redis":
        storage = settings.get("redis.sessions.url") or "redis://127.0.0.1:6379/0"
    config.registry["login_throttle"] = LoginThrottle(storage)
