"""Outages under load: the session store (Redis) killed, then the database (PostgreSQL)
stopped, while client threads run the calculate-tax flow against the real server.

While a back end is down, every answer is the action API's 171 with HTTP 503, a message
naming what is unavailable and Retry-After, never a 500 or a traceback, and /health
answers 503 naming it. When it comes back on the same port, the SAME server process
answers again, without a restart.

Then the narrow window the load only hits by chance, made deterministic: Redis dying
after a request has read its session and before it writes it back, alone or with the
request's database connection.
"""
import concurrent.futures
import contextlib
import time

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.reliability.load import (
    NO_SESSION, UNAVAILABLE, ActionClient, Load, describe_unexpected,
)
from tests.reliability.servers import wait_until

pytestmark = pytest.mark.reliability

CLIENTS = 4
OUTAGE_SECONDS = 2.5  # the load keeps going that long against the dead back end
WARM_CALCULATIONS = 3  # each client's, before the outage: the flow works to begin with


def is_unavailable(answer, what: str) -> bool:
    """The outage answer: 171, HTTP 503, Retry-After, the message naming ``what``."""
    return (answer.http_status == 503 and answer.status == UNAVAILABLE
            and bool(answer.retry_after)
            and f"{what} is unavailable" in answer.message)


def is_session_lost(answer) -> bool:
    return (answer.http_status, answer.status) == (400, NO_SESSION) \
        and "no session" in answer.message


def health(server) -> requests.Response:
    return requests.get(server.url + "/health", timeout=10)


def assert_health(response, http_status: int, report: dict):
    assert (response.status_code, response.json()) == (http_status, report), \
        f"/health: HTTP {response.status_code} {response.text!r}, expected {http_status} {report}"
    if http_status == 503:
        assert response.headers.get("Retry-After"), "/health 503 without Retry-After"


def server_log(server) -> str:
    """The first traceback the server logged, else the end of its log."""
    log = server.log_text()
    start = log.find("Traceback")
    if start >= 0:
        start = log.rfind("\n", 0, max(0, start - 300)) + 1
        return f"\n--- the server's log, first traceback ---\n{log[start:start + 6000]}"
    return f"\n--- the server's log (end) ---\n{log[-3000:]}"


def assert_no_traceback(answers, server):
    leaked = [answer for answer in answers if "Traceback" in answer.body]
    assert not leaked, "a traceback in an answer: " + describe_unexpected(leaked)
    log = server.log_text()
    # An outage is logged as one line per refused request; a traceback means something
    # escaped the exception views (waitress' own 500, or the 131 "unexpected" view).
    assert "Traceback" not in log and "unexpected error" not in log, \
        "the server logged an unexpected error" + server_log(server)


def assert_same_server(server, pid: int):
    assert server.alive() and server.pid == pid, "the server process did not survive"


def outage_answers(load, went_down: float, coming_back: float) -> list:
    """Answers to requests sent once the back end was down and received before its
    restart began: all of them must be the outage answer."""
    return [answer for answer in load.answers
            if answer.sent > went_down and answer.received < coming_back]


def assert_outage_answered(server, load, wrong, part: str, went_down: float,
                           coming_back: float) -> list:
    """No answer that ``wrong`` refuses, no traceback, and every client refused with the
    503 naming ``part`` while it was down; returns the answers of the outage."""
    unexpected = [answer for answer in load.answers if wrong(answer)]
    assert not unexpected, describe_unexpected(unexpected) + server_log(server)
    assert_no_traceback(load.answers, server)
    during = outage_answers(load, went_down, coming_back)
    refused = {answer.client for answer in during if is_unavailable(answer, part)}
    assert refused == set(range(CLIENTS)), \
        f"clients {sorted(set(range(CLIENTS)) - refused)} got no 503 during the outage"
    return during


def test_redis_killed_under_load_answers_503_then_recovers(app_server, private_redis):
    pid = app_server.pid
    with Load(app_server.url, CLIENTS) as load:
        load.wait_for(lambda client: len(client.calculated()) >= WARM_CALCULATIONS,
                      "calculated before the outage")
        killing = time.monotonic()
        private_redis.kill()
        down = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        health_while_down = health(app_server)
        restarting = time.monotonic()
        private_redis.start()  # empty: every session is gone, clients must start new ones
        back = time.monotonic()
        load.wait_for(lambda client: len([answer for answer in client.calculated()
                                          if answer.sent > back]) >= WARM_CALCULATIONS,
                      f"calculated {WARM_CALCULATIONS} times after Redis came back")
    answers = load.answers

    def wrong(answer) -> bool:
        if answer.ok:  # a success: not from a request handled wholly during the outage
            return answer.sent > down and answer.received < restarting
        if is_unavailable(answer, "session store"):  # 503: only while Redis was down
            return answer.received < killing or answer.sent > back
        if is_session_lost(answer):
            # Redis came back empty: a client's first request with its old cookie finds
            # no session and the client starts a new one. The check for a response type
            # comes first, so that is 400 / 101, never 401 (not logged in) or 403 (no
            # CSRF token): those would mean a session half lost. Never before the
            # restart, and once per client (counted below).
            return answer.received < restarting
        return True  # anything else (500, 401, 403, no answer, not an envelope...)

    during = assert_outage_answered(app_server, load, wrong, "session store", down, restarting)
    lost = [answer for answer in answers if is_session_lost(answer)]
    assert sorted(answer.client for answer in lost) == list(range(CLIENTS)), \
        "each client should find its session lost once: " + describe_unexpected(lost)
    assert all(client.logins == 2 for client in load.clients), \
        "each client should have logged in twice (before the outage and after Redis came " \
        f"back empty): {[client.logins for client in load.clients]}"

    assert_health(health_while_down, 503, {"database": "ok", "sessions": "unavailable"})
    assert_health(health(app_server), 200, {"database": "ok", "sessions": "ok"})
    assert_same_server(app_server, pid)
    print(f"\nRedis outage: {len(answers)} answers, {len(during)} during the outage "
          f"({OUTAGE_SECONDS} s), {len(lost)} sessions found lost after it")


def test_database_stopped_under_load_answers_503_then_recovers(app_server, private_postgres):
    pid = app_server.pid
    with Load(app_server.url, CLIENTS) as load:
        load.wait_for(lambda client: len(client.calculated()) >= WARM_CALCULATIONS,
                      "calculated before the outage")
        stopping = time.monotonic()
        private_postgres.stop("immediate")  # as in a crash: no clean disconnection
        down = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        health_while_down = health(app_server)
        restarting = time.monotonic()
        private_postgres.start()  # same port, same data
        back = time.monotonic()
        load.wait_for(lambda client: len([answer for answer in client.calculated()
                                          if answer.sent > back]) >= WARM_CALCULATIONS,
                      f"calculated {WARM_CALCULATIONS} times after the database came back")
        load.stop()
        listed = {client.client.number: client.client.list_simulations()
                  for client in load.clients}
    answers = load.answers

    def wrong(answer) -> bool:
        if answer.ok:
            return answer.sent > down and answer.received < restarting
        if is_unavailable(answer, "database"):
            return answer.received < stopping or answer.sent > back
        return True  # the sessions live in Redis, still up: no 101, no new login

    during = assert_outage_answered(app_server, load, wrong, "database", down, restarting)
    assert all(client.logins == 1 for client in load.clients), \
        f"the sessions should have survived the outage: logins {[c.logins for c in load.clients]}"

    # Every acknowledged simulation survived the crash, numbered as it was answered.
    for client in load.clients:
        answer = listed[client.client.number]
        assert answer.ok, answer.describe()
        stored = {simulation["id"]: simulation for simulation in answer.data["response"]}
        for calculated in client.calculated():
            simulation = calculated.data["response"]
            assert stored.get(simulation["id"]) == simulation, \
                f"client {client.client.number}: simulation {simulation} acknowledged, " \
                f"stored as {stored.get(simulation['id'])}"

    assert_health(health_while_down, 503, {"database": "unavailable", "sessions": "ok"})
    assert_health(health(app_server), 200, {"database": "ok", "sessions": "ok"})
    assert_same_server(app_server, pid)
    print(f"\nDatabase outage: {len(answers)} answers, {len(during)} during the outage "
          f"({OUTAGE_SECONDS} s)")


# Mid-request failures, made deterministic: a lock taken from the test holds the request
# inside its database work, after it has read its session, while a back end is killed.
HOUSEHOLD = {"married": "yes", "children": 2, "salary": 55555}
SESSION_OWNERS = "session_owners"


@contextlib.contextmanager
def table_locked(database_url: str, table: str):
    """Hold an EXCLUSIVE lock on ``table`` (reads pass, writes wait); yield a function that
    waits for a backend blocked on it and returns its pid."""
    engine = sa.create_engine(database_url, poolclass=NullPool)
    observer = sa.create_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as holder:
            holder.execute(sa.text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))

            def blocked_backend() -> int:
                # Another connection: inside a transaction pg_stat_activity does not change.
                with observer.connect() as connection:
                    return connection.scalar(sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database() AND query ILIKE :table"),
                        {"table": f"%{table}%"})

            yield lambda: wait_until(blocked_backend, f"a request waiting for {table}", 10)
            holder.rollback()
    finally:
        engine.dispose()
        observer.dispose()


def terminate_backend(database_url: str, pid: int) -> None:
    observer = sa.create_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with observer.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        observer.dispose()


def logged_in_client(server, calculations: int = 1) -> ActionClient:
    """A logged-in session (owner row made at login). After a first calculation it has
    also read the tax years and noted its activity (a session write, once a minute)."""
    client = ActionClient(server.url)
    answers = client.start() + [client.calculate(**HOUSEHOLD) for _ in range(calculations)]
    assert all(answer.ok for answer in answers), describe_unexpected(answers)
    return client


def stored_simulations(database_url: str) -> int:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT count(*) FROM simulations"))
    finally:
        engine.dispose()


def calculate_while_redis_dies(client, private_redis, database_url):
    """A calculation held inside its database work (after its session was read) while
    Redis is killed; returns its answer."""
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        with table_locked(database_url, SESSION_OWNERS) as blocked_backend:
            pending = executor.submit(client.calculate, **HOUSEHOLD)
            blocked_backend()
            private_redis.kill()
        return pending.result(timeout=60)


def test_redis_dying_mid_request_answers_503_not_500(app_server, private_redis,
                                                     private_database_url):
    # The first calculation notes the session's activity: its session must be written
    # back after the view, and Redis is gone by then. Nothing may then try Redis again
    # outside the exception views, and the simulation is not kept (the transaction is
    # aborted with the failed write).
    client = logged_in_client(app_server, calculations=0)
    before = stored_simulations(private_database_url)
    answer = calculate_while_redis_dies(client, private_redis, private_database_url)
    assert is_unavailable(answer, "session store"), answer.describe() + server_log(app_server)
    assert_no_traceback([answer], app_server)
    assert stored_simulations(private_database_url) == before


def test_redis_dying_after_the_session_is_read_spares_a_request_with_nothing_to_write(
        app_server, private_redis, private_database_url):
    # A session's expiry is rewritten once a minute at most (sessions.py): a calculation
    # in between does not touch Redis after reading its session, so it is answered and
    # stored although Redis died meanwhile.
    client = logged_in_client(app_server)
    before = stored_simulations(private_database_url)
    answer = calculate_while_redis_dies(client, private_redis, private_database_url)
    assert answer.ok and answer.status == 300, answer.describe() + server_log(app_server)
    assert_no_traceback([answer], app_server)
    assert stored_simulations(private_database_url) == before + 1


def test_database_and_redis_dying_mid_request_answer_503_not_500(
        app_server, private_redis, private_database_url):
    # The view fails (its database connection is cut) while Redis is gone: the session's
    # end-of-request write must not escape as a bare 500 either.
    client = logged_in_client(app_server)
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        with table_locked(private_database_url, SESSION_OWNERS) as blocked_backend:
            pending = executor.submit(client.calculate, **HOUSEHOLD)
            backend = blocked_backend()
            private_redis.kill()
            terminate_backend(private_database_url, backend)
            answer = pending.result(timeout=60)
    assert answer.http_status == 503 and answer.status == UNAVAILABLE and answer.retry_after \
        and "is unavailable" in answer.message, answer.describe() + server_log(app_server)
    assert_no_traceback([answer], app_server)
