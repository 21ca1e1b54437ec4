"""Fixtures of the Apache tests: the installed deployment, a site per database, an HTTP
client. What they use (and the tests too) is in ``harness``."""
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from tests import services
from tests.apache.harness import (
    COPY_IGNORE,
    OUTPUT,
    REPO,
    Deployment,
    install_commands,
    require_apache,
    run,
    sessions_redis_url,
    start_site,
)


@pytest.fixture(scope="session")
def deployment():
    require_apache()
    root = Path(tempfile.mkdtemp(prefix="impots-apache-", dir="/tmp"))
    try:
        app_dir, venv = root / "app", root / "venv"
        shutil.copytree(REPO, app_dir, ignore=COPY_IGNORE)
        # The README's commands, word for word but for the paths (test_readme_install_
        # commands checks that they are still the README's): Debian's own pip (23.0.1),
        # no option, not editable, as on a server.
        for command in install_commands(app_dir, venv):
            run(command)
        run(["chmod", "-R", "a+rX", root])
        yield Deployment(root, app_dir, venv)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url_for_sessions():
    return sessions_redis_url()


@pytest.fixture(scope="session", params=[
    pytest.param("postgresql", marks=[pytest.mark.postgresql, pytest.mark.redis]),
    pytest.param("mysql", marks=[pytest.mark.mysql, pytest.mark.redis]),
])
def site(request, deployment, redis_url_for_sessions):
    """Apache + mod_wsgi + the application on PostgreSQL, then on MariaDB, Redis sessions."""
    kind = request.param
    with services.scratch_database(kind) as database_url:
        running = start_site(deployment, kind, database_url, redis_url_for_sessions)
        try:
            yield running
        finally:
            running.apache.stop()
            running.apache.keep_logs(OUTPUT / kind)
            shutil.copytree(running.app_log_dir, OUTPUT / kind / "app-logs", dirs_exist_ok=True)


@pytest.fixture
def http():
    """A client with a cookie jar and a fresh connection per request (Connection: close),
    so that each request may reach either daemon process."""
    with requests.Session() as session:
        session.headers["Connection"] = "close"
        yield session
