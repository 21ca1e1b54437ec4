"""The same household through the resource API, the engine, the course's figures and the
action API: the same tax."""
from impots_pyramid.tax import Household, calculate, load_tax_years
from tests.helpers import read_course_cases

COURSE_CASES = read_course_cases()
OUTPUTS = ("tax", "surcharge", "discount", "reduction", "rate")


def resource_api_figures(testapp, auth, married, children, salary) -> dict:
    answer = testapp.get("/api/tax-years/2019/tax", {
        "married": married, "children": children, "salary": salary}, headers=auth).json
    return {name: answer[name] for name in OUTPUTS}


def test_the_resource_api_agrees_with_the_engine_and_the_course_cases(testapp, auth):
    params = load_tax_years()[2019]
    for case in COURSE_CASES:
        figures = resource_api_figures(testapp, auth, case["married"], case["children"],
                                       case["salary"])
        engine = calculate(Household(case["married"] == "yes", int(case["children"]),
                                     int(case["salary"])), params).outputs()
        course = {name: (float if name == "rate" else int)(case[f"law_{name}"])
                  for name in OUTPUTS}
        assert figures == engine == course, case


def test_the_action_api_and_the_resource_api_give_the_same_figures(testapp, auth):
    token = testapp.get("/init-session/json").json["csrf_token"]
    login = testapp.post("/authenticate-user",
                         {"user": "admin", "password": "admin", "csrf_token": token})
    token = login.json.get("csrf_token", token)  # a new session id brings a new token
    action = testapp.post("/calculate-tax", {"married": "yes", "children": "2", "salary": "55555"},
                          headers={"X-CSRF-Token": token}).json
    assert (action["action"], action["status"]) == ("calculate-tax", 300)
    simulation = action["response"]
    resource = resource_api_figures(testapp, auth, "yes", 2, 55555)
    assert {name: simulation[name] for name in OUTPUTS} == resource == {
        "tax": 2815, "surcharge": 0, "discount": 0, "reduction": 0, "rate": 0.14}
