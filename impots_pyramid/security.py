"""One Pyramid 2 security policy for both interfaces.

The identity is the user logged in to the session (the action API, the browser) or, on
requests that carry an Authorization header, the user of HTTP Basic credentials (the
resource API). Passwords are checked against the users table with passlib.
"""
import hashlib
import threading
import time

from pyramid.authentication import extract_http_basic_credentials
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from sqlalchemy import select

from .models import User

SESSION_USER_KEY = "user"


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


class VerifiedCredentials:
    """Remembers for a short while which Basic credentials were right.

    A pbkdf2 check costs tens of milliseconds by design; an API client sends the same
    header with every request. Only a digest of the pair is kept, never the password.
    """

    def __init__(self, ttl: float = 300.0, size: int = 1024):
        self._ttl, self._size = ttl, size
        self._seen = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(login, password, stored_hash):
        return hashlib.sha256(f"{login}\0{password}\0{stored_hash}".encode()).hexdigest()

    def check(self, dbsession, login: str, password: str) -> bool:
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


class SecurityPolicy:
    def __init__(self):
        self.acl = ACLHelper()
        self.basic = VerifiedCredentials()

    def identity(self, request):
        credentials = extract_http_basic_credentials(request)
        if credentials is not None:
            login, password = credentials
            if self.basic.check(request.dbsession, login, password):
                return {"login": login, "via": "basic"}
            return None
        login = request.session.get(SESSION_USER_KEY)
        return {"login": login, "via": "session"} if login else None

    def authenticated_userid(self, request):
        identity = request.identity
        return identity["login"] if identity else None

    def effective_principals(self, request):
        principals = [Everyone]
        userid = self.authenticated_userid(request)
        if userid is not None:
            principals += [Authenticated, f"user:{userid}"]
        return principals

    def permits(self, request, context, permission):
        return self.acl.permits(context, self.effective_principals(request), permission)

    def remember(self, request, userid, **kw):
        request.session[SESSION_USER_KEY] = userid
        return []

    def forget(self, request, **kw):
        request.session.pop(SESSION_USER_KEY, None)
        return []


def includeme(config):
    config.set_security_policy(SecurityPolicy())
