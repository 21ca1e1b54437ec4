"""One Pyramid 2 security policy for every interface.

The identity is the user logged in to the session (the action API, the browser) or, on
requests that carry an Authorization header, the user of HTTP Basic credentials (the
resource API, or the action API's clients). Basic credentials go through the same login
service as the login forms (``services.users.check_basic_login``): the same throttle,
whose 429 the failure policy answers on every interface.

A cookie session holds its user and owner key itself, so the server must remember its
end: a session is logged in only while its owner row exists (``session_owners``: made at
login, deleted by end-session and by impots-purge). A copy of an ended session's cookie
is therefore logged out, and starts again as a new session. Redis sessions lose their
data at their end on the server already: they skip the lookup.
"""
from pyramid.authentication import extract_http_basic_credentials
from pyramid.authorization import ACLHelper, Authenticated, Everyone

from ..services import session_keys, simulations
from ..services.users import LoginRefused, check_basic_login
from .sessions import CHECK_OWNER_ROW


def basic_identity(request):
    """The identity of the request's Basic credentials, checked once per request (a
    failure counts once), or None; a throttled name raises LoginRefused (429)."""
    login, password = extract_http_basic_credentials(request)
    try:
        check_basic_login(request, login, password)
    except LoginRefused as refused:
        if refused.http_status == 429:
            raise
        return None
    return {"login": login, "via": "basic"}


def session_identity(request):
    """The identity of the session's login, or None; checked once per request (reified).
    With cookie sessions, one primary-key lookup of the owner row: a session whose row is
    gone (ended, purged) is emptied, keeping only its response type."""
    session = request.session
    login = session.get(session_keys.USER)
    if not login:
        return None
    if request.registry.get(CHECK_OWNER_ROW) and not simulations.owner_exists(
            request.dbsession, session.get(session_keys.OWNER)):
        kept = {key: session[key] for key in (session_keys.RESPONSE_TYPE,) if key in session}
        session.invalidate()  # a new session: new CSRF token, no user, no owner key
        session.update(kept)
        return None
    return {"login": login, "via": "session"}


def _forget_identity(request) -> None:
    request.__dict__.pop("session_identity", None)


class SecurityPolicy:
    def __init__(self):
        self.acl = ACLHelper()

    def identity(self, request):
        if extract_http_basic_credentials(request) is not None:
            return request.basic_identity
        return request.session_identity

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
        request.session[session_keys.USER] = userid
        _forget_identity(request)
        return []

    def forget(self, request, **kw):
        request.session.pop(session_keys.USER, None)
        _forget_identity(request)
        return []


def includeme(config):
    config.add_request_method(basic_identity, "basic_identity", reify=True)
    config.add_request_method(session_identity, "session_identity", reify=True)
    config.set_security_policy(SecurityPolicy())
