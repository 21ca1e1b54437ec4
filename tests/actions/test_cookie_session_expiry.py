"""Cookie sessions expire as Redis sessions do: at least ``impots.session_timeout`` seconds
after their last request, at most a minute more.

The cookie's renewal time is rewritten at most once a minute (fewer Set-Cookie headers),
so it can lag the last request by up to a minute; the timeout must count that minute in.
"""

import pytest

from tests.actions.client import ActionClient

TIMEOUT = 7200  # the default; its refresh window is 60 s
HOUSEHOLD = {"married": "yes", "children": "2", "salary": "55555"}



@pytest.fixture
def client(make_app, cookie_clock, response_type):
    app = make_app(**{"session.type": "cookie", "impots.session_timeout": str(TIMEOUT)})
    client = ActionClient(app, response_type)
    client.start()
    return client


def test_a_cookie_session_outlives_its_last_request_by_the_whole_timeout(client,
                                                                       cookie_clock):
    assert client.calculate(**HOUSEHOLD)[1]["status"] == 300  # notes activity: a new cookie
    # Within the minute, nothing changed: the cookie and its time are not rewritten.
    cookie_clock(59)
    assert client.calculate(**HOUSEHOLD)[1]["status"] == 300
    cookie_clock(59 + TIMEOUT)  # idle for exactly the timeout since that last request
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (200, 500)
    assert len(data["response"]) == 2


def test_a_cookie_session_is_refused_once_its_timeout_and_window_are_past(client,
                                                                        cookie_clock):
    assert client.calculate(**HOUSEHOLD)[1]["status"] == 300
    cookie_clock(TIMEOUT + 61)
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (400, 101)
