"""The session factory, chosen by ``session.type``: ``cookie`` (encrypted cookie, the
embedded default) or ``redis`` (pyramid_session_redis).

Session data is small and JSON-only (response type, login, owner key of the simulations,
CSRF token, one form's errors), so both back ends are interchangeable. The simulations
themselves live in the database.

A cookie session is encrypted and authenticated (Fernet: AES-128-CBC and HMAC-SHA256,
keyed from ``session.secret`` through HKDF): its holder can neither read it (the user,
the owner key, the CSRF token) nor change it. A cookie that does not decrypt (tampered,
foreign, another secret's) is a new session.
"""
import base64
import json

import redis
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pyramid.session import BaseCookieSessionFactory
from pyramid_session_redis import RedisSessionFactory

COOKIE_NAME = "impots_session"
# The registry's flag: whether a session's login holds only while its owner row exists.
CHECK_OWNER_ROW = "session_login_checks_owner_row"
DEVELOPMENT_SECRET = "development secret: change me"


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
        return self._fernet.encrypt(json.dumps(appstruct, separators=(",", ":")).encode("utf-8"))

    def loads(self, bstruct: bytes):
        try:
            # Only the token as it was made: base64 decoding ignores what follows the
            # padding, so a cookie with bytes appended would otherwise pass for it.
            if base64.urlsafe_b64encode(base64.urlsafe_b64decode(bstruct)) != bstruct:
                raise ValueError("not canonical")
            return json.loads(self._fernet.decrypt(bstruct))
        except (InvalidToken, TypeError, ValueError):
            raise ValueError("not a session cookie of this secret") from None


def refresh_window(timeout: int) -> int:
    """How long a session's expiry may go unrefreshed: a minute, or less for a short
    timeout (a 1-second test session is refreshed on every request)."""
    return min(60, timeout // 60)


def cookie_session_factory(settings):
    # The cookie's renewal time is rewritten at most once a ``refresh_window`` (fewer
    # Set-Cookie headers), so it may lag the last request by that much: the timeout
    # counts the window in, and a session lives at least ``session_timeout`` seconds
    # after its last request, at most ``refresh_window`` more, as Redis sessions do.
    timeout = settings["impots.session_timeout"]
    window = refresh_window(timeout)
    return BaseCookieSessionFactory(
        EncryptedJSONSerializer(settings.get("session.secret") or DEVELOPMENT_SECRET),
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
    timeout = settings["impots.session_timeout"]
    return RedisSessionFactory(
        settings.get("session.secret") or DEVELOPMENT_SECRET,
        timeout=timeout + refresh_window(timeout),
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


def includeme(config):
    settings = config.get_settings()
    # A cookie session's login holds only while its owner row exists (web.security): the
    # server's memory of its end. A Redis session's data goes at its end.
    config.registry[CHECK_OWNER_ROW] = settings["session.type"] != "redis"
    if settings["session.type"] == "redis":
        client = redis_client(settings)
        config.set_session_factory(redis_session_factory(settings, client))
        config.registry["session_store_ping"] = client.ping
    else:
        config.set_session_factory(cookie_session_factory(settings))
        # Cookie sessions have no server to lose.
        config.registry["session_store_ping"] = lambda: True
