"""Representation by Accept, ?format= overriding it, 406 otherwise, Vary: Accept always."""
import pytest

from impots_pyramid.web.xml import parse as parse_xml

TAX = "/api/tax-years/2019/tax?married=yes&children=2&salary=55555"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json",
                                    "text/html;q=0.5, application/json",
                                    "application/*", "text/html;q=0.9, */*"])
def test_json_is_the_answer_to_no_accept_any_type_and_json(testapp, auth, accept):
    headers = dict(auth, **({"Accept": accept} if accept else {}))
    answer = testapp.get(TAX, headers=headers)
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.json["tax"] == 2815
    assert answer.headers["Vary"] == "Accept"


def test_xml_when_asked(testapp, auth):
    answer = testapp.get(TAX, headers=dict(auth, Accept="application/xml"))
    assert answer.headers["Content-Type"] == "application/xml; charset=utf-8"
    root = parse_xml(answer.body)
    assert root.tag == "root"
    assert root.findtext("tax") == "2815"
    assert root.findtext("rate") == "0.14"
    assert root.findtext("parts") == "3.0"
    assert root.findtext("taxable_income") == "49999"
    assert answer.headers["Vary"] == "Accept"


def test_html_when_a_browser_asks(testapp, auth):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    answer = testapp.get(TAX, headers=dict(auth, Accept=browser))
    assert answer.content_type == "text/html"
    assert "<dt>Tax</dt><dd>2815 €</dd>" in answer.text
    assert answer.headers["Vary"] == "Accept"


def test_the_tax_years_as_html_link_to_each_year(testapp, auth):
    answer = testapp.get("/api/tax-years", headers=dict(auth, Accept="text/html"))
    assert answer.content_type == "text/html"
    assert '<a href="http://example.com/api/tax-years/2026">2026</a>' in answer.text


def test_a_tax_year_as_xml_lists_its_brackets_as_items(testapp, auth):
    answer = testapp.get("/api/tax-years/2019", headers=dict(auth, Accept="application/xml"))
    root = parse_xml(answer.body)
    assert [item.text for item in root.find("brackets")] == ["0", "9964", "27519", "73779", "156244"]


@pytest.mark.parametrize("fmt, content_type", [("json", "application/json"),
                                                ("xml", "application/xml"),
                                                ("html", "text/html"),
                                                ("XML", "application/xml")])
def test_format_overrides_accept(testapp, auth, fmt, content_type):
    answer = testapp.get(f"{TAX}&format={fmt}", headers=dict(auth, Accept="text/csv"))
    assert answer.content_type == content_type
    assert answer.headers["Vary"] == "Accept"


@pytest.mark.parametrize("accept", ["text/csv", "image/png", "application/json;q=0"])
def test_an_unacceptable_accept_is_a_406_problem(testapp, auth, accept):
    answer = testapp.get(TAX, headers=dict(auth, Accept=accept), status=406)
    assert answer.content_type == "application/problem+json"
    assert answer.json["status"] == 406
    assert "?format=json|xml|html" in answer.json["detail"]
    assert answer.headers["Vary"] == "Accept"


def test_an_unknown_format_is_a_406_problem_naming_it(testapp, auth):
    answer = testapp.get(f"{TAX}&format=pdf", headers=auth, status=406)
    assert answer.json["errors"] == [{"field": "format", "value": "pdf",
                                      "detail": "one of json, xml, html, csv expected"}]


def test_problems_come_as_xml_to_a_client_that_prefers_xml(testapp, auth):
    answer = testapp.get("/api/tax-years/1999", headers=dict(auth, Accept="application/xml"),
                         status=404)
    assert answer.headers["Content-Type"] == "application/problem+xml; charset=utf-8"
    root = parse_xml(answer.body)
    namespace = "{urn:ietf:rfc:7807}"
    assert root.tag == f"{namespace}problem"
    assert root.findtext(f"{namespace}status") == "404"
    assert root.findtext(f"{namespace}errors/{namespace}item/{namespace}field") == "year"


def test_format_xml_also_chooses_the_xml_problem(testapp, auth):
    answer = testapp.get("/api/tax-years/2019/tax?married=maybe&children=0&salary=1&format=xml",
                         headers=auth, status=400)
    assert answer.content_type == "application/problem+xml"


def test_the_action_api_answers_carry_no_vary_accept_from_the_resource_api(testapp):
    answer = testapp.get("/init-session/json")
    assert "Accept" not in answer.headers.get("Vary", "")


def test_a_tax_year_as_html_shows_its_scale_and_a_calculation_form(testapp, auth):
    answer = testapp.get("/api/tax-years/2019", headers=dict(auth, Accept="text/html"))
    assert "<tr><td>73779</td><td>0.41</td></tr>" in answer.text
    assert '<form action="http://example.com/api/tax-years/2019/tax" method="get">' in answer.text


def test_a_batch_as_html_is_a_table_of_results(testapp, auth):
    answer = testapp.post("/api/tax-years/2019/tax", b"married,children,salary\nyes,3,200000\n",
                          headers=dict(auth, **{"Content-Type": "text/csv", "Accept": "text/html"}))
    assert answer.content_type == "text/html"
    assert "<td>42843</td><td>9785</td>" in answer.text
