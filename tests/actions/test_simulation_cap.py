"""impots.max_simulations: a session holds at most that many simulations (409, nothing
written), and list-simulations pages with ?offset=&limit= (issue 17, point 4)."""
import pytest
import webtest

from impots_pyramid import main
from tests.actions.client import ActionClient
from tests.helpers import base_settings

HOUSEHOLD = {"married": "no", "children": 0, "salary": 30000}


@pytest.fixture
def capped_app(database_url):
    """On every database: PostgreSQL numbers and inserts one simulation in one statement."""
    return main({}, **base_settings(database_url, **{"impots.max_simulations": "3"}))


@pytest.fixture
def client(capped_app):
    """A client of an app that commits: a refusal must abort what it began."""
    return ActionClient(webtest.TestApp(capped_app, extra_environ={
        "HTTP_HOST": "example.com"})).start()


FULL = "this session already holds 3 simulations, at most 3: delete some or end the session"


def test_a_full_session_refuses_one_more_simulation_with_409(client):
    for _ in range(3):
        assert client.calculate(**HOUSEHOLD)[0] == 200
    status, data = client.calculate(**HOUSEHOLD)
    assert (status, data["status"], data["response"]) == (409, 301, [FULL])
    assert [s["id"] for s in client.simulations()] == [1, 2, 3]
    # deleting one makes room again (the count is exact, not the numbers given), and the
    # refusal took no number
    assert client.delete(2)[0] == 200
    status, data = client.calculate(**HOUSEHOLD)
    assert (status, data["response"]["id"]) == (200, 4)
    assert client.calculate(**HOUSEHOLD)[0] == 409


def test_a_batch_that_would_pass_the_cap_records_nothing(client):
    assert client.calculate(**HOUSEHOLD)[0] == 200
    status, data = client.calculate_many([HOUSEHOLD] * 3)
    assert (status, data["status"]) == (409, 1501)
    assert data["response"] == ["this session already holds 1 simulations, at most 3: "
                                "delete some or end the session"]
    assert len(client.simulations()) == 1
    assert client.calculate_many([HOUSEHOLD] * 2)[0] == 200
    assert len(client.simulations()) == 3


def test_the_html_form_shows_the_refusal(capped_app):
    app = webtest.TestApp(capped_app, extra_environ={"HTTP_HOST": "example.com"})
    app.get("/init-session/html")
    page = app.get("/display-authentication-view")
    token = page.forms[0]["csrf_token"].value
    page = app.post("/authenticate-user", {"user": "admin", "password": "admin",
                                           "csrf_token": token}).follow()
    token = page.forms[0]["csrf_token"].value
    for _ in range(3):
        app.post("/calculate-tax", {**HOUSEHOLD, "csrf_token": token}, status=303)
    page = app.post("/calculate-tax", {**HOUSEHOLD, "csrf_token": token}, status=303).follow()
    assert "this session already holds 3 simulations" in page.text


def test_list_simulations_pages(client):
    client.calculate_many([dict(HOUSEHOLD, salary=s) for s in (10000, 20000, 30000)])
    assert [s["id"] for s in client.simulations()] == [1, 2, 3]
    status, data = client.get("/list-simulations?offset=1&limit=1")
    assert (status, [s["salary"] for s in data["response"]]) == (200, [20000])
    assert [s["id"] for s in client.get("/list-simulations?offset=2")[1]["response"]] == [3]
    assert [s["id"] for s in client.get("/list-simulations?limit=2")[1]["response"]] == [1, 2]


@pytest.mark.parametrize("query, messages", [
    ("offset=-1", ["invalid value [-1] for [offset]: a whole number from 0 expected"]),
    ("limit=0&offset=x", ["invalid value [x] for [offset]: a whole number from 0 expected",
                          "invalid value [0] for [limit]: a whole number from 1 expected"]),
    ("limit=" + "9" * 100, [f"invalid value [{'9' * 40}… (100 characters)] for [limit]: "
                            "a whole number from 1 expected"]),
])
def test_bad_paging_parameters_are_a_400_naming_them(client, query, messages):
    status, data = client.get(f"/list-simulations?{query}")
    assert (status, data["status"], data["response"]) == (400, 501, messages)


def test_the_setting_is_coerced_and_checked():
    from impots_pyramid.settings import ConfigurationError, normalize
    settings = normalize({"sqlalchemy.url": "sqlite://"})
    assert settings["impots.max_simulations"] == 100_000
    assert normalize({"sqlalchemy.url": "sqlite://", "impots.max_simulations": "5"})[
        "impots.max_simulations"] == 5
    with pytest.raises(ConfigurationError, match="impots.max_simulations"):
        normalize({"sqlalchemy.url": "sqlite://", "impots.max_simulations": "0"})
