"""POST /api/tax-years/{year}/tax: batches as JSON, CSV or XML, all or nothing, limits."""
import csv
import io
import json

import pytest

from impots_pyramid.tax import calculate_many, load_tax_years
from tests.helpers import read_course_cases

COURSE_CASES = read_course_cases()
URL = "/api/tax-years/2019/tax"
OUTPUTS = ("tax", "surcharge", "discount", "reduction", "rate")


def post(app, body, content_type, headers, status=200, url=URL):
    body = body.encode("utf-8") if isinstance(body, str) else body
    return app.post(url, body, headers=dict(headers, **{"Content-Type": content_type}),
                    status=status)


def figures(result) -> tuple:
    return tuple(result[name] for name in OUTPUTS)


def course_figures(case) -> tuple:
    return tuple(int(case[f"law_{n}"]) for n in OUTPUTS[:-1]) + (float(case["law_rate"]),)


def test_a_json_batch_of_the_course_cases_gives_their_law_figures(testapp, auth):
    households = [{"married": c["married"], "children": int(c["children"]),
                   "salary": int(c["salary"])} for c in COURSE_CASES]
    answer = post(testapp, json.dumps(households), "application/json", auth)
    assert answer.content_type == "application/json"
    assert answer.headers["Vary"] == "Accept"
    assert (answer.json["year"], answer.json["rules"], answer.json["count"]) == (2019, "law", 16)
    assert [figures(r) for r in answer.json["results"]] == [course_figures(c) for c in COURSE_CASES]
    # parts and taxable income as the engine has them
    engine = calculate_many(load_tax_years()[2019], [c["married"] == "yes" for c in COURSE_CASES],
                            [int(c["children"]) for c in COURSE_CASES],
                            [int(c["salary"]) for c in COURSE_CASES])
    assert [r["parts"] for r in answer.json["results"]] == engine["parts"].tolist()
    assert [r["taxable_income"] for r in answer.json["results"]] == engine["taxable_income"].tolist()


def test_each_result_repeats_its_household(testapp, auth):
    answer = post(testapp, '[{"married": true, "children": 3, "salary": 200000}]',
                  "application/json", auth)
    assert answer.json["results"] == [{
        "married": "yes", "children": 3, "salary": 200000, "year": 2019, "rules": "law",
        "tax": 42843, "surcharge": 9785, "discount": 0, "reduction": 0, "rate": 0.41,
        "parts": 4.0, "taxable_income": 187498}]


def test_a_csv_batch(testapp, auth):
    body = "married,children,salary\r\nyes,2,55555\r\nno,0,100000\r\n\r\n"
    answer = post(testapp, body, "text/csv", auth)
    assert [figures(r) for r in answer.json["results"]] == [
        (2815, 0, 0, 0, 0.14), (22986, 0, 0, 0, 0.41)]


def test_a_csv_batch_with_the_french_columns_and_a_bom(testapp, auth):
    body = "\ufeffmarié;enfants;salaire\n".replace(";", ",") + "oui,2,55555\n"
    answer = post(testapp, body, "text/csv; charset=utf-8", auth)
    assert answer.json["results"][0]["tax"] == 2815


def test_an_xml_batch(testapp, auth):
    body = ("<taxpayers><taxpayer><married>yes</married><children>2</children>"
            "<salary>55555</salary></taxpayer><taxpayer><married>yes</married>"
            "<children>3</children><salary>200000</salary></taxpayer></taxpayers>")
    answer = post(testapp, body, "application/xml", auth)
    assert [figures(r) for r in answer.json["results"]] == [
        (2815, 0, 0, 0, 0.14), (42843, 9785, 0, 0, 0.41)]


def test_a_batch_answered_as_xml(testapp, auth):
    from impots_pyramid.web.xml import parse

    answer = post(testapp, '[{"married": "no", "children": 0, "salary": 100000}]',
                  "application/json", dict(auth, Accept="application/xml"))
    assert answer.content_type == "application/xml"
    assert parse(answer.body).findtext("results/item/tax") == "22986"


def test_a_batch_with_course_rules(testapp, auth):
    answer = post(testapp, '[{"married": "yes", "children": 3, "salary": 200000}]',
                  "application/json", auth, url=URL + "?rules=course")
    assert figures(answer.json["results"][0]) == (42842, 17283, 0, 0, 0.41)
    assert answer.json["rules"] == "course"


def test_course_rules_for_another_year_are_a_400_naming_year(testapp, auth):
    answer = post(testapp, '[{"married": "yes", "children": 3, "salary": 200000}]',
                  "application/json", auth, status=400, url="/api/tax-years/2021/tax?rules=course")
    assert answer.json["errors"][0]["field"] == "year"


def test_bad_items_are_each_named_with_their_index_and_nothing_is_computed(testapp, auth):
    body = json.dumps([
        {"married": "yes", "children": 2, "salary": 55555},
        {"married": "maybe", "children": 2, "salary": 55555},
        {"married": "no", "children": 0, "salary": 1000},
        {"married": "no", "children": -1},
    ])
    answer = post(testapp, body, "application/json", auth, status=400)
    assert answer.content_type == "application/problem+json"
    assert "results" not in answer.json
    assert answer.json["detail"] == "2 of 4 households have errors: nothing was computed"
    assert [(e["index"], e["field"], e["value"]) for e in answer.json["errors"]] == [
        (1, "married", "maybe"), (3, "children", -1), (3, "salary", None)]


@pytest.mark.parametrize("body, content_type, detail, position", [
    ('[{"married": "yes",', "application/json",
     "malformed JSON at line 1, column 20: Expecting property name enclosed in double quotes",
     {"line": 1, "column": 20}),
    ('[\n{"married": "yes" "children": 1}]', "application/json",
     "malformed JSON at line 2, column 19: Expecting ',' delimiter", {"line": 2, "column": 19}),
    ("<taxpayers><taxpayer></taxpayers>", "application/xml",
     "malformed XML at line 1, column 23: mismatched tag: line 1, column 23",
     {"line": 1, "column": 23}),
    ('married,children,salary\nyes,2,"55555\n', "text/csv",
     "malformed CSV at line 2: unexpected end of data", {"line": 2}),
    ("married,children,salary\nyes,2\n", "text/csv",
     "malformed CSV at line 2: 2 cells where the header has 3", {"line": 2}),
])
def test_malformed_bodies_are_a_400_with_the_position(testapp, auth, body, content_type,
                                                      detail, position):
    answer = post(testapp, body, content_type, auth, status=400)
    assert answer.content_type == "application/problem+json"
    assert answer.json["detail"] == detail
    assert answer.json["position"] == position


@pytest.mark.parametrize("body, detail", [
    ("[]", "the batch is empty: at least one household expected"),
    ('{"married": "yes"}', "a JSON list of households expected, not an object"),
    ('[{"married": "yes", "children": 0, "salary": 1}, 3]',
     "item 1: an object with married, children and salary expected, not 3"),
])
def test_bodies_of_the_wrong_shape_are_a_400(testapp, auth, body, detail):
    answer = post(testapp, body, "application/json", auth, status=400)
    assert answer.json["detail"] == detail


def test_xml_entity_expansion_is_refused(testapp, auth):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            "<taxpayers><taxpayer><married>&lol2;</married></taxpayer></taxpayers>")
    answer = post(testapp, bomb, "application/xml", auth, status=400)
    assert answer.json["detail"].startswith("forbidden XML construct")


def test_a_lone_surrogate_escape_is_named_in_the_problem(testapp, auth):
    """JSON lets a client write \\ud800 alone; UTF-8 cannot carry it, so the problem that
    names the value keeps it escaped (it was a 500)."""
    answer = post(testapp, '[{"married": "yes", "children": 1, "salary": "\\ud800"}]',
                  "application/json", auth, status=400)
    assert b'"value": "\\ud800"' in answer.body
    assert [(e["field"], e["value"]) for e in answer.json["errors"]] == [("salary", "\ud800")]


def test_a_body_that_is_not_utf8_is_a_400(testapp, auth):
    answer = post(testapp, b"married,children,salary\n\xe9,0,1\n", "text/csv", auth, status=400)
    assert answer.json["detail"] == "the body is not UTF-8 text (byte 25)"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/octet-stream"])
def test_other_body_types_are_a_415(testapp, auth, content_type):
    answer = post(testapp, "married=yes", content_type, auth, status=415)
    assert answer.content_type == "application/problem+json"
    assert answer.json["detail"].startswith(f"unsupported body type {content_type}")


def test_a_body_over_the_limit_is_a_413_before_parsing(small_limits, auth):
    # Malformed, but too large: the size is checked first.
    answer = post(small_limits, "[" + " " * 400, "application/json", auth, status=413)
    assert answer.json["detail"] == "the body has 401 bytes, more than the 300 accepted"


def test_a_body_without_content_length_is_counted_while_it_is_read():
    """A chunked body (no Content-Length, wsgi.input_terminated) is cut at the limit."""
    import io
    import types

    from pyramid.request import Request

    from impots_pyramid.web.bodies import BodyError, read_households

    request = Request.blank(URL, method="POST", content_type="application/json")
    request.environ.pop("CONTENT_LENGTH", None)
    request.environ.update({"wsgi.input": io.BytesIO(b"[" + b" " * 400 + b"]"),
                            "wsgi.input_terminated": True})
    request.registry = types.SimpleNamespace(settings={"impots.max_body_bytes": 300})
    with pytest.raises(BodyError) as error:
        read_households(request, max_items=10)
    assert (error.value.status_code, error.value.message) == (
        413, "the body has more than the 300 bytes accepted")
    # The same body under the limit is read whole.
    request.environ["wsgi.input"] = io.BytesIO(b'[{"married": "no"}' + b" " * 200 + b"]")
    assert read_households(request, max_items=10) == [{"married": "no"}]


def test_a_batch_over_batch_max_is_a_413(small_limits, auth):
    body = json.dumps([{"married": "no", "children": 0, "salary": 1}] * 4)
    answer = post(small_limits, body, "application/json", auth, status=413)
    assert answer.json["detail"] == "too many households: more than the 3 accepted"
    three = json.dumps([{"married": "no", "children": 0, "salary": 1}] * 3)
    assert post(small_limits, three, "application/json", auth).json["count"] == 3


def test_a_batch_answers_in_csv_when_accept_asks_for_it(testapp, auth):
    """Accept: text/csv (or ?format=csv): the JSON answer's results, one line each."""
    body = "married,children,salary\nyes,2,55555\nno,0,30000\n"
    headers = {**auth, "Content-Type": "text/csv"}
    as_json = testapp.post("/api/tax-years/2019/tax", body, headers=headers).json
    answer = testapp.post("/api/tax-years/2019/tax", body,
                          headers={**headers, "Accept": "text/csv"})
    assert answer.content_type == "text/csv" and answer.charset == "utf-8"
    assert answer.headers["Vary"] == "Accept"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 2
    for row, result in zip(rows, as_json["results"]):
        assert row == {name: str(value) for name, value in result.items()}
    same = testapp.post("/api/tax-years/2019/tax?format=csv", body, headers=headers)
    assert same.body == answer.body
    # A batch with a bad household is the same problem document in every format.
    bad = testapp.post("/api/tax-years/2019/tax", "married,children,salary\nmaybe,2,1\n",
                       headers={**headers, "Accept": "text/csv"}, status=400)
    assert bad.content_type == "application/problem+json"


def test_an_xml_batch_naming_an_unknown_encoding_is_a_400(testapp, auth):
    """Found by fuzzing: the parser's LookupError was a 500."""
    answer = testapp.post("/api/tax-years/2019/tax",
                          b'<?xml version="1.0" encoding="tf-8"?><taxpayers></taxpayers>',
                          headers={**auth, "Content-Type": "application/xml"}, status=400)
    assert "unknown encoding: tf-8" in answer.json["detail"]
