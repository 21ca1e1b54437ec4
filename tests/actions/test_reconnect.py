"""Pooled connections that the database dropped (a restart, an idle timeout, an
administrator) are not checked before each use (no pre-ping round trip per request); the
first statement finds out, and the request runs again on a new connection: the client
never sees it."""
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.actions.client import ActionClient
from tests.helpers import new_app

pytestmark = pytest.mark.postgresql
APPLICATION_NAME = "impots-reconnect-test"


def drop_connections(url: str) -> int:
    """What a database restart does to the app's pool: its connections are cut (and
    gone by the time the next request comes)."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        cut = connection.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE application_name = :name"), {"name": APPLICATION_NAME}).scalar()
    admin.dispose()
    return cut


def test_a_calculation_on_a_dropped_connection_is_answered_and_stored_once(postgresql_url):
    # The app's own connections carry a name, so that only they are cut.
    url = make_url(postgresql_url).update_query_dict({"application_name": APPLICATION_NAME})
    app = new_app(url.render_as_string(hide_password=False))  # its connections are cut
    client = ActionClient(app, "json").start()
    assert client.calculate(married="yes", children="2", salary="55555")[1]["status"] == 300

    assert drop_connections(postgresql_url) >= 1
    status, data = client.calculate(married="no", children="0", salary="30000")

    assert (status, data["status"]) == (200, 300), data
    assert [s["id"] for s in client.simulations()] == [1, 2]


@pytest.mark.parametrize("in_transaction, committing, retried", [
    (True, False, True), (False, False, False), (True, True, False)],
    ids=["during-the-view", "during-the-commit", "during-a-statement-committed-alone"])
def test_a_dropped_connection_is_retried_only_before_the_commit(in_transaction, committing,
                                                                retried):
    """Cut during the commit, or during a statement that commits on its own
    (models.committed), the commit may have been applied: a second try could store the
    simulation twice, so the client gets the 503 instead."""
    from pyramid.testing import DummyRequest
    from sqlalchemy.exc import OperationalError

    from impots_pyramid.models.committed import CommitInDoubt
    from impots_pyramid.web.failures import RetryFirstPredicate

    environ = {"retry.attempt": 0, "retry.attempts": 3}
    if in_transaction:
        environ["tm.active"] = True
    error = CommitInDoubt if committing else OperationalError
    lost = error("COMMIT", {}, Exception("server closed the connection"),
                 connection_invalidated=True)
    exception_view_applies = RetryFirstPredicate(True, None)(lost, DummyRequest(environ=environ))
    assert exception_view_applies is not retried
