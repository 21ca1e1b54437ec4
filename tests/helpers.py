"""Helpers of the whole suite, imported by tests and fixtures alike (conftest files only
define fixtures; nothing is imported from them).

- the test user: its name and password, a Basic header, its failed-login count emptied;
- databases: the back ends, one brought to the latest migration with the test user;
- applications: the test settings, a new application with overrides (the make_app
  fixture keeps one per settings), WebTest inside a transaction the test rolls back;
- the course's sixteen households (tests/data/course_cases.csv);
- the HTML pages: the CSRF field, the start of a session, a login, a calculation.
"""
import base64
import csv
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys

import pytest
import webtest

from impots_pyramid import main
from impots_pyramid.models import get_engine, get_session_factory, get_tm_session, migrations
from impots_pyramid.services.users import save_user
from tests import services

# ---------------------------------------------------------------------------------------
# The test user, in every migrated database of the suite.

TEST_USER, TEST_PASSWORD = "admin", "admin"
# Not the test user's name, though one back end or another took some of them for it.
NOT_THE_TEST_USER = ["a\x00b", TEST_USER + "\x00", TEST_USER + " ", TEST_USER.upper(), "ädmin",
                     "😀", "é" * 70]


def basic_authorization(login: str, password: str) -> str:
    """The value of an HTTP Basic Authorization header."""
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def basic(login: str, password: str) -> dict:
    """The HTTP Basic Authorization header of ``login``."""
    return {"Authorization": basic_authorization(login, password)}


def forget_failed_logins(app) -> None:
    """The failed-login throttle of ``app`` emptied: a test starts with no earlier failure
    counted against the test user (its counts outlive a test: the application does)."""
    app.registry["login_throttle"].reset()


# ---------------------------------------------------------------------------------------
# Databases.

DATABASES = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgresql),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


def migrate_with_test_user(url: str) -> None:
    """The database at ``url`` brought to the latest migration, with the test user."""
    engine = get_engine({"sqlalchemy.url": url})
    try:
        migrations.upgrade(engine)
        with get_session_factory(engine).begin() as dbsession:
            save_user(dbsession, TEST_USER, TEST_PASSWORD)
    finally:
        engine.dispose()


def migrated_database(kind, tmp_path_factory):
    """A scratch database of ``kind`` at the latest migration, with the test user."""
    with services.scratch_database(kind, tmp_path_factory.mktemp(kind)) as url:
        migrate_with_test_user(url)
        yield url


# ---------------------------------------------------------------------------------------
# Applications.

def base_settings(database_url: str, **overrides) -> dict:
    settings = {
        "sqlalchemy.url": database_url,
        "impots.environment": "testing",
        "session.type": "cookie",
        "session.secret": "a test secret that is long enough, for the tests only",
        "retry.attempts": "3",
    }
    settings.update(overrides)
    return settings


def new_app(database_url: str, **overrides):
    """A new application on ``database_url``, with the test settings and ``overrides``
    (e.g. ``**{"impots.csrf": "false"}``). Tests mostly want the make_app fixture's, made
    once per settings; a new one is for a test that needs its own (two "processes", a
    database of its own, a server that does not answer)."""
    return main({}, **base_settings(database_url, **overrides))


def transactional_testapp(app, tm, dbsession=None, **environ) -> webtest.TestApp:
    """WebTest on ``app`` inside the test's transaction ``tm`` (the tm fixture: doomed,
    then aborted), with no failed login counted: pyramid_tm leaves the transaction to the
    test, and every request works in ``dbsession`` (by default a new one joined to
    ``tm``). Each call is a new client (cookie jar); ``environ`` adds to the WSGI environ
    (SCRIPT_NAME...)."""
    forget_failed_logins(app)
    if dbsession is None:
        dbsession = get_tm_session(app.registry["dbsession_factory"], tm)
    return webtest.TestApp(app, extra_environ={
        "HTTP_HOST": "example.com",
        "tm.active": True,  # pyramid_tm leaves the transaction to the test
        "tm.manager": tm,
        "app.dbsession": dbsession,
        **environ,
    })


# ---------------------------------------------------------------------------------------
# The course's households: the suite's one copy of the course's data file.

COURSE_CASES_FILE = pathlib.Path(__file__).parent / "data" / "course_cases.csv"


def read_course_cases() -> list:
    """The course's 16 households, tax year 2019, as dicts of text: married, children,
    salary, and the five figures by the course's rules (course_tax, course_surcharge,
    course_discount, course_reduction, course_rate) and by the law (law_*). The first 11
    are the course's own clients' test set."""
    with COURSE_CASES_FILE.open(encoding="utf-8", newline="") as lines:
        return list(csv.DictReader(lines))


# ---------------------------------------------------------------------------------------
# The HTML pages.

HOST = "http://example.com"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(response) -> str:
    return CSRF_FIELD.search(response.text).group(1)


def start(app):
    """init-session/html, followed to the authentication page."""
    return app.get("/init-session/html").follow()


def log_in(app, user=TEST_USER, password=TEST_PASSWORD):
    """Logged in: returns the calculation page."""
    page = start(app)
    answer = app.post("/authenticate-user", {"user": user, "password": password,
                                             "csrf_token": csrf_token(page)})
    assert answer.status_int == 303
    return answer.follow()


def calculate(app, page, married="yes", children="2", salary="55555"):
    """Submits the calculation form of ``page``; returns the 303 answer."""
    return app.post("/calculate-tax", {"married": married, "children": children,
                                       "salary": salary, "csrf_token": csrf_token(page)})


# ---------------------------------------------------------------------------------------
# Processes the tests start.

def installed_command(name: str) -> str:
    """The path of the console script ``name`` of the environment running the tests."""
    script = shutil.which(name, path=str(pathlib.Path(sys.executable).parent))
    assert script, f"{name} is not installed in this environment"
    return script


def stop_process_group(process, timeout=20) -> None:
    """Stop a server started with ``start_new_session=True`` and all it started: TERM, then
    KILL if it is still there after ``timeout`` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
