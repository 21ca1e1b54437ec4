"""The session factory, chosen by ``session.type``: ``cookie`` (encrypted cookie, the
embedded default) or ``redis`` (pyramid_session_redis).

Session data is small and JSON-only (response type, login, owner key of the simulations,
CSRF token, one form's errors), so both back ends are interchangeable. The simulations
themselves live in the database.

A cookie session is encrypted and authenticated (Fernet: AES-128-CBC and HMAC-SHA256,
keyed from ``session.secret`` through HKDF): its holder can neither read it (the user,
the owner key, the CSRF token) nor change it. A cookie that does not decrypt (tampered,
foreign, another secret's) is a new session.

A session with no logged-in user (``session_keys.USER``) expires after
``impots.anonymous_session_timeout`` (ten minutes), a logged-in one after
``impots.session_timeout``: anyone may start sessions, so those nobody logs in to must not
pile up in Redis for hours. A Redis session carries its timeout in its payload: a new one
gets the short one, and ``log_in`` gives the rotated session the long one (``LOGGED_IN``).
A cookie session's timeout follows from its data (``AnonymousExpiry``).
"""
import base64
import json
import time

import redis
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pyramid.session import BaseCookieSessionFactory
from pyramid_session_redis import RedisSessionFactory

from ..services import session_keys

COOKIE_NAME = "impots_session"
# The registry's flag: whether a session's login holds only while its owner row exists.
CHECK_OWNER_ROW = "session_login_checks_owner_row"
DEVELOPMENT_SECRET = "development secret: change me"
# The registry's callable that gives a session just logged in to (services.users.log_in)
# the logged-in timeout.
LOGGED_IN = "session_logged_in"


def json_to_bytes(data: dict) -> bytes:
    # pyramid_session_redis stores what the serializer returns: it must be bytes.
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def json_from_bytes(raw: bytes) -> dict:
    return json.loads(raw)


def cookie_key(secret: str) -> bytes:
    """The cookie's Fernet key, derived from ``session.secret`` (HKDF-SHA256) so that the
    secret itself is never the key of anything else."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"impots_pyramid session cookie").derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(key)


class EncryptedJSONSerializer:
    """Pyramid's cookie serializer (``dumps``/``loads`` of bytes, ValueError for what does
    not load): JSON, then Fernet. Fernet's random IV makes every cookie different, and its
    HMAC refuses any change before decryption."""

    def __init__(self, secret: str):
        self._fernet = Fernet(cookie_key(secret))

    def dumps(self, appstruct) -> bytes:
        return self._fernet.encrypt(json_to_bytes(appstruct))

    def loads(self, bstruct: bytes):
        try:
            # Only the token as it was made: base64 decoding ignores what follows the
            # padding, so a cookie with bytes appended would otherwise pass for it.
            if base64.urlsafe_b64encode(base64.urlsafe_b64decode(bstruct)) != bstruct:
                raise ValueError("not canonical")
            return json_from_bytes(self._fernet.decrypt(bstruct))
        except (InvalidToken, TypeError, ValueError):
            raise ValueError("not a session cookie of this secret") from None


class AnonymousExpiry(EncryptedJSONSerializer):
    """The cookie serializer that also refuses (a new session) a session with no
    logged-in user renewed more than ``limit`` seconds ago: Pyramid's own check has only
    the one timeout, the logged-in one. A logged-in session's cost: one key looked up."""

    def __init__(self, secret: str, limit: int):
        super().__init__(secret)
        self._limit = limit

    def loads(self, bstruct: bytes):
        value = super().loads(bstruct)
        try:
            renewed, _, state = value  # Pyramid's (renewed, created, data)
            anonymous = session_keys.USER not in state
        except (TypeError, ValueError):
            return value  # not a session: Pyramid drops it
        if anonymous and time.time() - renewed > self._limit:
            raise ValueError("a session nobody logged in to, expired")
        return value


def refresh_window(timeout: int) -> int:
    """How long a session's expiry may go unrefreshed: a minute, or less for a short
    timeout (a 1-second test session is refreshed on every request)."""
    return min(60, timeout // 60)


def cookie_session_factory(settings):
    # The cookie's renewal time is rewritten at most once a ``refresh_window`` (fewer
    # Set-Cookie headers), so it may lag the last request by that much: the timeout
    # counts the window in, and a session lives at least ``session_timeout`` seconds
    # after its last request, at most ``refresh_window`` more, as Redis sessions do. One
    # with no logged-in user: the same with ``anonymous_session_timeout``.
    timeout = settings["impots.session_timeout"]
    window = refresh_window(timeout)
    return BaseCookieSessionFactory(
        AnonymousExpiry(settings.get("session.secret") or DEVELOPMENT_SECRET,
                        settings["impots.anonymous_session_timeout"] + window),
        cookie_name=COOKIE_NAME,
        timeout=timeout + window,
        reissue_time=window,
        secure=settings["session.secure"],
        httponly=True,
        samesite="Lax",
    )


def redis_client(settings) -> redis.Redis:
    """One client (and connection pool) per process, shared with /health."""
    url = settings.get("redis.sessions.url") or "redis://127.0.0.1:6379/0"
    timeout = float(settings.get("redis.sessions.socket_timeout", 2))
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                health_check_interval=30)


def redis_session_factory(settings, client):
    # The library refreshes a session's expiry with an EXPIRE on every request that reads
    # it: a second round trip to Redis. Here the expiry travels in the payload (checked in
    # Python on every read) and is pushed forward only once it is due, at most once a
    # ``refresh_window`` (by rewriting the session, which sets its TTL again). With the
    # trigger at the whole timeout, a session still lives at least ``session_timeout``
    # seconds after its last request, and at most ``refresh_window`` seconds more.
    # A new session gets the anonymous timeout (its payload's and its key's TTL), shorter
    # than the trigger: it is due on every request, rewritten by each (a SETEX besides the
    # GET, only while nobody is logged in to it), and lives exactly that long after its
    # last request. ``logged_in_timeout`` gives it the long one at login.
    timeout = settings["impots.session_timeout"]
    return RedisSessionFactory(
        settings.get("session.secret") or DEVELOPMENT_SECRET,
        timeout=settings["impots.anonymous_session_timeout"],
        timeout_trigger=timeout,
        python_expires=True,
        cookie_name=COOKIE_NAME,
        cookie_secure=settings["session.secure"],
        cookie_httponly=True,
        cookie_samesite="Lax",
        cookie_on_exception=True,
        redis_client_callable=lambda request, **options: client,
        serialize=json_to_bytes,
        deserialize=json_from_bytes,
        set_redis_ttl=True,
        # Every change goes through the session's own methods (no nested value is changed
        # in place): no need to serialize and hash the session on every request to find
        # out whether it changed.
        detect_changes=False,
    )


def logged_in_timeout(settings):
    """The callable ``log_in`` calls on the session it rotates (``LOGGED_IN``). A Redis
    session takes the logged-in timeout with pyramid_session_redis's per-session timeout
    (kept in its payload): written by the login's own write, with that TTL, and its expiry
    recomputed from it (the anonymous expiry is due). A cookie session needs nothing."""
    if settings["session.type"] != "redis":
        return lambda session: None
    timeout = settings["impots.session_timeout"]
    return lambda session: session.adjust_session_timeout(timeout + refresh_window(timeout))


def includeme(config):
    settings = config.get_settings()
    # A cookie session's login holds only while its owner row exists (web.security): the
    # server's memory of its end. A Redis session's data goes at its end.
    config.registry[CHECK_OWNER_ROW] = settings["session.type"] != "redis"
    config.registry[LOGGED_IN] = logged_in_timeout(settings)
    if settings["session.type"] == "redis":
        client = redis_client(settings)
        config.set_session_factory(redis_session_factory(settings, client))
        config.registry["session_store_ping"] = client.ping
    else:
        config.set_session_factory(cookie_session_factory(settings))
        # Cookie sessions have no server to lose.
        config.registry["session_store_ping"] = lambda: True
