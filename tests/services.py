"""The real servers the tests talk to, and scratch databases made in them.

URLs come from IMPOTS_TEST_POSTGRES_URL, IMPOTS_TEST_MYSQL_URL and IMPOTS_TEST_REDIS_URL
(defaults: the local servers on their standard ports). A server that does not answer
skips its tests with a message saying how to start it, or fails them when
IMPOTS_REQUIRE_SERVICES=1 (CI).
"""
import contextlib
import os
import uuid

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

REQUIRE_SERVICES = os.environ.get("IMPOTS_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("IMPOTS_TEST_POSTGRES_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("IMPOTS_TEST_MYSQL_URL",
                           "mysql+pymysql://root@127.0.0.1:3306/mysql")
REDIS_URL = os.environ.get("IMPOTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

HOW_TO_START = {
    "postgresql": "start it (pg_ctlcluster 15 main start) or set IMPOTS_TEST_POSTGRES_URL",
    "mysql": "start it (start-stop-daemon --start --background --exec /usr/sbin/mariadbd) "
             "or set IMPOTS_TEST_MYSQL_URL",
    "redis": "start it (redis-server --daemonize yes) or set IMPOTS_TEST_REDIS_URL",
}


def unavailable(service: str, error) -> None:
    message = f"{service} server not reachable ({error}): {HOW_TO_START[service]}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " [IMPOTS_REQUIRE_SERVICES=1]", pytrace=False)
    pytest.skip(message)


def redis_url() -> str:
    """The tests' Redis database, emptied; skipped or failed when Redis does not answer."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        unavailable("redis", exc)
    finally:
        client.close()
    return REDIS_URL


@contextlib.contextmanager
def scratch_database(kind: str, tmp_path=None):
    """Yield the URL of a new, empty database of ``kind``; drop it afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'impots_test.sqlite'}"
        return
    server_url = make_url({"postgresql": POSTGRES_URL, "mysql": MYSQL_URL}[kind])
    name = f"impots_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            extra = " CHARACTER SET utf8mb4" if kind == "mysql" else ""
            connection.execute(sa.text(f"CREATE DATABASE {name}{extra}"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        unavailable(kind, exc.orig)
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            if kind == "postgresql":
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()
