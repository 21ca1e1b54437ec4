"""Fixtures shared by the whole suite: migrated databases on every back end, the
applications (one per settings), and WebTest apps whose database work is rolled back
after each test (the cookiecutter's pattern). The helpers they use: tests/helpers.py."""
import pytest
import transaction

from impots_pyramid.models import get_tm_session
from tests import services
from tests.helpers import (
    DATABASES, forget_failed_logins, migrated_database, new_app, transactional_testapp,
)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    yield from migrated_database("sqlite", tmp_path_factory)


@pytest.fixture(scope="session")
def postgresql_url(tmp_path_factory):
    yield from migrated_database("postgresql", tmp_path_factory)


@pytest.fixture(scope="session")
def mysql_url(tmp_path_factory):
    yield from migrated_database("mysql", tmp_path_factory)


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request):
    """Each migrated database in turn (tests using it run once per back end)."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
def redis_url():
    return services.redis_url()


@pytest.fixture(scope="session")
def make_app(sqlite_url):
    """``make_app(database_url=None, **overrides)``: the application with the test
    settings and ``overrides``, on ``database_url`` (default: the SQLite database).

    Made once per database and overrides, then shared by every test that asks for the
    same (an application takes a while to make, and Hypothesis runs many examples): its
    failed-login counts and its connections outlive a test, its database work is
    committed unless it goes through transactional_testapp. A test that needs an
    application of its own calls helpers.new_app.
    """
    apps = {}

    def make(database_url=None, **overrides):
        url = database_url or sqlite_url
        key = (url, tuple(sorted(overrides.items())))
        if key not in apps:
            apps[key] = new_app(url, **overrides)
        return apps[key]

    yield make
    for app in apps.values():
        app.registry["dbengine"].dispose()


@pytest.fixture(scope="session")
def app(make_app):
    """The application with the test settings, on SQLite."""
    return make_app()


@pytest.fixture
def tm():
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    manager.doom()  # whatever a test does, nothing is committed
    yield manager
    manager.abort()


@pytest.fixture
def dbsession(app, tm):
    return get_tm_session(app.registry["dbsession_factory"], tm)


@pytest.fixture
def testapp(app, tm, dbsession):
    """WebTest on the app, inside the test's transaction (rolled back at its end)."""
    return transactional_testapp(app, tm, dbsession)


@pytest.fixture(params=["cookie", pytest.param("redis", marks=pytest.mark.redis)])
def throttled_app(request, sqlite_url):
    """An application of its own, its failed-login counts empty: kept in memory with
    cookie sessions, in Redis with Redis ones."""
    overrides = {"session.type": request.param}
    if request.param == "redis":
        overrides["redis.sessions.url"] = request.getfixturevalue("redis_url")
    application = new_app(sqlite_url, **overrides)
    forget_failed_logins(application)
    yield application
    forget_failed_logins(application)
