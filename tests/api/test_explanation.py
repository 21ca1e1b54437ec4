"""GET /api/tax-years/{year}/tax/explanation: the steps of one household's tax."""
import xml.etree.ElementTree as ET

import pytest

from impots_pyramid.tax import Household, load_tax_years
from impots_pyramid.tax.explain import explain

URL = "/api/tax-years/{}/tax/explanation"
KEYS = {"year", "rules", "married", "children", "salary", "deduction", "taxable_income",
        "parts", "child_half_parts", "quotient", "brackets", "gross_tax",
        "tax_without_children", "cap", "cap_reached", "tax_after_cap", "surcharge",
        "discount", "reduction", "tax", "marginal_rate", "average_rate", "payable",
        "applied", "sentences"}


@pytest.mark.parametrize("year, married, children, salary, rules", [
    (2019, "yes", 2, 55555, "law"),
    (2019, "no", 0, 30000, "course"),
    (2026, "yes", 3, 200000, "law"),
    (2026, "no", 1, 18000, "law"),
    (2024, "no", 0, 1_000_000, "law"),
])
def test_the_figures_are_the_engines(testapp, auth, year, married, children, salary, rules):
    answer = testapp.get(URL.format(year), {"married": married, "children": children,
                                            "salary": salary, "rules": rules},
                         headers=auth)
    assert answer.content_type == "application/json"
    expected = explain(Household(married == "yes", children, salary),
                       load_tax_years()[year], rules)
    assert answer.json == expected
    assert KEYS <= set(answer.json)
    assert set(answer.json["payable"]) == {"amount", "cehr", "collected"}
    assert {"lower", "upper", "rate", "taxed_income", "tax"} <= set(answer.json["brackets"][0])


def test_the_rules_default_to_the_services(testapp, auth):
    answer = testapp.get(URL.format(2019) + "?married=yes&children=2&salary=55555",
                         headers=auth).json
    assert (answer["rules"], answer["tax"]) == ("law", 2815)


def test_xml_is_well_formed(testapp, auth):
    answer = testapp.get(URL.format(2026) + "?married=yes&children=2&salary=55555",
                         headers={**auth, "Accept": "application/xml"})
    assert answer.content_type == "application/xml"
    root = ET.fromstring(answer.body)
    expected = explain(Household(True, 2, 55555), load_tax_years()[2026])
    assert root.findtext("tax") == str(expected["tax"])
    assert root.findtext("payable/amount") == str(expected["payable"]["amount"])
    assert len(root.findall("brackets/item")) == len(expected["brackets"])
    assert answer.headers["Vary"] == "Accept"


def test_html_shows_the_steps(testapp, auth):
    answer = testapp.get(URL.format(2026) + "?married=yes&children=2&salary=55555&format=html",
                         headers=auth)
    assert answer.content_type == "text/html"
    expected = explain(Household(True, 2, 55555), load_tax_years()[2026])
    shown = [item.get_text() for item in answer.html.select("li")]
    assert shown == expected["sentences"]
    assert len(answer.html.select("tbody tr")) == len(expected["brackets"])


def test_bad_fields_are_the_same_400_as_tax(testapp, auth):
    query = "?married=maybe&children=2.5&salary=-3"
    answer = testapp.get(URL.format(2019) + query, headers=auth, status=400)
    sibling = testapp.get("/api/tax-years/2019/tax" + query, headers=auth, status=400)
    assert answer.content_type == "application/problem+json"
    assert [e["field"] for e in answer.json["errors"]] == ["married", "children", "salary"]
    assert answer.json["errors"] == sibling.json["errors"]


def test_course_rules_exist_for_2019_only(testapp, auth):
    answer = testapp.get(URL.format(2026) + "?married=no&children=0&salary=1&rules=course",
                         headers=auth, status=400)
    assert answer.json["errors"][0]["field"] == "year"


def test_credentials_are_required(testapp):
    answer = testapp.get(URL.format(2019) + "?married=no&children=0&salary=1", status=401)
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="impots"'
    assert answer.json["status"] == 401


def test_another_method_is_a_405(testapp, auth):
    answer = testapp.post(URL.format(2019), headers=auth, status=405)
    assert answer.headers["Allow"] == "GET, HEAD"


def test_unknown_year_and_below_are_404(testapp, auth):
    testapp.get(URL.format(1990) + "?married=no&children=0&salary=1", headers=auth, status=404)
    testapp.get(URL.format(2019) + "/more", headers=auth, status=404)


def test_the_openapi_document_describes_it(testapp):
    document = testapp.get("/api/openapi.json").json
    operation = document["paths"]["/api/tax-years/{year}/tax/explanation"]["get"]
    assert {"200", "400", "401", "404"} <= set(operation["responses"])
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Explanation"}
    assert set(document["components"]["schemas"]["Explanation"]["required"]) == KEYS
