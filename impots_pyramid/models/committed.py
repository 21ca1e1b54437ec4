"""One statement committed on its own, in one round trip (PostgreSQL).

A calculation stores one row. Through the request's transaction that is three round trips
(BEGIN, the statement, COMMIT) and a connection joined to pyramid_tm: about half of a
calculation's CPU. The same statement sent on a connection in autocommit mode is its own
transaction, committed before PostgreSQL answers it: stored before the client's answer, as
before, in one round trip.

Each thread keeps its own connection in autocommit mode for these statements, taken from
the engine's pool once and kept (``ThreadConnections``): a pooled connection checked out,
switched to autocommit and back, and given back for every statement cost about 90 µs more
CPU per calculation (bench/breakdown.py), a third of the write's share. So a server process
holds, besides its pool, one connection per thread that has stored a calculation.

Only a request's own database session may write this way (``may_commit_alone``): a
session that the caller manages (a test's, rolled back at its end; a console script's)
keeps every write in its transaction.
"""
import os
import select
import threading
import time
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from .transactions import has_written

# In ``session.info``: the session is a request's own, and nothing outside the request
# depends on its writes staying uncommitted.
COMMITS_ALONE = "commits_alone"


class CommitInDoubt(OperationalError):
    """The connection was lost while a committing statement ran: it may have been applied,
    so the request must not run again (web.failures)."""


def may_commit_alone(dbsession) -> bool:
    """Whether a statement may be committed apart from ``dbsession``'s transaction: the
    session allows it, is on PostgreSQL and its transaction has written nothing (a row
    that it has locked would block the statement until the request ends: forever; a
    transaction that has only read, such as the cookie session's check of its owner row,
    locks no row)."""
    bind = dbsession.bind
    return (dbsession.info.get(COMMITS_ALONE, False) and isinstance(bind, Engine)
            and bind.dialect.driver == "psycopg2" and not has_written(dbsession))


def _dropped(dbapi_connection) -> bool:
    # An idle connection has nothing to read, unless the server has closed it (a restart,
    # an administrator, an idle timeout): it then sent its goodbye, or EOF. One poll of the
    # socket, not a round trip: the statement is only sent where it cannot fail that way,
    # so that a lost connection during the statement can be told apart (in doubt).
    if dbapi_connection.closed:
        return True
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    return bool(readable)


def _checkout(engine: Engine):
    # The pool raises the driver's own errors (Engine.connect would wrap them): wrapped
    # here, a server out of reach is the failure policy's 503, as everywhere else.
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        return engine.raw_connection()
    except dbapi_error as exc:
        raise DBAPIError.instance(
            "connect", {}, exc, dbapi_error, dialect=engine.dialect,
            connection_invalidated=engine.dialect.is_disconnect(exc, None, None)) from exc


def _live_connection(engine: Engine, tries: int = 20):
    for _ in range(tries):
        fairy = _checkout(engine)
        if not _dropped(fairy.dbapi_connection):
            return fairy
        fairy.invalidate()  # closed, and its pool slot given back
        fairy.close()
    raise OperationalError("connect", {}, Exception("no live database connection"))


def _cut_off(inherited) -> None:
    # In a forked child, a connection shares its socket with the parent's copy, whose
    # database session it is: closed as it is, it would end that session. The child's copy
    # of the socket is first replaced by /dev/null, where the goodbye then goes.
    if not inherited.closed:
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            os.dup2(devnull, inherited.fileno())
        finally:
            os.close(devnull)
    inherited.close()


class ThreadConnections:
    """An engine's connections in autocommit mode, one per thread, each opened through
    the engine's pool (then detached from it: the pool makes another for itself) and
    renewed as the pool renews its own: when the server has closed it, and after the
    engine's ``pool_recycle`` seconds. Closed when the engine is disposed, cut off in a
    forked child. Kept by thread id, not in thread-local data, which a forked child
    deletes for every other thread (closing their connections, the parent's sessions)."""

    def __init__(self, engine: Engine):
        self._by_thread = {}  # thread id -> (connection, time.monotonic() when opened)
        self._recycle = engine.pool._recycle  # the pool's setting (-1: never), private
        event.listen(engine, "engine_disposed", self.close_all)

    def connection(self, engine: Engine):
        """This thread's connection, live as far as a poll of its socket can tell."""
        thread = threading.get_ident()
        kept = self._by_thread.get(thread)
        if kept is not None:
            connection, opened = kept
            if not (_dropped(connection)
                    or -1 < self._recycle < time.monotonic() - opened):
                return connection
            del self._by_thread[thread]
            connection.close()
        fairy = _live_connection(engine)
        fairy.detach()
        connection = fairy.dbapi_connection
        connection.autocommit = True
        self._by_thread[thread] = connection, time.monotonic()
        return connection

    def close_all(self, engine=None, inherited=False) -> None:
        """Close every thread's connection (each opens a new one at its next statement)."""
        while self._by_thread:
            connection = self._by_thread.popitem()[1][0]
            if inherited:
                _cut_off(connection)
            else:
                connection.close()


_BY_ENGINE = weakref.WeakKeyDictionary()  # engine -> its ThreadConnections
_BY_ENGINE_LOCK = threading.Lock()


def _forked() -> None:
    for connections in list(_BY_ENGINE.values()):
        connections.close_all(inherited=True)


os.register_at_fork(after_in_child=_forked)


def thread_connections(engine: Engine) -> ThreadConnections:
    connections = _BY_ENGINE.get(engine)
    if connections is None:
        with _BY_ENGINE_LOCK:
            connections = _BY_ENGINE.get(engine)
            if connections is None:
                connections = _BY_ENGINE[engine] = ThreadConnections(engine)
    return connections


def scalar(dbsession, statement: str, parameters: dict):
    """The first column of the first row of ``statement`` (the DBAPI's SQL, with its
    parameters), committed by the time it returns; None if it returned no row."""
    engine = dbsession.bind
    dbapi_error = engine.dialect.loaded_dbapi.Error
    connection = thread_connections(engine).connection(engine)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            row = cursor.fetchone()
    except dbapi_error as exc:
        if connection.closed:  # (the thread opens another at its next statement)
            raise CommitInDoubt(statement, parameters, exc,
                                connection_invalidated=True) from exc
        raise DBAPIError.instance(statement, parameters, exc, dbapi_error,
                                  dialect=engine.dialect) from exc
    return None if row is None else row[0]
