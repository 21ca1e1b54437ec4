"""Fixtures of the reliability tests: private Redis and PostgreSQL (once per test run,
restarted before a test if an earlier one left them down) and a fresh server process per
test. Everything lives under one temporary folder, removed at the end."""
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.helpers import migrate_with_test_user
from tests.reliability.servers import AppServer, PrivatePostgres, PrivateRedis


@pytest.fixture(scope="session")
def reliability_root():
    # Not pytest's tmp_path: that one is private to root, and PostgreSQL runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="impots-reliability-", dir="/tmp"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_redis(reliability_root):
    server = PrivateRedis(reliability_root / "redis")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def private_postgres(reliability_root):
    server = PrivatePostgres(reliability_root / "postgres")
    server.init()
    try:
        server.start()
        yield server
    finally:
        if server.running():
            server.stop("fast")


@pytest.fixture(scope="session")
def private_database_url(private_postgres):
    """A database in the private cluster at the latest migration, with admin/admin."""
    url = private_postgres.create_database("impots")
    migrate_with_test_user(url)
    return url


@pytest.fixture
def services_up(private_redis, private_postgres):
    """Both servers running, whatever the previous test (failed mid-outage?) left."""
    if not private_redis.running():
        private_redis.start()
    if not private_postgres.running():
        private_postgres.start()


@pytest.fixture
def app_server(request, reliability_root, private_database_url, private_redis, services_up):
    """The service under test in its own process, started for this test only."""
    server = AppServer(reliability_root / "app" / request.node.name,
                       private_database_url, private_redis.url)
    try:
        server.start()
        yield server
    finally:
        server.stop()
