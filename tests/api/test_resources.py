"""The traversal tree: URLs, links, 404s for unknown years, authentication and methods."""
import pytest

from tests.helpers import basic

YEARS = [2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]


def test_tax_years_lists_every_year_of_the_database_with_links(testapp, auth):
    answer = testapp.get("/api/tax-years", headers=auth)
    assert answer.status_code == 200
    assert answer.content_type == "application/json"
    assert [item["year"] for item in answer.json["tax_years"]] == YEARS
    first = answer.json["tax_years"][0]
    assert first == {"year": 2019, "income_year": 2018,
                     "href": "http://example.com/api/tax-years/2019"}
    assert answer.json["links"]["self"] == "http://example.com/api/tax-years"


def test_a_tax_year_gives_its_parameters_from_the_database(testapp, auth):
    answer = testapp.get("/api/tax-years/2019", headers=auth).json
    assert answer["year"] == 2019
    assert answer["income_year"] == 2018
    assert answer["brackets"] == [0, 9964, 27519, 73779, 156244]
    assert answer["rates"] == [0.0, 0.14, 0.3, 0.41, 0.45]
    assert answer["qf_cap_per_half_part"] == 1551
    assert (answer["deduction_min"], answer["deduction_max"]) == (437, 12502)
    assert answer["links"] == {
        "self": "http://example.com/api/tax-years/2019",
        "tax": "http://example.com/api/tax-years/2019/tax",
        "tax_years": "http://example.com/api/tax-years",
    }


def test_the_links_carry_the_mount_point(app, auth):
    import webtest

    mounted = webtest.TestApp(app, extra_environ={"HTTP_HOST": "host",
                                                  "SCRIPT_NAME": "/impots"})
    years = mounted.get("/api/tax-years", headers=auth).json
    assert years["tax_years"][0]["href"] == "http://host/impots/api/tax-years/2019"
    year = mounted.get("/api/tax-years/2020", headers=auth).json
    assert year["links"]["tax"] == "http://host/impots/api/tax-years/2020/tax"
    index = mounted.get("/api/").json
    assert index["links"]["openapi"] == "http://host/impots/api/openapi.json"
    document = mounted.get("/api/openapi.json").json
    assert document["servers"] == [{"url": "http://host/impots"}]


@pytest.mark.parametrize("year", ["1999", "2027", "abc", "2019.0", "02019", "-2019"])
def test_an_unknown_year_is_a_404_problem_naming_the_year(testapp, auth, year):
    answer = testapp.get(f"/api/tax-years/{year}", headers=auth, status=404)
    assert answer.content_type == "application/problem+json"
    assert answer.json["status"] == 404
    assert answer.json["detail"] == f"no tax year {year}"
    assert answer.json["errors"] == [{
        "field": "year", "value": year,
        "detail": "a tax year among 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026 expected"}]


def test_the_tax_of_an_unknown_year_is_a_404_too(testapp, auth):
    answer = testapp.get("/api/tax-years/1999/tax?married=yes&children=0&salary=1",
                         headers=auth, status=404)
    assert answer.json["detail"] == "no tax year 1999"


@pytest.mark.parametrize("url", ["/api/nothing", "/api/tax-years/2019/nothing",
                                 "/api/tax-years/2019/tax/more", "/api/openapi.json/more"])
def test_other_urls_under_api_are_404_problems(testapp, auth, url):
    answer = testapp.get(url, headers=auth, status=404)
    assert answer.content_type == "application/problem+json"
    assert answer.json["title"] == "Not Found"
    assert answer.headers["Vary"] == "Accept"


@pytest.mark.parametrize("url", ["/api/tax-years", "/api/tax-years/2019",
                                 "/api/tax-years/2019/tax?married=no&children=0&salary=1"])
def test_without_credentials_the_api_asks_for_basic_authentication(testapp, url):
    answer = testapp.get(url, status=401)
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="impots"'
    assert answer.content_type == "application/problem+json"
    assert answer.json["status"] == 401
    assert answer.headers["Vary"] == "Accept"


def test_a_wrong_password_is_a_401_too(testapp):
    answer = testapp.get("/api/tax-years", headers=basic("admin", "wrong"), status=401)
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="impots"'
    assert answer.json["detail"] == "unknown user or wrong password"
    testapp.get("/api/tax-years", headers=basic("nobody", "admin"), status=401)


def test_a_batch_without_credentials_is_refused_before_its_body_is_read(testapp):
    answer = testapp.post("/api/tax-years/2019/tax", "not even JSON",
                          headers={"Content-Type": "application/json"}, status=401)
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="impots"'


def test_api_without_its_slash_leads_to_the_index(app):
    """/api is what people type: a redirect to /api/, under the mount point, query kept."""
    import webtest

    mounted = webtest.TestApp(app, extra_environ={"HTTP_HOST": "host", "SCRIPT_NAME": "/impots"})
    answer = mounted.get("/api?format=xml", status=301)
    assert answer.location == "http://host/impots/api/?format=xml"
    assert answer.follow().content_type == "application/xml"


def test_the_description_and_the_index_are_public(testapp):
    assert testapp.get("/api/openapi.json").json["openapi"] == "3.1.0"
    assert testapp.get("/api/").json["links"]["tax_years"] == "http://example.com/api/tax-years"


def test_a_session_logged_in_through_the_action_api_also_works(testapp):
    token = testapp.get("/init-session/json").json["csrf_token"]
    testapp.post("/authenticate-user",
                 {"user": "admin", "password": "admin", "csrf_token": token}, status=200)
    answer = testapp.get("/api/tax-years/2019/tax?married=yes&children=2&salary=55555")
    assert answer.json["tax"] == 2815


@pytest.mark.parametrize("method, url, allowed", [
    ("PUT", "/api/tax-years", "GET, HEAD"),
    ("DELETE", "/api/tax-years/2019", "GET, HEAD"),
    ("PATCH", "/api/tax-years/2019/tax", "GET, HEAD, POST"),
    ("POST", "/api/tax-years/2019", "GET, HEAD"),
    ("POST", "/api/openapi.json", "GET, HEAD"),
])
def test_other_methods_are_405_with_allow(testapp, auth, method, url, allowed):
    answer = testapp.request(url, method=method, headers=auth, status=405)
    assert answer.headers["Allow"] == allowed
    assert answer.content_type == "application/problem+json"
    assert answer.json["status"] == 405


def test_head_answers_like_get_without_a_body(testapp, auth):
    answer = testapp.head("/api/tax-years/2019", headers=auth, status=200)
    assert answer.content_type == "application/json"
    assert answer.body == b""


def test_the_action_api_keeps_its_own_envelope_for_errors(testapp):
    """The API's exception views are for /api only: the action API's 404 is not a problem."""
    answer = testapp.get("/list-simulations", status=400)
    assert answer.content_type != "application/problem+json"
    assert "Vary" not in answer.headers or "Accept" not in answer.headers["Vary"]
