"""/api/openapi.json: a valid OpenAPI 3.1 document describing both interfaces."""
from openapi_spec_validator import validate


def test_the_document_is_valid_openapi_3_1(testapp):
    answer = testapp.get("/api/openapi.json")
    assert answer.content_type == "application/json"
    assert answer.headers["Vary"] == "Accept"
    validate(answer.json)  # raises on any error
    assert answer.json["openapi"] == "3.1.0"


def test_it_describes_the_resource_api(testapp):
    paths = testapp.get("/api/openapi.json").json["paths"]
    assert set(paths["/api/tax-years/{year}/tax"]) == {"get", "post"}
    post = paths["/api/tax-years/{year}/tax"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "text/csv",
                                                   "application/xml"}
    assert set(post["responses"]) == {"200", "400", "401", "404", "406", "413", "415", "429",
                                     "503"}
    assert post["security"] == [{"basicAuth": []}, {"sessionCookie": []}]
    assert set(paths["/api/tax-years/{year}"]["get"]["responses"]["200"]["content"]) == {
        "application/json", "application/xml", "text/html"}


def test_it_describes_the_action_api_with_its_envelope(testapp):
    document = testapp.get("/api/openapi.json").json
    paths = document["paths"]
    for path in ("/init-session/{type}", "/authenticate-user", "/calculate-tax",
                 "/calculate-taxes", "/list-simulations", "/delete-simulation/{id}",
                 "/end-session", "/display-tax-calculation", "/get-admindata"):
        assert path in paths, path
    form = paths["/calculate-tax"]["post"]["requestBody"]["content"]
    assert set(form["application/x-www-form-urlencoded"]["schema"]["properties"]) == {
        "married", "children", "salary", "year"}
    assert set(paths["/authenticate-user"]["post"]["responses"]) == {
        "200", "400", "401", "405", "429", "500", "503"}
    assert document["components"]["schemas"]["Envelope"]["required"] == [
        "action", "status", "response"]


def openapi_paths(make_app, **overrides) -> dict:
    import webtest

    return webtest.TestApp(make_app(**overrides)).get("/api/openapi.json").json["paths"]


def test_the_action_api_paths_follow_the_url_prefix(make_app):
    paths = openapi_paths(make_app, **{"impots.url_prefix": "do"})
    assert "/do/calculate-tax" in paths
    assert "/calculate-tax" not in paths
    assert "/api/tax-years" in paths  # the resource API is never prefixed
    assert "/" in paths


def test_every_route_of_the_action_api_is_described(testapp):
    from impots_pyramid.actions.table import ACTIONS
    from impots_pyramid.html import PAGES

    paths = testapp.get("/api/openapi.json").json["paths"]
    described = {action.pattern for action in ACTIONS.values()} | set(PAGES.values())
    assert sorted(described - set(paths)) == []


def test_an_empty_rules_parameter_is_described_as_the_service_accepts_it(testapp, auth):
    """Found by schemathesis: rules= (empty) means the default, and the document says so."""
    get = testapp.get("/api/openapi.json").json["paths"]["/api/tax-years/{year}/tax"]["get"]
    [rules] = [p for p in get["parameters"] if p["name"] == "rules"]
    assert "" in rules["schema"]["enum"]
    answer = testapp.get("/api/tax-years/2019/tax?married=no&children=5&salary=0&rules=",
                         headers=auth)
    assert (answer.status_code, answer.json["rules"]) == (200, "law")


def test_get_on_the_state_changing_actions_is_described_only_with_csrf_off(make_app):
    """As the service answers: with CSRF on (the default), GET on them is a 405."""
    with_csrf = openapi_paths(make_app)
    without = openapi_paths(make_app, **{"impots.csrf": "false"})
    for path in ("/end-session", "/delete-simulation/{id}"):
        assert set(with_csrf[path]) == {"post"}, path
        assert set(without[path]) == {"get", "post"}, path


def test_init_session_html_and_health_are_described(testapp):
    paths = testapp.get("/api/openapi.json").json["paths"]
    assert "303" in paths["/init-session/{type}"]["get"]["responses"]
    health = paths["/health"]["get"]
    assert set(health["responses"]) == {"200", "503"}
    assert health["security"] == []


def test_the_action_api_forms_are_described_as_the_service_checks_them(testapp):
    """Found by schemathesis with a logged-in session: what the document called valid was
    refused (year 0, an empty user, an empty batch), and a 415 was undocumented."""
    paths = testapp.get("/api/openapi.json").json["paths"]
    years = list(range(2019, 2027))
    form = paths["/calculate-tax"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["year"]["enum"] == [*years, ""]  # empty: the default year
    assert form["required"] == ["married", "children", "salary"]
    [year] = paths["/get-admindata"]["get"]["parameters"]
    assert year["schema"]["enum"] == [*years, ""]
    login = paths["/authenticate-user"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]["schema"]
    assert login["required"] == ["user", "password"]
    assert login["properties"]["user"]["minLength"] == 1
    batch = paths["/calculate-taxes"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"]["minItems"] == 1
    assert "415" in batch["responses"]
