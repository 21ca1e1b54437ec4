"""What impots_pyramid relies on inside its libraries, beyond their documented API: if a new
release changes it, these tests fail and say what changed and where we rely on it.

- pyramid_session_redis: the session flush tween (web/session_flush.py) writes a RedisSession
  early through ``session._deferred_callback(request)`` and ``session_id_safecheck``, and
  sets ``dont_persist`` / ``dont_refresh`` on the session's private ``_session_state``,
  read from ``session.__dict__``, whose ``new`` and ``managed_dict`` it also reads;
- zope.sqlalchemy: models/transactions.py subclasses
  ``zope.sqlalchemy.datamanager.ZopeTransactionEvents`` (its ``initial_state`` and
  ``keep_session``), registers by hand on a Session class the events ``register()``
  listens to, and calls ``join_transaction(session, initial_state, manager, keep_session)``
  and ``mark_changed(session, manager, keep_session)`` with a manager per session;
- transaction: the same module compares a transaction's status with "Committing" (the
  value of ``transaction._transaction.Status.COMMITTING``, a private module);
- SQLAlchemy: models/committed.py renews each thread's connection after the engine's
  ``pool_recycle`` seconds, which it reads from the pool's private ``_recycle``.

setup.py bounds these libraries below their next release line and constraints.txt pins
them: raise a bound once this file passes with the new release (and the suite with it).
The tests use the libraries only, not our modules (which are moving between packages).
"""
import importlib.metadata
import inspect

import pytest
import redis
import sqlalchemy as sa
import transaction
import zope.sqlalchemy
from pyramid.request import Request
from pyramid.response import Response
from pyramid_session_redis import RedisSessionFactory
from pyramid_session_redis.session import RedisSession
from sqlalchemy.orm import Session
from zope.sqlalchemy import datamanager

from tests import services
from tests.test_constraints import setup_requirements

SESSION_FLUSH = "impots_pyramid's session flush tween (impots_pyramid/web/session_flush.py)"
TRANSACTIONS = ("impots_pyramid's per-session transaction events "
                "(impots_pyramid/models/transactions.py)")
THREAD_CONNECTIONS = ("impots_pyramid's connections for statements committed alone "
                      "(impots_pyramid/models/committed.py)")
REQUEST_CLASS = "impots_pyramid's request class made once (impots_pyramid/web/request_class.py)"

# What web/sessions.py's redis_session_factory gives a logged-in session (the factory makes
# new ones with impots.anonymous_session_timeout; login adjusts it to these).
FACTORY_OPTIONS = dict(
    timeout=7260, timeout_trigger=7200, python_expires=True, cookie_name="impots_session",
    cookie_secure=False, cookie_httponly=True, cookie_samesite="Lax", cookie_on_exception=True,
    serialize=lambda data: repr(data).encode(), deserialize=lambda raw: eval(raw),  # noqa: S307
    set_redis_ttl=True, detect_changes=False)
# The events zope.sqlalchemy.register() listens to, which transactions.py lists by hand.
OUR_EVENTS = ("after_begin", "after_attach", "after_flush", "after_bulk_update",
              "after_bulk_delete", "before_commit", "do_orm_execute")


@pytest.mark.parametrize("name, where", [
    ("pyramid_session_redis", SESSION_FLUSH),
    ("zope.sqlalchemy", TRANSACTIONS),
    ("transaction", TRANSACTIONS),
    ("pyramid", REQUEST_CLASS),
    ("SQLAlchemy", THREAD_CONNECTIONS),
])
def test_setup_py_bounds_the_libraries_whose_internals_we_use(name, where):
    [requirement] = [r for r in setup_requirements() if r.name == name]
    assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), (
        f"setup.py lets pip install any future {name} ({requirement}), whose internals "
        f"{where} relies on: bound it below the next release line")
    installed = importlib.metadata.version(name)
    assert requirement.specifier.contains(installed), (
        f"{name} {installed} is installed, outside setup.py's {requirement}: the internals "
        f"{where} relies on were checked with the versions the bound allows")


# pyramid_session_redis ---------------------------------------------------------------------

class RecordingRedis(redis.Redis):
    """A client that records the commands it sends (a pipeline counts as one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands = []

    def execute_command(self, *args, **options):
        self.commands.append(str(args[0]).upper())
        return super().execute_command(*args, **options)

    def pipeline(self, *args, **kwargs):
        self.commands.append("PIPELINE")
        return super().pipeline(*args, **kwargs)


def session_factory(client, **options):
    try:
        return RedisSessionFactory("s" * 64, redis_client_callable=lambda request, **_: client,
                                   **{**FACTORY_OPTIONS, **options})
    except TypeError as exc:
        pytest.fail(f"RedisSessionFactory refuses the options web/sessions.py gives it: {exc}")


def state_of(session):
    assert isinstance(session, RedisSession), (
        f"the factory made a {type(session)}, not pyramid_session_redis.session.RedisSession, "
        f"which {SESSION_FLUSH} recognises sessions by")
    state = session.__dict__.get("_session_state")
    assert state is not None, (
        f"a RedisSession no longer keeps its state in session.__dict__['_session_state'] "
        f"(where {SESSION_FLUSH} reads it): it would silently stop flushing and abandoning "
        f"sessions")
    return state


def test_redis_session_keeps_its_state_where_the_flush_tween_reads_it():
    """A new session, made as the application makes it (no Redis command needed)."""
    request = Request.blank("/")
    session = session_factory(client=object())(request)
    state = state_of(session)
    for name in ("dont_persist", "dont_refresh", "new", "managed_dict"):
        assert hasattr(state, name), (
            f"RedisSession._session_state has no `{name}` any more: {SESSION_FLUSH} sets or "
            f"reads it")
    assert state.new is True, "_session_state.new is not True for a new session"
    assert state.dont_persist in (None, False) and state.dont_refresh in (None, False)
    session["key"] = "value"
    assert state.managed_dict == {"key": "value"}, (
        f"_session_state.managed_dict is not the session's data: {SESSION_FLUSH} clears it "
        f"to abandon a new session")
    assert callable(getattr(session, "_deferred_callback", None)), (
        f"RedisSession._deferred_callback is gone: {SESSION_FLUSH} calls it to write the "
        f"session before the exception views")
    assert list(inspect.signature(session._deferred_callback).parameters) == ["request"]
    assert session._deferred_callback in request.finished_callbacks, (
        f"the factory no longer writes the session in a finished callback "
        f"(session._deferred_callback): {SESSION_FLUSH} runs that write early and relies on "
        f"the later call finding nothing left to do")
    assert isinstance(inspect.getattr_static(RedisSession, "session_id_safecheck"), property), \
        f"RedisSession.session_id_safecheck is no longer a property ({SESSION_FLUSH} reads it)"
    session.clear()
    assert session.session_id_safecheck is None, \
        "session_id_safecheck of an empty new session is not None (it made an id: a Redis write)"


@pytest.fixture
def recording_redis():
    client = RecordingRedis.from_url(services.redis_url(), socket_timeout=5)
    yield client
    client.flushdb()
    client.close()


def finish(request):
    """The end of a request as Pyramid runs it: response callbacks, then finished ones."""
    response = Response()
    request._process_response_callbacks(response)
    request._process_finished_callbacks()
    return response


@pytest.mark.redis
def test_early_write_leaves_nothing_for_the_library_callbacks(recording_redis):
    """The flush tween: dont_refresh, _deferred_callback(request), session_id_safecheck;
    then the library's own callbacks send nothing more."""
    factory = session_factory(recording_redis)
    request = Request.blank("/")
    session = factory(request)
    session["login"] = "admin"
    state_of(session).dont_refresh = True
    session._deferred_callback(request)
    session_id = session.session_id_safecheck
    assert session_id and recording_redis.exists(session_id), (
        f"_deferred_callback(request) did not write a new session to Redis: {SESSION_FLUSH} "
        f"relies on it to write the session early")
    assert recording_redis.ttl(session_id) > 0
    recording_redis.commands.clear()
    response = finish(request)
    assert recording_redis.commands == [], (
        f"after the early _deferred_callback, the library's callbacks still sent "
        f"{recording_redis.commands} ({SESSION_FLUSH} relies on them finding nothing to do)")
    assert "impots_session=" in response.headers.get("Set-Cookie", "")

    # The next request of that session: read, nothing changed, dont_refresh: one GET only
    # (the library's EXPIRE after every read is what the tween's dont_refresh saves).
    recording_redis.commands.clear()
    second = Request.blank("/", headers={"Cookie": response.headers["Set-Cookie"].split(";")[0]})
    session = factory(second)
    assert session["login"] == "admin" and state_of(session).new is False
    state_of(session).dont_refresh = True
    session._deferred_callback(second)
    finish(second)
    assert recording_redis.commands == ["GET"], (
        f"a session read with _session_state.dont_refresh set sent {recording_redis.commands}, "
        f"not a single GET: dont_refresh no longer stops the library's EXPIRE "
        f"({SESSION_FLUSH})")


@pytest.mark.redis
def test_dont_persist_stops_every_write(recording_redis):
    """The tween's abandon: dont_persist and dont_refresh set, new session emptied."""
    request = Request.blank("/")
    session = session_factory(recording_redis)(request)
    session["login"] = "admin"
    state = state_of(session)
    state.dont_persist = state.dont_refresh = True
    state.managed_dict.clear()
    response = finish(request)
    assert recording_redis.commands == [], (
        f"a session with _session_state.dont_persist set still sent {recording_redis.commands} "
        f"to Redis ({SESSION_FLUSH} sets it so that nothing more is written when Redis fails)")
    assert "impots_session=" not in response.headers.get("Set-Cookie", "")


# zope.sqlalchemy and transaction ----------------------------------------------------------

def test_zope_transaction_events_has_what_our_subclass_uses():
    events = datamanager.ZopeTransactionEvents()
    for name in ("initial_state", "keep_session"):
        assert hasattr(events, name), (
            f"zope.sqlalchemy's ZopeTransactionEvents() has no `{name}` attribute any more: "
            f"{TRANSACTIONS} passes it to join_transaction / mark_changed")
    assert events.initial_state == datamanager.STATUS_ACTIVE and events.keep_session is False
    for name in OUR_EVENTS + ("mark_changed",):
        assert callable(getattr(datamanager.ZopeTransactionEvents, name, None)), (
            f"ZopeTransactionEvents.{name} is gone: {TRANSACTIONS} overrides it")


def test_register_listens_to_the_events_we_register_by_hand(monkeypatch):
    listened = []
    monkeypatch.setattr(sa.event, "listen", lambda target, name, fn, *a, **k: listened.append(name))

    class Probe(Session):
        pass

    zope.sqlalchemy.register(Probe)
    assert sorted(listened) == sorted(OUR_EVENTS), (
        f"zope.sqlalchemy.register() now listens to {sorted(listened)}; {TRANSACTIONS} "
        f"registers {sorted(OUR_EVENTS)} by hand on its Session class: add or remove the "
        f"difference there")


@pytest.mark.parametrize("function, arguments", [
    (datamanager.join_transaction, ("session", "initial_state", "manager", "keep_session")),
    (datamanager.mark_changed, ("session", "manager", "keep_session")),
])
def test_join_transaction_and_mark_changed_take_our_positional_arguments(function, arguments):
    try:
        inspect.signature(function).bind(*arguments)
    except TypeError as exc:
        pytest.fail(f"zope.sqlalchemy's {function.__name__} no longer takes the positional "
                    f"arguments {arguments} that {TRANSACTIONS} passes: {exc}")


@pytest.fixture
def database(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'internals.sqlite'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def rows(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT COUNT(*) FROM t"))


@pytest.mark.parametrize("marked, committed", [(True, 1), (False, 0)])
def test_a_session_joined_to_its_own_manager_commits_only_when_marked(database, marked, committed):
    """A manager per session (pyramid_tm's explicit one), joined as transactions.py does;
    a Core statement (which zope.sqlalchemy cannot see) commits only once marked changed."""
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = Session(database)
    session.execute(sa.text("INSERT INTO t VALUES (1)"))
    datamanager.join_transaction(session, datamanager.STATUS_ACTIVE, manager, False)
    if marked:
        datamanager.mark_changed(session, manager, False)
    manager.commit()
    session.close()
    assert rows(database) == committed, (
        f"join_transaction / mark_changed with a manager of our own: the insert was "
        f"{'lost' if marked else 'committed without mark_changed'} ({TRANSACTIONS})")


def test_status_while_committing_is_committing(database):
    try:
        from transaction._transaction import Status
    except ImportError:  # the module is private: what counts is the status seen below
        pass
    else:
        assert Status.COMMITTING == "Committing", (
            f"transaction's Status.COMMITTING is now {Status.COMMITTING!r}: "
            f"{TRANSACTIONS} compares the status with 'Committing' in before_commit")
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = Session(database)
    seen = []
    sa.event.listen(session, "before_commit", lambda s: seen.append(manager.get().status))
    session.execute(sa.text("INSERT INTO t VALUES (1)"))
    datamanager.mark_changed(session, manager, False)
    manager.commit()
    session.close()
    assert seen == ["Committing"], (
        f"the session's before_commit saw the transaction's status {seen}, not 'Committing': "
        f"{TRANSACTIONS} refuses commits outside the manager by that test")


@pytest.mark.redis
def test_a_session_timeout_can_be_adjusted_at_login(recording_redis):
    """web/sessions.py gives a session that logs in the long timeout with the library's
    adjust_session_timeout: the next write carries it, in the key's TTL too."""
    factory = session_factory(recording_redis, timeout=600)
    request = Request.blank("/")
    session = factory(request)
    session["login"] = "admin"
    assert callable(getattr(session, "adjust_session_timeout", None)), (
        "pyramid_session_redis's RedisSession.adjust_session_timeout is gone: "
        "impots_pyramid/web/sessions.py gives logged-in sessions their timeout with it")
    session.adjust_session_timeout(7260)
    state_of(session).dont_refresh = True
    session._deferred_callback(request)
    assert 7200 < recording_redis.ttl(session.session_id_safecheck) <= 7260


# SQLAlchemy --------------------------------------------------------------------------------

@pytest.mark.parametrize("options, seconds", [({"pool_recycle": 17}, 17), ({}, -1)])
def test_a_pool_keeps_its_recycle_setting_where_thread_connections_read_it(options, seconds):
    engine = sa.create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none", **options)
    assert getattr(engine.pool, "_recycle", None) == seconds, (
        f"SQLAlchemy's pool no longer keeps pool_recycle in ``_recycle``: "
        f"{THREAD_CONNECTIONS} reads it there to renew its connections as the pool does")


# pyramid -----------------------------------------------------------------------------------

def test_request_properties_are_kept_where_the_request_class_reads_them():
    """web/request_class.py moves the reified request properties that add_request_method
    registers (IRequestExtensions.descriptors) onto one class made at start-up."""
    from pyramid.config import Configurator
    from pyramid.interfaces import IRequestExtensions
    from pyramid.request import Request, apply_request_extensions

    config = Configurator()
    config.add_request_method(lambda request: 42, "answer", reify=True)
    config.commit()
    extensions = config.registry.queryUtility(IRequestExtensions)
    assert extensions is not None and "answer" in getattr(extensions, "descriptors", {}), (
        f"pyramid no longer keeps reified request properties in "
        f"IRequestExtensions.descriptors: {REQUEST_CLASS} relies on it")
    request = Request.blank("/")
    request.registry = config.registry
    apply_request_extensions(request)  # what the router does with them otherwise
    assert request.answer == 42
