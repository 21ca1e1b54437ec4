"""Fixtures of the service layer's tests (impots_pyramid/services/): each test runs on
every back end, in the test's transaction, rolled back at its end.

(The folder is not tests/services/: tests/services.py, the servers the suite talks to,
has that name.)"""
import pytest
from pyramid.testing import DummyRequest

from impots_pyramid.services.tax_years import read_tax_years
from tests.helpers import forget_failed_logins


@pytest.fixture
def app(make_app, database_url):
    """Here, the application on each back end in turn: the suite's ``dbsession`` (joined
    to the test's transaction, rolled back) works in its database."""
    return make_app(database_url)


@pytest.fixture
def tax_years(dbsession):
    """The tax years of the database, as the application reads them."""
    return read_tax_years(dbsession)


@pytest.fixture
def dummy_request(app, dbsession):
    """A request as the services see one: the application's registry (its failed-login
    throttle, its security policy), the test's database session, an empty session."""
    forget_failed_logins(app)
    request = DummyRequest(dbsession=dbsession, client_addr="192.0.2.10")
    request.registry = app.registry
    yield request
    forget_failed_logins(app)  # the application outlives the test: leave no count behind
