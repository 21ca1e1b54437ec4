"""Bad inputs for every field and malformed or hostile bodies: the documented status,
a message naming the field and the value, and nothing recorded."""
import json

import pytest

FIELDS_OK = {"married": "yes", "children": "2", "salary": "55555"}


@pytest.fixture
def started(client):
    return client.start()


@pytest.mark.parametrize("field, value, message", [
    ("married", None, "missing field [married]"),
    ("married", "", "invalid value [] for [married]: yes or no expected"),
    ("married", "peut-être", "invalid value [peut-être] for [married]: yes or no expected"),
    ("children", None, "missing field [children]"),
    ("children", "", "invalid value [] for [children]: a whole number from 0 to 20 expected"),
    ("children", "-1", "invalid value [-1] for [children]: a whole number from 0 to 20 expected"),
    ("children", "3x", "invalid value [3x] for [children]: a whole number from 0 to 20 expected"),
    ("children", "2.5", "invalid value [2.5] for [children]: a whole number from 0 to 20 expected"),
    ("children", "21", "invalid value [21] for [children]: a whole number from 0 to 20 expected"),
    ("children", "٣", "invalid value [٣] for [children]: a whole number from 0 to 20 expected"),
    ("salary", "1000000001", "invalid value [1000000001] for [salary]: a whole number of euros "
                             "from 0 to 1 000 000 000 expected"),
    # echoed shortened (issue 17): at most 40 characters and the length
    ("salary", "9" * 400, f"invalid value [{'9' * 40}… (400 characters)] for [salary]: a whole "
                          "number of euros from 0 to 1 000 000 000 expected"),
    ("year", "2027", "invalid value [2027] for [year]: a tax year among 2019, 2020, 2021, "
                     "2022, 2023, 2024, 2025, 2026 expected"),
])
def test_calculate_tax_bad_field(started, field, value, message):
    form = dict(FIELDS_OK)
    if value is None:
        form.pop(field)
    else:
        form[field] = value
    status, data = started.calculate(**form)
    assert (status, data["status"], data["response"]) == (400, 301, [message])
    assert started.simulations() == []


def taxes(client, body, content_type="application/json"):
    return client.post("/calculate-taxes", body, content_type=content_type)


def test_batch_with_a_bad_item_records_nothing(started):
    households = [{"married": "yes", "children": 2, "salary": 55555},
                  {"married": "no", "children": "3x", "salary": 1}]
    status, data = started.calculate_many(households)
    assert (status, data["status"]) == (400, 1501)
    assert "error" not in data["response"][0]
    assert data["response"][1]["error"] == \
        "invalid value [3x] for [children]: a whole number from 0 to 20 expected"
    assert started.simulations() == []


@pytest.mark.parametrize("body, content_type, status, start", [
    ('[{"married": "yes", ', "application/json", 400, "malformed JSON at line 1, column 21"),
    ('{"married": "yes"}', "application/json", 400, "a JSON list of households expected"),
    ("[]", "application/json", 400, "the batch is empty"),
    ("married,children\nyes,2,3\n", "text/csv", 400, "malformed CSV at line 2"),
    ("<taxpayers><taxpayer>", "application/xml", 400, "malformed XML at line 1"),
    ("married=yes", "application/x-www-form-urlencoded", 415, "unsupported body type"),
])
def test_batch_malformed_bodies(started, body, content_type, status, start):
    http_status, data = taxes(started, body, content_type)
    assert (http_status, data["status"]) == (status, 1501)
    assert data["response"][0].startswith(start), data["response"]
    assert started.simulations() == []


def test_batch_billion_laughs_is_refused(started):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{"&lol%s;" % (i - 1 if i > 1 else "") * 10}">'
                      for i in range(1, 10))
            + ']><taxpayers><taxpayer><married>&lol9;</married></taxpayer></taxpayers>')
    status, data = taxes(started, bomb, "application/xml")
    assert (status, data["status"]) == (400, 1501)
    assert data["response"][0].startswith("forbidden XML construct")
    assert started.simulations() == []


def test_batch_of_100001_items_is_413(started):
    body = json.dumps([{"married": "no", "children": 0, "salary": 1}] * 100_001)
    status, data = taxes(started, body)
    assert (status, data["status"]) == (413, 1501)
    assert data["response"] == ["too many households: more than the 100000 accepted"]
    assert started.simulations() == []


def test_a_10_mb_body_is_413_before_parsing(started):
    body = "[" + " " * (10 * 1024 * 1024) + "]"
    status, data = taxes(started, body)
    assert (status, data["status"]) == (413, 1501)
    assert data["response"] == ["request body too large: at most 8388608 bytes accepted"]
    # the same limit on a form
    status, data = started.post("/calculate-tax", "salary=" + "1" * (9 * 1024 * 1024),
                                content_type="application/x-www-form-urlencoded")
    assert (status, data["status"]) == (413, 301)
    assert started.simulations() == []


def test_batch_csv_and_xml_bodies(started):
    status, data = taxes(started, "marié,enfants,salaire\noui,2,50000\n", "text/csv")
    assert data["response"][0]["tax"] == 1385
    xml_body = ("<taxpayers><taxpayer><married>no</married><children>0</children>"
                "<salary>100000</salary></taxpayer></taxpayers>")
    status, data = taxes(started, xml_body, "application/xml")
    assert (status, data["status"]) == (200, 1500)
    assert data["response"][0]["tax"] == 22986
    assert [s["id"] for s in started.simulations()] == [1, 2]


@pytest.mark.parametrize("session_type, url_type", [("json", "xml"), ("xml", "json"),
                                                    ("html", "xml")])
def test_init_session_refusing_a_query_answers_in_the_type_of_its_url(
        testapp, session_type, url_type):
    """init-session answers in the type it sets, and so does its refusal of a query string
    that is not UTF-8, whatever the session's type so far."""
    from tests.actions.client import read_envelope

    testapp.get(f"/init-session/{session_type}", status="*")
    response = testapp.get(f"/init-session/{url_type}?married=%80", status=400)
    assert response.content_type == f"application/{url_type}"
    data = read_envelope(response)
    assert (data["action"], data["status"]) == ("init-session", 701)
    assert "the query string is not UTF-8" in data["response"][0]


@pytest.mark.parametrize("path, failure", [("/authenticate-user", 201),
                                           ("/calculate-tax", 301)])
def test_a_multipart_form_without_its_boundary_is_400(client, path, failure):
    import webtest

    client.init()
    if path == "/calculate-tax":
        client.login()
    # Built by hand: WebTest would add the boundary to the header.
    request = webtest.TestRequest.blank(path, method="POST", body=b"user=admin", headers={
        "Content-Type": "multipart/form-data", "X-CSRF-Token": client.token or ""},
        environ=client.app.extra_environ)
    # do_request adds the session's cookies.
    status, data = client._answer(client.app.do_request(request, status="*", expect_errors=True))
    assert (status, data["status"]) == (400, failure)
    assert data["response"] == ["the form data cannot be read as multipart/form-data: "
                                "Invalid boundary in multipart form: b''"]


@pytest.mark.parametrize("path, failure, field", [("/authenticate-user", 201, "user"),
                                                  ("/calculate-tax", 301, "salary")])
def test_a_form_field_sent_as_a_file_is_400(client, path, failure, field):
    """No action takes files: a field uploaded as one is named, not turned into a 500
    (authenticate-user) or quoted as a Python object (calculate-tax)."""
    client.init()
    if path == "/calculate-tax":
        client.login()
    fields = {"user": "admin", "password": "admin", **FIELDS_OK}
    del fields[field]
    status, data = client.post(path, fields, upload_files=[(field, "figure.txt", b"55555")])
    assert (status, data["status"]) == (400, failure)
    assert data["response"] == [f"the form field [{field}] is a file (figure.txt): "
                                "send its value as text"]
    if path == "/calculate-tax":
        assert client.get("/list-simulations")[1]["response"] == []  # nothing recorded


def test_a_lone_surrogate_escape_in_a_batch_is_echoed_escaped(client):
    """JSON lets a client write \\ud800 alone; UTF-8 cannot carry it, so a JSON answer
    that echoes the item keeps it escaped (it was a 500); XML cannot carry it even
    escaped, so an XML answer shows U+FFFD instead."""
    client.start()
    body = '[{"married": "yes", "children": 1, "salary": "\\ud800"}]'
    status, data = taxes(client, body)
    assert (status, data["status"]) == (400, 1501)
    echoed = "\ud800" if client.type == "json" else "\ufffd"
    assert data["response"][0]["salary"] == echoed
    assert data["response"][0]["error"].startswith(f"invalid value [{echoed}] for [salary]")
    assert client.simulations() == []
