"""On PostgreSQL a calculation is stored by one statement committed on its own
(models.committed): one round trip instead of BEGIN, the statement and COMMIT through the
request's transaction. Stored before the answer all the same; the session's limit, a
request that has begun its own transaction and a session whose row is gone still take
the transactional path."""
import os
import secrets
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from impots_pyramid.models import committed
from impots_pyramid.models.committed import COMMITS_ALONE, CommitInDoubt
from impots_pyramid.services import simulations
from tests.actions.client import ActionClient
from tests.helpers import new_app

pytestmark = pytest.mark.postgresql
HOUSEHOLD = {"married": "yes", "children": "2", "salary": "55555"}


def new_app_waiting_at_most_3s_for_a_lock(postgresql_url, **settings):
    """A statement committed apart that waited for a row lock of its own request's
    transaction would wait forever: here it fails after 3 s (a 503) instead."""
    url = make_url(postgresql_url).update_query_dict({"options": "-c lock_timeout=3000"})
    return new_app(url.render_as_string(hide_password=False), **settings)


def statements_through_the_engine(engine) -> list:
    """What the request's transactions send (BEGIN, each statement, COMMIT)."""
    seen = []
    sa.event.listen(engine, "begin", lambda connection: seen.append("BEGIN"))
    sa.event.listen(engine, "commit", lambda connection: seen.append("COMMIT"))
    sa.event.listen(engine, "before_cursor_execute",
                    lambda connection, cursor, statement, *rest: seen.append(statement[:30]))
    return seen


def committed_rows(url: str, **figures) -> int:
    """Rows with these figures, as another connection sees them (committed ones only)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            where = " AND ".join(f"{name} = :{name}" for name in figures)
            return connection.execute(sa.text(f"SELECT count(*) FROM simulations WHERE {where}"),
                                      figures).scalar()
    finally:
        engine.dispose()


def test_a_calculation_is_one_statement_committed_alone(postgresql_url):
    app = new_app_waiting_at_most_3s_for_a_lock(postgresql_url)
    client = ActionClient(app, "json").start()
    assert client.calculate(**HOUSEHOLD)[1]["status"] == 300  # its activity noted, once
    salary = 41_000_000 + secrets.randbelow(1_000_000)  # this test's row only
    seen = statements_through_the_engine(app.registry["dbengine"])

    status, data = client.calculate(married="no", children="1", salary=str(salary))

    assert (status, data["status"]) == (200, 300), data
    # The cookie session's check of its owner row reads; nothing is written through the
    # request's transaction.
    assert not [s for s in seen if not s.startswith(("BEGIN", "SELECT", "COMMIT"))], seen
    assert committed_rows(postgresql_url, salary=salary, children=1) == 1
    assert [s["id"] for s in client.simulations()] == [1, 2]


def test_a_full_session_is_refused_with_nothing_written(postgresql_url):
    app = new_app_waiting_at_most_3s_for_a_lock(postgresql_url, **{"impots.max_simulations": "2"})
    client = ActionClient(app, "json").start()
    assert [client.calculate(**HOUSEHOLD)[0] for _ in range(3)] == [200, 200, 409]
    assert [s["id"] for s in client.simulations()] == [1, 2]

    assert client.delete(1)[0] == 200  # room again: the count, not the numbers, is the limit
    status, data = client.calculate(**HOUSEHOLD)
    assert status == 200 and data["response"]["id"] == 3, data  # the refusal took none
    assert client.calculate(**HOUSEHOLD)[0] == 409
    assert [s["id"] for s in client.simulations()] == [2, 3]


def test_a_request_that_began_its_transaction_stores_in_it(postgresql_url, monkeypatch):
    """Noting the session's activity (an UPDATE of its owner row) begins the request's
    transaction, which then holds the row's lock: a statement committed apart would wait
    for it until the request ends."""
    app = new_app_waiting_at_most_3s_for_a_lock(postgresql_url)
    client = ActionClient(app, "json").start()
    monkeypatch.setattr(simulations, "TOUCH_INTERVAL", 0)  # every request notes it
    seen = statements_through_the_engine(app.registry["dbengine"])

    status, data = client.calculate(**HOUSEHOLD)

    assert (status, data["status"]) == (200, 300), data
    assert "BEGIN" in seen and "COMMIT" in seen
    assert [s["id"] for s in client.simulations()] == [1]


@pytest.fixture
def alone(postgresql_url):
    """A database session that may commit statements alone, on a pool of one connection
    that it waits for at most a second."""
    engine = sa.create_engine(postgresql_url, pool_size=1, max_overflow=0, pool_timeout=1)
    with Session(bind=engine, info={COMMITS_ALONE: True}) as session:
        yield session
    engine.dispose()


def backend(session) -> int:
    """The server process of the connection that commits this thread's statements."""
    return committed.scalar(session, "SELECT pg_backend_pid()", {})


def connected(postgresql_url, pid: int) -> bool:
    with sa.create_engine(postgresql_url, poolclass=sa.pool.NullPool).connect() as admin:
        return admin.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                             {"pid": pid}).scalar() == 1


def test_a_thread_keeps_its_connection_apart_from_the_pool(alone):
    first = backend(alone)
    with alone.bind.connect() as held:  # the pool's only connection, busy
        assert held.execute(sa.text("SELECT pg_backend_pid()")).scalar() != first
        assert backend(alone) == first  # neither waiting for the pool nor a new one

    in_another_thread = []
    thread = threading.Thread(target=lambda: in_another_thread.append(backend(alone)))
    thread.start()
    thread.join()
    assert in_another_thread[0] not in (None, first)
    assert backend(alone) == first


def test_disposing_the_engine_closes_every_threads_connection(alone, postgresql_url):
    first = backend(alone)
    alone.bind.dispose()
    for _ in range(50):  # the server process ends on its own time
        if not connected(postgresql_url, first):
            break
        time.sleep(0.05)
    assert not connected(postgresql_url, first)
    assert backend(alone) not in (None, first)


def test_a_connection_is_renewed_after_pool_recycle_seconds(postgresql_url):
    engine = sa.create_engine(postgresql_url, pool_recycle=1)
    try:
        with Session(bind=engine, info={COMMITS_ALONE: True}) as session:
            first = backend(session)
            assert backend(session) == first
            time.sleep(1.1)
            assert backend(session) not in (None, first)
    finally:
        engine.dispose()


def test_a_forked_child_neither_uses_nor_ends_its_parents_connection(alone, postgresql_url):
    """A child forked by a thread gets its own connection; disposing its copy of the
    engine (as SQLAlchemy advises a child to) leaves the parent's session alone."""
    first = backend(alone)
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # (os._exit: nothing of pytest's runs in the child)
        try:
            pid = backend(alone)
            alone.bind.dispose(close=False)
            os.write(writing, str(pid).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as answer:
        in_child = int(answer.read() or 0)
    os.waitpid(child, 0)

    assert in_child not in (0, first)
    assert backend(alone) == first and connected(postgresql_url, first)


def test_a_connection_that_the_server_dropped_is_not_used(alone, postgresql_url):
    first = committed.scalar(alone, "SELECT pg_backend_pid()", {})
    with sa.create_engine(postgresql_url, poolclass=sa.pool.NullPool).connect() as admin:
        assert admin.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"),
                             {"pid": first}).scalar()

    second = committed.scalar(alone, "SELECT pg_backend_pid()", {})

    assert second not in (None, first)


def test_a_connection_lost_during_the_statement_leaves_it_in_doubt(alone):
    with pytest.raises(CommitInDoubt):
        committed.scalar(alone, "SELECT pg_terminate_backend(pg_backend_pid())", {})
    assert committed.scalar(alone, "SELECT 1", {}) == 1  # the pool has a live one again


def test_a_refused_statement_is_the_usual_database_error(alone):
    with pytest.raises(sa.exc.ProgrammingError):
        committed.scalar(alone, "SELECT * FROM no_such_table", {})
    # The thread keeps its connection; the pool's stays in transactions mode, for the
    # ORM's sessions.
    assert committed.scalar(alone, "SELECT 1", {}) == 1
    with alone.bind.connect() as connection:
        assert connection.connection.dbapi_connection.autocommit is False


def test_a_database_out_of_reach_is_the_usual_database_error():
    """Port 1 on loopback: nothing listens there (the failure policy answers it 503)."""
    engine = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:1/none")
    with Session(bind=engine, info={COMMITS_ALONE: True}) as session:
        with pytest.raises(sa.exc.OperationalError):
            committed.scalar(session, "SELECT 1", {})
