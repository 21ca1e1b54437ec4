"""Batch bodies are parsed incrementally and refused (413) as soon as they pass a bound:
more households than impots.batch_max, a JSON item or CSV record over MAX_ITEM_CHARS, a
field over MAX_FIELD_CHARS, a JSON integer over MAX_DIGITS digits (issue 17, point 4).
Each refusal names the field with its value shortened, and costs little memory."""
import gc
import json
import tracemalloc

import pytest

from impots_pyramid.web.bodies import MAX_FIELD_CHARS, MAX_ITEM_CHARS
from tests.actions.client import ActionClient

URL = "/api/tax-years/2019/tax"
EIGHT_MIB = 8 * 1024 * 1024
MAX_PEAK = 50 * 1024 * 1024


def post(app, body, content_type, headers, status):
    body = body.encode("utf-8") if isinstance(body, str) else body
    return app.post(URL, body, headers=dict(headers, **{"Content-Type": content_type}),
                    status=status)


def one_column_csv() -> bytes:
    """4.19 million one-column rows, just under the 8 MiB limit (the issue's body)."""
    rows = (EIGHT_MIB - 2) // 2 - 1
    return b"a\n" + b"1\n" * rows


def empty_objects_json() -> bytes:
    """[{},{},…] just under 8 MiB."""
    return b"[" + b"{}," * ((EIGHT_MIB - 10) // 3) + b"{}]"


def tiny_plain_items_json() -> bytes:
    """[{"a":0},…] just under 8 MiB: a million items, plain enough for the column path."""
    return b"[" + b",".join([b'{"a":0}'] * ((EIGHT_MIB - 2) // 8)) + b"]"


def long_integer_json() -> bytes:
    return b'[{"married": "yes", "children": 1, "salary": ' + b"9" * 5000 + b"}]"


@pytest.mark.parametrize("make_body, content_type", [
    (one_column_csv, "text/csv"),
    (empty_objects_json, "application/json"),
    (tiny_plain_items_json, "application/json"),
    (long_integer_json, "application/json"),
], ids=["csv-one-column-rows", "json-empty-objects", "json-tiny-plain-items", "json-5000-digits"])
def test_a_refused_body_costs_under_50_mb(testapp, auth, make_body, content_type):
    body = make_body()
    assert len(body) <= EIGHT_MIB
    post(testapp, b"[]", "application/json", auth, status=400)  # warm-up: imports, caches
    gc.collect()
    tracemalloc.start()
    try:
        answer = post(testapp, body, content_type, auth, status=413)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"{content_type} {len(body)} bytes: peak {peak / 1e6:.1f} MB")
    assert peak < MAX_PEAK, f"peak {peak / 1e6:.1f} MB"
    assert answer.json["status"] == 413


def test_more_households_than_batch_max_stop_the_csv_at_the_first_one_over(small_limits, auth):
    # The fifth row is malformed: never read, since the fourth is already one too many.
    body = "married,children,salary\n" + "no,0,1\n" * 4 + 'x,"\n'
    answer = post(small_limits, body, "text/csv", auth, status=413)
    assert answer.json["detail"] == "too many households: more than the 3 accepted"


def test_xml_over_batch_max(small_limits, auth):
    answer = post(small_limits, "<t><p/><p/><p/><p/>", "application/xml", auth, status=413)
    assert answer.json["detail"] == "too many households: more than the 3 accepted"


def test_a_json_integer_of_5000_digits_is_a_413_naming_its_field(testapp, auth):
    answer = post(testapp, long_integer_json(), "application/json", auth, status=413)
    detail = answer.json["detail"]
    assert detail == ("item 0: field salary: a number of 5000 digits "
                      f"({'9' * 40}… (5000 characters)), at most 12")
    assert answer.json["position"] == {"item": 0}
    # the same in a string, or 12 digits, is the engine's 400 for a salary out of range
    body = '[{"married": "yes", "children": 1, "salary": 999999999999}]'
    assert post(testapp, body, "application/json", auth, status=400).json["errors"][0]["field"] == "salary"


@pytest.mark.parametrize("body, content_type, detail, position", [
    ('[{"married": "' + "y" * 150 + '", "children": 1, "salary": 1}]', "application/json",
     f"item 0: field married: 150 characters ({'y' * 40}… (150 characters)), at most 100",
     {"item": 0}),
    ("married,children,salary\nno,0,1\nyes,1," + "5" * 101 + "\n", "text/csv",
     f"item 1 (line 3): field salary: 101 characters ({'5' * 40}… (101 characters)), at most 100",
     {"line": 3}),
    ("<t><taxpayer><married>no</married><children>" + "1" * 200 + "</children></taxpayer></t>",
     "application/xml",
     f"item 0: field children: 200 characters ({'1' * 40}… (200 characters)), at most 100",
     {"item": 0}),
    ('[{"' + "k" * 101 + '": 1}]', "application/json",
     f"item 0: a field name of 101 characters ({'k' * 40}… (101 characters)), at most 100",
     {"item": 0}),
], ids=["json", "csv", "xml", "json-name"])
def test_a_field_over_max_field_chars_is_a_413(testapp, auth, body, content_type, detail,
                                               position):
    assert MAX_FIELD_CHARS == 100
    answer = post(testapp, body, content_type, auth, status=413)
    assert answer.json["detail"] == detail
    assert answer.json["position"] == position


@pytest.mark.parametrize("body, content_type, detail", [
    ('[{"married": "no"}, {"a": [' + "1," * MAX_ITEM_CHARS + "1]}]", "application/json",
     f"item 1: more than {MAX_ITEM_CHARS} characters"),
    ('[{"married": "no"}, {"a": [' + "{}," * MAX_ITEM_CHARS, "application/json",
     f"item 1: more than {MAX_ITEM_CHARS} characters"),
    ("married\n" + "," * MAX_ITEM_CHARS + "\n", "text/csv",
     f"line 2: a line (or a household) of more than {MAX_ITEM_CHARS} characters"),
    ('married\n"' + "x\n" * MAX_ITEM_CHARS + '"\n', "text/csv",
     f"line 2049: a line (or a household) of more than {MAX_ITEM_CHARS} characters"),
    ("married\nno\n" + "\n" * 1001, "text/csv", "more than 1000 blank lines"),
    ("<t><taxpayer>" + "<a/>" * 65 + "</taxpayer></t>", "application/xml",
     "item 0: more than 64 elements"),
], ids=["json-long-list", "json-unterminated-objects", "csv-long-line",
        "csv-long-record", "csv-blank-lines", "xml-many-elements"])
def test_items_over_their_bounds_are_a_413(testapp, auth, body, content_type, detail):
    answer = post(testapp, body, content_type, auth, status=413)
    assert answer.json["detail"] == detail


def test_json_syntax_errors_keep_their_positions_past_the_first_item(testapp, auth):
    body = '[{"married": "no", "children": 0, "salary": 1},\n {"married": "no" 3}]'
    answer = post(testapp, body, "application/json", auth, status=400)
    assert answer.json["detail"] == "malformed JSON at line 2, column 19: Expecting ',' delimiter"
    body = '[{"married": "}", "children": 0, "salary": 1} {}]'
    answer = post(testapp, body, "application/json", auth, status=400)
    assert answer.json["detail"] == "malformed JSON at line 1, column 47: Expecting ',' delimiter"
    answer = post(testapp, '[{"married": "no"}] x', "application/json", auth, status=400)
    assert answer.json["detail"] == "malformed JSON at line 1, column 21: Extra data"


def test_a_json_string_holding_a_brace_and_nested_values_still_parse(testapp, auth):
    body = json.dumps([{"married": "no", "children": 0, "salary": 1, "note": "}{", "x": {"y": [1]}},
                       {"married": "yes", "children": 2, "salary": 55555}])
    answer = post(testapp, body, "application/json", auth, status=200)
    assert [r["tax"] for r in answer.json["results"]] == [0, 2815]


def test_calculate_taxes_refuses_the_same_and_records_nothing(testapp):
    client = ActionClient(testapp).start()
    status, data = client.post("/calculate-taxes", long_integer_json(),
                               content_type="application/json")
    assert (status, data["status"]) == (413, 1501)
    assert data["response"] == [f"item 0: field salary: a number of 5000 digits "
                                f"({'9' * 40}… (5000 characters)), at most 12"]
    assert client.simulations() == []
