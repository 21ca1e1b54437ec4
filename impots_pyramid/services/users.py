"""Users: find one, check credentials through the failed-login throttle, log in, save.

Every credential path goes through ``check_login``: the action API's authenticate-user,
the browser's login form and HTTP Basic on any URL. So all of them share one throttle
(``throttle``: failures counted per name and per client address, then 429 with
Retry-After) and one message for each refusal.
"""
import functools
import hashlib
import secrets
import threading
import time

from passlib.hash import pbkdf2_sha256
from pyramid.csrf import new_csrf_token
from pyramid.security import remember
from sqlalchemy import select

from ..models import User
from . import session_keys, simulations
from .throttle import Throttled, login_throttle

class LoginRefused(Exception):
    """Wrong credentials (401), or a name blocked by the throttle (429, ``retry_after``)."""

    def __init__(self, message: str, http_status: int = 401, retry_after: int = None):
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


def find_user(dbsession, login: str):
    """The user whose name is exactly ``login``, on every back end alike."""
    # No user name holds a NUL: PostgreSQL's text cannot store one, and psycopg2 refuses
    # to send one.
    if "\x00" in login:
        return None
    user = dbsession.scalar(select(User).where(User.login == login))
    # MySQL/MariaDB ignore trailing spaces in comparisons (PAD SPACE), even in binary
    # collations: "admin " would find admin.
    return user if user is not None and user.login == login else None


@functools.cache
def _dummy_hash() -> str:
    return pbkdf2_sha256.hash(secrets.token_hex(16))


def password_matches(user, password: str) -> bool:
    """Whether ``password`` is ``user``'s; an unknown name (None) costs the same pbkdf2
    check as a wrong password, so that the answer's time does not say which names exist."""
    if user is None:
        pbkdf2_sha256.verify(password, _dummy_hash())
        return False
    return user.check_password(password)


def check_credentials(dbsession, login: str, password: str) -> bool:
    """Whether ``password`` is ``login``'s (no throttle: see check_login)."""
    return password_matches(find_user(dbsession, login), password)


def client_address(request) -> str:
    return request.client_addr or "unknown"


def check_login(request, login: str, password: str, remembered=None) -> None:
    """Raise LoginRefused unless ``login`` may log in with ``password`` now: through the
    failed-login throttle (``throttle``); credentials that ``remembered`` knows (Basic
    credentials verified a few minutes ago, see VerifiedCredentials) skip the pbkdf2 check
    and count nothing, but an address the throttle blocks is refused all the same."""
    user = find_user(request.dbsession, login)
    throttle, address = login_throttle(request.registry), client_address(request)
    try:
        if remembered is not None and remembered.knows(login, password, user):
            throttle.check(login, address)  # blocked whatever the password, counts nothing
            return
        right = throttle.attempt(login, address, lambda: password_matches(user, password))
    except Throttled as throttled:
        raise LoginRefused(f"too many failed logins for [{login}]: try again in "
                           f"{throttled.retry_after} s", 429, throttled.retry_after) from None
    if not right:
        raise LoginRefused(f"authentication failed for user [{login}]")
    if remembered is not None:
        remembered.remember(login, password, user)


def log_in(request, login: str, password: str) -> None:
    """Check the credentials, then rotate the session (no session fixation) and give it a
    new CSRF token. The response type stays; the simulations stay when the same user logs
    in again (while the session's owner row exists: an ended session's key is never
    reused), and are ended when another user takes the session over. The session takes
    the logged-in timeout (``impots.session_timeout``): until now it had the short one of
    a session nobody logged in to (web.sessions, which registers ``session_logged_in``)."""
    check_login(request, login, password)
    session = request.session
    previous_user = session.get(session_keys.USER)
    kept = {key: session[key] for key in (session_keys.RESPONSE_TYPE, session_keys.OWNER)
            if key in session}
    if previous_user is not None and previous_user != login:
        simulations.end(request.dbsession, kept.pop(session_keys.OWNER, None))
    session.invalidate()
    session.update(kept)
    simulations.ensure_session_owner(request.dbsession, session)
    remember(request, login)
    request.registry["session_logged_in"](session)
    new_csrf_token(request)


class VerifiedCredentials:
    """Remembers for a short while which Basic credentials were right.

    A pbkdf2 check costs tens of milliseconds by design; an API client sends the same
    header with every request. Only a salted digest of the pair is kept, never the
    password, and a change of password forgets it (the stored hash is in the digest).
    Remembered credentials skip the pbkdf2 check, not the throttle's refusal.
    """

    def __init__(self, ttl: float = 300.0, size: int = 1024):
        self._ttl, self._size = ttl, size
        self._seen = {}
        self._lock = threading.Lock()
        self._salt = secrets.token_bytes(16)

    def _key(self, login, password, user):
        return hashlib.sha256(self._salt + f"{login}\0{password}\0{user.password_hash}"
                              .encode()).digest()

    def knows(self, login: str, password: str, user) -> bool:
        if user is None:
            return False
        with self._lock:
            return self._seen.get(self._key(login, password, user), 0) > time.monotonic()

    def remember(self, login: str, password: str, user) -> None:
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[self._key(login, password, user)] = time.monotonic() + self._ttl


def check_basic_login(request, login: str, password: str) -> None:
    """HTTP Basic credentials: the same throttle and refusals as the login forms, a
    success remembered a few minutes (``VerifiedCredentials``)."""
    check_login(request, login, password, remembered=request.registry["verified_credentials"])


def save_user(dbsession, login: str, password: str) -> str:
    """Create the user, or change its password. Returns 'created' or 'updated'."""
    user = find_user(dbsession, login)
    outcome = "updated"
    if user is None:
        user, outcome = User(login=login), "created"
        dbsession.add(user)
    user.set_password(password)
    return outcome


def includeme(config):
    config.registry["verified_credentials"] = VerifiedCredentials()
