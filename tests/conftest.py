"""Fixtures shared by the whole suite: migrated databases on every back end, the
application, and WebTest apps whose database work is rolled back after each test (the
cookiecutter's pattern)."""
import pytest
import transaction
import webtest

from impots_pyramid import main
from impots_pyramid.models import get_tm_session
from tests import services
from tests.helpers import DATABASES, base_settings, forget_failed_logins, migrated_database


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
def app_settings(sqlite_url):
    return base_settings(sqlite_url)


@pytest.fixture(scope="session")
def app(app_settings):
    return main({}, **app_settings)


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
    forget_failed_logins(app)
    return webtest.TestApp(app, extra_environ={
        "HTTP_HOST": "example.com",
        "tm.active": True,  # pyramid_tm leaves the transaction to the test
        "tm.manager": tm,
        "app.dbsession": dbsession,
    })
