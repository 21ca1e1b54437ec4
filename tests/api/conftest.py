"""Fixtures of the resource API's tests: Basic credentials, an app with small limits."""
import pytest
import webtest

from tests.helpers import TEST_PASSWORD, TEST_USER, basic


@pytest.fixture
def auth():
    """The Authorization header of the test user."""
    return basic(TEST_USER, TEST_PASSWORD)


@pytest.fixture
def small_limits(make_app):
    """The application with a 300-byte body limit and at most 3 households per batch."""
    app = make_app(**{"impots.max_body_bytes": "300", "impots.batch_max": "3"})
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
