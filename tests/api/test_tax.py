"""GET /api/tax-years/{year}/tax: one household's figures, and each bad field named."""
import pytest

from impots_pyramid.tax import Household, calculate, load_tax_years
from tests.helpers import read_course_cases

COURSE_CASES = read_course_cases()
OUTPUTS = ("tax", "surcharge", "discount", "reduction", "rate")


def expected(case, rules="law") -> dict:
    figures = {name: int(case[f"{rules}_{name}"]) for name in OUTPUTS if name != "rate"}
    figures["rate"] = float(case[f"{rules}_rate"])
    return figures


@pytest.mark.parametrize("case", COURSE_CASES,
                         ids=[f"{c['married']}-{c['children']}-{c['salary']}" for c in COURSE_CASES])
def test_the_course_cases_come_out_as_the_law_figures(testapp, auth, case):
    answer = testapp.get("/api/tax-years/2019/tax", {
        "married": case["married"], "children": case["children"], "salary": case["salary"],
    }, headers=auth).json
    assert {name: answer[name] for name in OUTPUTS} == expected(case)
    # ...and as the engine computes them, parts and taxable income included.
    household = Household(case["married"] == "yes", int(case["children"]), int(case["salary"]))
    result = calculate(household, load_tax_years()[2019], "law")
    assert answer["parts"] == result.parts
    assert answer["taxable_income"] == result.taxable_income
    assert (answer["year"], answer["rules"]) == (2019, "law")


def test_the_answer_describes_the_household(testapp, auth):
    answer = testapp.get("/api/tax-years/2019/tax?married=yes&children=3&salary=200000",
                         headers=auth).json
    assert answer == {
        "married": "yes", "children": 3, "salary": 200000, "year": 2019, "rules": "law",
        "tax": 42843, "surcharge": 9785, "discount": 0, "reduction": 0, "rate": 0.41,
        "parts": 4.0, "taxable_income": 187498,
    }


@pytest.mark.parametrize("case", COURSE_CASES[:11],
                         ids=[f"{c['married']}-{c['children']}-{c['salary']}" for c in COURSE_CASES[:11]])
def test_rules_course_gives_the_course_figures(testapp, auth, case):
    answer = testapp.get("/api/tax-years/2019/tax", {
        "married": case["married"], "children": case["children"], "salary": case["salary"],
        "rules": "course"}, headers=auth).json
    assert {name: answer[name] for name in OUTPUTS} == expected(case, "course")
    assert answer["rules"] == "course"


def test_other_years_use_their_own_parameters(testapp, auth):
    answer = testapp.get("/api/tax-years/2024/tax?married=no&children=0&salary=40000",
                         headers=auth).json
    household = Household(False, 0, 40000)
    result = calculate(household, load_tax_years()[2024])
    assert answer["year"] == 2024
    assert (answer["tax"], answer["rate"], answer["taxable_income"]) == \
        (result.tax, result.rate, result.taxable_income)


def test_french_spellings_are_accepted(testapp, auth):
    answer = testapp.get("/api/tax-years/2019/tax?mari%C3%A9=oui&enfants=2&salaire=55555",
                         headers=auth).json
    assert (answer["married"], answer["tax"]) == ("yes", 2815)


def test_a_query_string_that_is_not_utf8_is_a_400(testapp, auth):
    answer = testapp.get("/api/tax-years/2019/tax?married=%E9&children=0&salary=1",
                         headers=auth, status=400)
    assert answer.json["detail"] == "the query string is not UTF-8 (byte 1)"


def test_every_bad_field_is_named_with_its_value(testapp, auth):
    answer = testapp.get("/api/tax-years/2019/tax?married=maybe&children=2.5&salary=-3",
                         headers=auth, status=400)
    assert answer.content_type == "application/problem+json"
    assert answer.json["status"] == 400
    assert answer.json["title"] == "Bad Request"
    assert answer.json["errors"] == [
        {"field": "married", "value": "maybe",
         "detail": "invalid value [maybe] for [married]: yes or no expected"},
        {"field": "children", "value": "2.5",
         "detail": "invalid value [2.5] for [children]: a whole number from 0 to 20 expected"},
        {"field": "salary", "value": "-3",
         "detail": "invalid value [-3] for [salary]: "
                   "a whole number of euros from 0 to 1 000 000 000 expected"},
    ]


def test_missing_fields_are_named(testapp, auth):
    answer = testapp.get("/api/tax-years/2019/tax?children=1", headers=auth, status=400)
    assert [(e["field"], e["value"]) for e in answer.json["errors"]] == \
        [("married", None), ("salary", None)]


def test_unknown_rules_are_a_400_naming_rules(testapp, auth):
    answer = testapp.get("/api/tax-years/2019/tax?married=no&children=0&salary=1&rules=mine",
                         headers=auth, status=400)
    assert answer.json["errors"] == [{"field": "rules", "value": "mine",
                                      "detail": "invalid value [mine] for [rules]: "
                                                "law or course expected"}]


def test_course_rules_exist_for_2019_only(testapp, auth):
    answer = testapp.get("/api/tax-years/2020/tax?married=no&children=0&salary=1&rules=course",
                         headers=auth, status=400)
    assert answer.json["errors"][0]["field"] == "year"
    assert answer.json["errors"][0]["value"] == 2020
    assert "tax year 2019 only" in answer.json["errors"][0]["detail"]


def test_a_year_in_the_query_does_not_override_the_url(testapp, auth):
    answer = testapp.get("/api/tax-years/2019/tax?married=no&children=0&salary=50000&year=2026",
                         headers=auth).json
    assert answer["year"] == 2019
