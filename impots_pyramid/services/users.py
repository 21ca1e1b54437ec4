"""Users: find one, check credentials through the failed-login throttle, log in, save.

Every credential path goes through ``check_login``: the action API's authenticate-user,
the browser's login form and HTTP Basic on any URL. So all of them share one throttle
(``throttle.LoginThrottle``: 5 failures in 5 minutes for one name, then 429 with
Retry-After) and one message for each refusal.
"""
import hashlib
import secrets
import threading
import time

from pyramid.csrf import new_csrf_token
from pyramid.security import remember
from sqlalchemy import select

from ..models import User
from . import session_keys, simulations
from .throttle import login_throttle

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


def check_credentials(dbsession, login: str, password: str) -> bool:
    user = find_user(dbsession, login)
    return user is not None and user.check_password(password)


def check_login(request, login: str, password: str, verify=check_credentials) -> None:
    """Raise LoginRefused unless ``login`` may log in with ``password`` now."""
    throttle = login_throttle(request.registry)
    wait = throttle.retry_after(login)
    if wait is not None:
        raise LoginRefused(f"too many failed logins for [{login}]: try again in {wait} s",
                           429, wait)
    if not verify(request.dbsession, login, password):
        throttle.failed(login)
        raise LoginRefused(f"authentication failed for user [{login}]")


def log_in(request, login: str, password: str) -> None:
    """Check the credentials, then rotate the session (no session fixation), keeping its
    response type and its simulations, and give it a new CSRF token."""
    check_login(request, login, password)
    kept = {key: request.session[key] for key in (session_keys.RESPONSE_TYPE,
                                                   session_keys.OWNER)
            if key in request.session}
    request.session.invalidate()
    request.session.update(kept)
    simulations.ensure_owner(request.dbsession, simulations.session_owner(request.session))
    remember(request, login)
    new_csrf_token(request)


class VerifiedCredentials:
    """Remembers for a short while which Basic credentials were right.

    A pbkdf2 check costs tens of milliseconds by design; an API client sends the same
    header with every request. Only a digest of the pair is kept, never the password.
    """

    def __init__(self, ttl: float = 300.0, size: int = 1024):
        self._ttl, self._size = ttl, size
        self._seen = {}
        self._lock = threading.Lock()
        self._salt = secrets.token_bytes(16)

    def _key(self, login, password, stored_hash):
        return hashlib.sha256(self._salt + f"{login}\0{password}\0{stored_hash}".encode()).digest()

    def __call__(self, dbsession, login: str, password: str) -> bool:
        user = find_user(dbsession, login)
        if user is None:
            return False
        key = self._key(login, password, user.password_hash)
        now = time.monotonic()
        with self._lock:
            if self._seen.get(key, 0) > now:
                return True
        if not user.check_password(password):
            return False
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[key] = now + self._ttl
        return True


def check_basic_login(request, login: str, password: str) -> None:
    """HTTP Basic credentials: the same throttle and refusals as the login form, a success
    remembered a few minutes (``VerifiedCredentials``)."""
    check_login(request, login, password, verify=request.registry["verified_credentials"])


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
