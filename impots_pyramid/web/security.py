"""One Pyramid 2 security policy for every interface.

The identity is the user logged in to the session (the action API, the browser) or, on
requests that carry an Authorization header, the user of HTTP Basic credentials (the
resource API, or the action API's clients). Basic credentials go through the same login
service as the login forms (``services.users.check_basic_login``): the same throttle,
whose 429 the failure policy answers on every interface.
"""
from pyramid.authentication import extract_http_basic_credentials
from pyramid.authorization import ACLHelper, Authenticated, Everyone

from ..services import session_keys
from ..services.users import LoginRefused, check_basic_login


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


class SecurityPolicy:
    def __init__(self):
        self.acl = ACLHelper()

    def identity(self, request):
        if extract_http_basic_credentials(request) is not None:
            return request.basic_identity
        login = request.session.get(session_keys.USER)
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
        request.session[session_keys.USER] = userid
        return []

    def forget(self, request, **kw):
        request.session.pop(session_keys.USER, None)
        return []


def includeme(config):
    config.add_request_method(basic_identity, "basic_identity", reify=True)
    config.set_security_policy(SecurityPolicy())
