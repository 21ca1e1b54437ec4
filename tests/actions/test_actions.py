"""Each action of API.md section 1: its success and its failures, in JSON and in XML."""
import pytest
import webtest

from tests.actions.client import ActionClient
from tests.helpers import new_app


def test_root_redirects_to_an_html_session(testapp):
    response = testapp.get("/", status=302)
    assert response.location == "http://example.com/init-session/html"


def test_init_session_sets_the_response_type(client):
    status, data = client.init()
    assert status == 200
    assert data["action"] == "init-session"
    assert data["status"] == 700
    assert data["response"] == [f"session started with response type {client.type}"]
    assert data["csrf_token"]


def test_answers_carry_utf8_charset(client):
    response = client.app.get(f"/init-session/{client.type}")
    assert response.headers["Content-Type"] == f"application/{client.type}; charset=utf-8"


def test_init_session_with_a_bad_type(client):
    status, data = client.get("/init-session/yaml")
    assert (status, data["status"]) == (400, 701)
    assert data["response"] == ["invalid response type [yaml]: json, xml, html expected"]


def test_any_action_before_init_session_is_101_400(client):
    for method, path in (("get", "/list-simulations"), ("post", "/calculate-tax"),
                         ("post", "/authenticate-user")):
        status, data = getattr(client, method)(path)
        assert (status, data["status"]) == (400, 101), path
        assert "init-session" in data["response"][0]


def test_actions_need_a_login_101_401(client):
    client.init()
    for method, path in (("get", "/list-simulations"), ("post", "/calculate-tax"),
                         ("get", "/get-admindata"), ("get", "/display-tax-calculation")):
        status, data = getattr(client, method)(path)
        assert (status, data["status"]) == (401, 101), path
        assert data["response"] == ["not authenticated: log in with authenticate-user"]


def test_login_success_and_new_token(client):
    _, first = client.init()
    status, data = client.login()
    assert (status, data["status"], data["response"]) == (200, 200, "authentication successful")
    assert data["csrf_token"] != first["csrf_token"]


def test_login_changes_the_session_cookie(testapp):
    testapp.get("/init-session/json")
    before = testapp.cookies["impots_session"]
    token = testapp.get("/init-session/json").json["csrf_token"]
    testapp.post("/authenticate-user", {"user": "admin", "password": "admin",
                                        "csrf_token": token})
    assert testapp.cookies["impots_session"] != before


@pytest.mark.parametrize("form, missing", [
    ({"password": "admin"}, ["missing field [user]"]),
    ({"user": "admin"}, ["missing field [password]"]),
    ({}, ["missing field [user]", "missing field [password]"]),
])
def test_login_missing_fields(client, form, missing):
    client.init()
    status, data = client.post("/authenticate-user", form)
    assert (status, data["status"], data["response"]) == (400, 201, missing)


def test_login_bad_credentials_keep_an_earlier_login(client):
    client.start()
    status, data = client.login(password="wrong")
    assert (status, data["status"]) == (401, 201)
    assert data["response"] == ["authentication failed for user [admin]"]
    assert client.calculate(married="yes", children="2", salary="55555")[1]["status"] == 300


def test_failed_logins_are_throttled(client):
    import uuid

    someone = f"someone-{uuid.uuid4().hex[:8]}"  # the app (and its counts) outlives the test
    client.init()
    for _ in range(5):
        assert client.login(user=someone, password="wrong")[0] == 401
    response = client.app.post("/authenticate-user", {"user": someone, "password": "x"},
                               headers={"X-CSRF-Token": client.token}, status=429)
    data = client._answer(response)[1]
    assert data["status"] == 201
    assert 1 <= int(response.headers["Retry-After"]) <= 300
    # another name is not affected
    assert client.login(user="other", password="wrong")[0] == 401


def test_calculate_tax(client):
    client.start()
    status, data = client.calculate(married="yes", children="2", salary="55555")
    assert (status, data["status"]) == (200, 300)
    assert data["response"] == {"id": 1, "married": "yes", "children": 2, "salary": 55555,
                                "tax": 2815, "surcharge": 0, "discount": 0, "reduction": 0,
                                "rate": 0.14, "year": 2019}


def test_calculate_tax_french_fields_and_a_year(client):
    client.start()
    status, data = client.calculate(**{"marié": "Oui ", "enfants": "3", "salaire": "200000",
                                       "year": "2026"})
    assert data["status"] == 300
    assert data["response"]["married"] == "yes"
    assert data["response"]["year"] == 2026


def test_calculate_tax_errors_name_each_field(client):
    client.start()
    status, data = client.calculate(married="maybe", children="-1", salary="3x", year="2018")
    assert (status, data["status"]) == (400, 301)
    assert data["response"] == [
        "invalid value [maybe] for [married]: yes or no expected",
        "invalid value [-1] for [children]: a whole number from 0 to 20 expected",
        "invalid value [3x] for [salary]: a whole number of euros from 0 to 1 000 000 000 expected",
        "invalid value [2018] for [year]: a tax year among 2019, 2020, 2021, 2022, 2023, "
        "2024, 2025, 2026 expected",
    ]
    assert client.simulations() == []


def test_csrf_token_is_required_on_unsafe_requests(client):
    client.start()
    token, client.token = client.token, None
    status, data = client.calculate(married="yes", children="2", salary="55555")
    assert (status, data["status"]) == (403, 121)
    client.token = "forged"
    assert client.calculate(married="yes", children="2", salary="55555")[0] == 403
    client.token = token
    assert client.simulations() == []


def test_csrf_token_as_form_field(client):
    client.start()
    token, client.token = client.token, None
    status, data = client.calculate(married="no", children="0", salary="30000", csrf_token=token)
    assert (status, data["status"]) == (200, 300)


def test_list_and_delete_simulations(client):
    client.start()
    for salary in ("30000", "50000", "70000"):
        client.calculate(married="no", children="0", salary=salary)
    assert [s["id"] for s in client.simulations()] == [1, 2, 3]
    status, data = client.delete(2)
    assert (status, data["status"]) == (200, 600)
    assert [s["id"] for s in data["response"]] == [1, 3]
    status, data = client.delete(2)
    assert (status, data["status"], data["response"]) == (
        404, 601, ["no simulation [2] in this session"])
    assert client.delete("abc")[0] == 404
    # a deleted number is never given again
    assert client.calculate(married="no", children="0", salary="1")[1]["response"]["id"] == 4


def test_get_on_state_changing_actions_needs_csrf_off(client):
    client.start()
    response = client.app.get("/end-session", status=405)
    assert response.headers["Allow"] == "POST"
    assert client.simulations() == []  # the session is still there


@pytest.mark.parametrize("path, status", [("/end-session", 401),
                                          ("/delete-simulation/1", 601)])
def test_get_on_state_changing_actions_is_405_even_without_a_session(testapp, path, status):
    """As for any method an action does not take: the method is checked before the session."""
    response = testapp.get(path, status=405)
    assert response.headers["Allow"] == "POST"
    assert response.json["status"] == status


def test_end_session_clears_everything(client):
    client.start()
    client.calculate(married="no", children="0", salary="30000")
    status, data = client.end()
    assert (status, data["status"], data["response"]) == (200, 400, "session reset")
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (400, 101)
    client.start()
    assert client.simulations() == []


def test_init_session_keeps_login_and_simulations(client):
    client.start()
    client.calculate(married="no", children="0", salary="30000")
    other = "xml" if client.type == "json" else "json"
    client.type = other
    client.init()
    assert len(client.simulations()) == 1


def test_display_tax_calculation(client):
    client.start()
    status, data = client.get("/display-tax-calculation")
    assert (status, data["status"]) == (200, 800)
    assert data["response"]["years"] == list(range(2019, 2027))
    assert data["response"]["default_year"] == 2019


def test_get_admindata(client):
    client.start()
    status, data = client.get("/get-admindata")
    assert (status, data["status"]) == (200, 1000)
    assert data["response"]["tax_year"] == 2019
    assert data["response"]["brackets"] == [0, 9964, 27519, 73779, 156244]
    assert data["response"]["rates"] == [0, 0.14, 0.3, 0.41, 0.45]
    assert data["response"]["qf_cap_per_half_part"] == 1551
    status, data = client.get("/get-admindata", params={"year": "2026"})
    assert data["response"]["income_year"] == 2025
    status, data = client.get("/get-admindata", params={"year": "1999"})
    assert (status, data["status"]) == (400, 1001)
    assert data["response"][0].startswith("invalid value [1999] for [year]")


def test_course_rules_setting(make_app, response_type):
    app = make_app(**{"impots.rules": "course"})
    client = ActionClient(app, response_type).start()
    data = client.calculate(married="yes", children="2", salary="50000")[1]
    assert data["response"]["tax"] == 1384  # the course's figure (the law says 1385)
    status, data = client.calculate(married="yes", children="2", salary="50000", year="2020")
    assert (status, data["status"]) == (400, 301)
    assert data["response"] == [
        "invalid value [2020] for [year]: the course rules exist for tax year 2019 only"]


def test_csrf_off_reproduces_the_course_clients(make_app, response_type):
    app = make_app(**{"impots.csrf": "false"})
    client = ActionClient(app, response_type)
    assert "csrf_token" not in client.init()[1]
    client.login()
    client.calculate(married="yes", children="2", salary="55555")
    status, data = client.get("/delete-simulation/1")
    assert (status, data["status"], data["response"]) == (200, 600, [])
    status, data = client.get("/end-session")
    assert (status, data["status"]) == (200, 400)


def test_session_backends_keep_the_session(committed_app, response_type):
    client = ActionClient(committed_app, response_type).start()
    client.calculate(married="yes", children="3", salary="100000")
    assert [s["tax"] for s in client.simulations()] == [9200]
    client.end()
    assert client.get("/list-simulations")[1]["status"] == 101


def test_session_expires_after_the_timeout(make_app, session_settings, response_type):
    import time

    app = make_app(**session_settings, **{"impots.session_timeout": "1"})
    client = ActionClient(app, response_type).start()
    time.sleep(2.1)
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (400, 101)


def test_unexpected_errors_are_131_without_traceback(testapp, monkeypatch, caplog):
    from impots_pyramid.services import simulations

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire at /secret/path")

    client = ActionClient(testapp)
    client.start()
    monkeypatch.setattr(simulations, "list_table", broken)  # what list-simulations reads with
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (500, 131)
    assert data["response"] == [
        "internal error: the request could not be completed (RuntimeError)"]
    assert "secret" not in str(data) and "Traceback" not in str(data)
    assert "disk on fire" in caplog.text  # logged, with its traceback
    assert any(record.exc_info for record in caplog.records)


def test_session_store_unreachable_is_171_503(sqlite_url):
    app = new_app(sqlite_url, **{
        "session.type": "redis", "redis.sessions.url": "redis://127.0.0.1:1/0"})
    response = webtest.TestApp(app).get("/init-session/json", status=503)
    assert response.json == {"action": "init-session", "status": 171, "response": [
        "the session store is unavailable: try again in a few seconds"]}
    assert response.headers["Retry-After"] == "5"
    assert "Set-Cookie" not in response.headers  # nothing was stored


@pytest.mark.parametrize("method, path, allowed, status", [
    ("GET", "/calculate-tax", "POST", 301),
    ("DELETE", "/calculate-tax", "POST", 301),
    ("POST", "/list-simulations", "GET, HEAD", 501),
])
def test_a_method_no_view_takes_is_405(client, method, path, allowed, status):
    client.start()
    response = client.app.request(path, method=method, status=405)
    assert response.headers["Allow"] == allowed
    assert client._answer(response)[1]["status"] == status


def test_an_odd_method_on_the_root_is_405_not_500(testapp):
    assert testapp.request("/", method="TRACE", status=405).headers["Allow"] == "GET, HEAD"


def test_a_browser_without_a_session_gets_pages_not_envelopes(testapp):
    # e.g. a login form posted after the session expired: back to the start, as a page
    response = testapp.post("/authenticate-user", {"user": "admin", "password": "admin"},
                            headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.location.startswith("http://example.com/init-session/html")
    # an API client (curl sends */*) still gets the envelope
    response = testapp.post("/authenticate-user", {}, headers={"Accept": "*/*"}, status=400)
    assert response.json["status"] == 101
