"""GET /api/tax-years/{year}/tax/curve: the tax against the salary, as JSON, XML, HTML, CSV."""
import csv
import io
import xml.etree.ElementTree as ET

from impots_pyramid.tax import load_tax_years
from impots_pyramid.tax.curve import curve

URL = "/api/tax-years/{}/tax/curve"
QUERY = "?married=yes&children=2&from=0&to=100000&step=1000"


def engine(year=2026, married="yes", children=2, start=0, stop=100000, step=1000,
           rules="law"):
    return curve(load_tax_years()[year], married, children, start, stop, step, rules)


def test_the_points_are_the_engines(testapp, auth):
    answer = testapp.get(URL.format(2026) + QUERY, headers=auth)
    assert answer.content_type == "application/json"
    body = answer.json
    expected = engine()
    assert (body["year"], body["rules"], body["married"], body["children"]) == \
        (2026, "law", "yes", 2)
    assert (body["from"], body["to"], body["step"], body["count"]) == (0, 100000, 1000, 101)
    for name, values in expected.items():
        assert [point[name] for point in body["points"]] == values.tolist(), name


def test_csv_by_accept_or_format(testapp, auth):
    by_accept = testapp.get(URL.format(2026) + QUERY, headers={**auth, "Accept": "text/csv"})
    by_format = testapp.get(URL.format(2026) + QUERY + "&format=csv", headers=auth)
    assert by_accept.body == by_format.body
    assert by_accept.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(by_accept.text)))
    assert len(rows) == 101
    assert [int(row["tax"]) for row in rows] == engine()["tax"].tolist()
    assert by_accept.headers["Vary"] == "Accept"


def test_xml_and_html(testapp, auth):
    answer = testapp.get(URL.format(2019) + QUERY, headers={**auth, "Accept": "application/xml"})
    root = ET.fromstring(answer.body)
    assert [int(item.findtext("tax")) for item in root.findall("points/item")] == \
        engine(year=2019)["tax"].tolist()
    page = testapp.get(URL.format(2019) + QUERY + "&format=html", headers=auth)
    assert len(page.html.select("tbody tr")) == 101


def test_the_course_rules_in_2019(testapp, auth):
    answer = testapp.get(URL.format(2019) + QUERY + "&rules=course", headers=auth).json
    assert [p["tax"] for p in answer["points"]] == \
        engine(year=2019, rules="course")["tax"].tolist()


def test_bad_bounds_are_a_400_naming_each(testapp, auth):
    answer = testapp.get(URL.format(2026) + "?married=yes&children=2&from=-1&to=x&step=0",
                         headers=auth, status=400)
    assert answer.content_type == "application/problem+json"
    assert [e["field"] for e in answer.json["errors"]] == ["from", "to", "step"]
    answer = testapp.get(URL.format(2026) + "?married=no&children=0&from=10&to=5&step=1",
                         headers=auth, status=400)
    assert [e["field"] for e in answer.json["errors"]] == ["to"]


def test_at_most_10001_points(testapp, auth):
    testapp.get(URL.format(2026) + "?married=no&children=0&from=0&to=10000&step=1",
                headers=auth, status=200)
    answer = testapp.get(URL.format(2026) + "?married=no&children=0&from=0&to=10001&step=1",
                         headers=auth, status=400)
    assert answer.json["errors"][0]["field"] == "step"


def test_missing_household_fields_are_named(testapp, auth):
    answer = testapp.get(URL.format(2026) + "?from=0&to=10&step=1", headers=auth, status=400)
    assert [(e["field"], e["value"]) for e in answer.json["errors"]] == \
        [("married", None), ("children", None)]


def test_credentials_method_and_openapi(testapp, auth):
    testapp.get(URL.format(2026) + QUERY, status=401)
    assert testapp.put(URL.format(2026), headers=auth, status=405).headers["Allow"] == \
        "GET, HEAD"
    operation = testapp.get("/api/openapi.json").json["paths"][
        "/api/tax-years/{year}/tax/curve"]["get"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "step", "year"}


def test_csv_elsewhere_is_a_406(testapp, auth):
    answer = testapp.get("/api/tax-years?format=csv", headers=auth, status=406)
    assert answer.json["status"] == 406
