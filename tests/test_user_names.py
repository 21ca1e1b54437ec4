"""User names are matched exactly, on every back end, through every way in.

- A name with a NUL is nobody's: PostgreSQL's text cannot hold one and psycopg2 refuses
  to send one (ValueError); it used to answer 500 there. Found by schemathesis.
- MariaDB's default collation made "ADMIN", "ädmin" and "admin " the name of admin: each
  logged in with admin's password, and the failed-login throttle counted each apart, so
  a guesser could go on under another spelling. Now none of them is anybody's.
"""
import pytest
import webtest

from tests.actions.client import ActionClient
from tests.helpers import NOT_THE_TEST_USER, TEST_PASSWORD, basic


@pytest.fixture
def app(make_app, database_url):
    return make_app(database_url)


@pytest.mark.parametrize("user", NOT_THE_TEST_USER)
def test_the_action_api_answers_a_failed_login(app, user):
    client = ActionClient(app, "json")
    client.init()
    status, data = client.login(user, TEST_PASSWORD)
    assert (status, data["status"]) == (401, 201), data
    assert data["response"] == [f"authentication failed for user [{user}]"]
    assert client.get("/list-simulations")[0] == 401  # and no login was recorded


@pytest.mark.parametrize("user", NOT_THE_TEST_USER)
def test_the_resource_api_answers_401(app, user):
    answer = webtest.TestApp(app).get("/api/tax-years", headers=basic(user, TEST_PASSWORD),
                                      status="*")
    assert answer.status_code == 401
    assert answer.json["detail"] == "unknown user or wrong password"
