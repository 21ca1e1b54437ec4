"""One statement committed on its own, in one round trip (PostgreSQL).

A calculation stores one row. Through the request's transaction that is three round trips
(BEGIN, the statement, COMMIT) and a connection joined to pyramid_tm: about half of a
calculation's CPU. The same statement sent on a connection in autocommit mode is its own
transaction, committed before PostgreSQL answers it: stored before the client's answer, as
before, in one round trip.

Only a request's own database session may write this way (``may_commit_alone``): a
session that the caller manages (a test's, rolled back at its end; a console script's)
keeps every write in its transaction.
"""
import select

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


def scalar(dbsession, statement: str, parameters: dict):
    """The first column of the first row of ``statement`` (the DBAPI's SQL, with its
    parameters), committed by the time it returns; None if it returned no row."""
    engine = dbsession.bind
    dbapi_error = engine.dialect.loaded_dbapi.Error
    fairy = _live_connection(engine)
    dbapi_connection = fairy.dbapi_connection
    try:
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            row = cursor.fetchone()
    except dbapi_error as exc:
        if dbapi_connection.closed:
            fairy.invalidate()
            raise CommitInDoubt(statement, parameters, exc,
                                connection_invalidated=True) from exc
        raise DBAPIError.instance(statement, parameters, exc, dbapi_error,
                                  dialect=engine.dialect) from exc
    finally:
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = False  # the pool's next user has transactions
        fairy.close()
    return None if row is None else row[0]
