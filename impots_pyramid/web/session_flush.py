"""Persist a Redis session before the response leaves the exception views' reach.

pyramid_session_redis writes the session in response and finished callbacks, which run
after every tween: a Redis outage there would escape as a bare 500 from the WSGI server.
This tween, just under the exception view tween, writes it as soon as the view returns
(or raises), so that an unreachable session store becomes the failure policy's 503
(web.failures) in the interface's own format.
"""
from pyramid.tweens import EXCVIEW
from pyramid_session_redis.session import RedisSession

from .failures import SESSION_STORE_ERRORS


def _abandon(session) -> None:
    # Nothing more to write: the later callbacks must not try again (and fail outside),
    # and a session that was never stored gets no cookie.
    state = session.__dict__.get("_session_state")
    if state is not None:
        state.dont_persist = state.dont_refresh = True
        # Only a new session is emptied: the cookie callback invalidates an empty stored
        # one, a Redis DEL after the exception views (the bare 500 of a Redis that dies
        # between reading the session and writing it back).
        if state.new:
            state.managed_dict.clear()


def _write(request) -> None:
    session = request.__dict__.get("session")  # only if this request opened it
    if isinstance(session, RedisSession):
        state = session.__dict__.get("_session_state")
        if state is not None:
            # The library sends an EXPIRE after every request that read the session. Ours
            # carry their expiry in the payload and are rewritten, TTL included, once it
            # is due (sessions.redis_session_factory): that EXPIRE is a round trip for
            # nothing.
            state.dont_refresh = True
        try:
            # The library's own end-of-request write, done now; the callbacks that
            # run later find nothing left to write.
            session._deferred_callback(request)
            session.session_id_safecheck  # the new session's id, for its cookie
        except SESSION_STORE_ERRORS:
            _abandon(session)
            raise


def session_flush_tween_factory(handler, registry):
    def session_flush_tween(request):
        try:
            return handler(request)
        finally:
            # After a failed view too (its session still needs its expiry refreshed): if
            # Redis is gone, the answer is the store's 503, not a 500 from the callback.
            _write(request)

    return session_flush_tween


def includeme(config):
    if config.get_settings()["session.type"] == "redis":
        config.add_tween("impots_pyramid.web.session_flush.session_flush_tween_factory",
                         under=EXCVIEW)
