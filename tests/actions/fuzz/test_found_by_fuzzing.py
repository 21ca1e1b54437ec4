"""What the fuzzing found, minimised and kept as plain cases, so that each fails until the
application is fixed (and stays fixed) whatever Hypothesis happens to draw."""
import urllib.parse

import pytest

from tests.actions.fuzz.fuzzing import (
    ACTION_ROUTES, WireRequest, check_answer, follow_redirects, open_session, send,
)
from tests.helpers import TEST_PASSWORD, TEST_USER, basic_authorization


FOUND_BY_FUZZING = [
    pytest.param("json", True, "GET", "/get-admindata?year=%80", {}, b"",
                 id="query-not-utf8"),
    pytest.param("json", True, "POST", "/delete-simulation/%FF", {}, b"",
                 id="path-not-utf8"),
    pytest.param(None, False, "GET", "/%FF", {}, b"", id="unknown-path-not-utf8"),
    pytest.param("xml", True, "POST", "/calculate-tax",
                 {"Content-Type": "application/x-www-form-urlencoded"}, b"married=%08",
                 id="xml-control-character"),
    pytest.param("xml", False, "POST", "/authenticate-user",
                 {"Content-Type": "application/x-www-form-urlencoded"},
                 b"user=%1F&password=x", id="xml-control-character-in-user"),
    pytest.param("xml", True, "POST", "/calculate-taxes", {"Content-Type": "application/json"},
                 b'[{"a b": 1}]', id="xml-bad-tag-from-json-key"),
    pytest.param("xml", True, "POST", "/calculate-taxes", {"Content-Type": "text/csv"},
                 b"married,children,salary,2019\nyes,1,-1,x\n", id="xml-bad-tag-from-csv-header"),
    pytest.param("json", True, "POST", "/calculate-taxes", {"Content-Type": "application/json"},
                 b'[{"married": "yes", "children": 1e400, "salary": 1}]',
                 id="json-infinity-echoed"),
    pytest.param("json", True, "POST", "/calculate-tax",
                 {"Content-Type": "application/x-www-form-urlencoded; charset=latin-1"},
                 b"married=yes&children=1&salary=1", id="form-charset-not-utf8"),
    pytest.param("xml", False, "POST", "/authenticate-user",
                 {"Content-Type": "application/x-www-form-urlencoded; charset=utf-16"},
                 b"", id="form-charset-not-utf8-login"),
    pytest.param("json", False, "POST", "/calculate-tax",
                 {"Content-Type": "application/x-www-form-urlencoded",
                  "Authorization": basic_authorization(TEST_USER, TEST_PASSWORD)},
                 b"married=yes&children=1&salary=1", id="basic-credentials-without-login"),
    pytest.param("html", False, "POST", "/calculate-tax",
                 {"Content-Type": "application/x-www-form-urlencoded",
                  "Authorization": basic_authorization(TEST_USER, TEST_PASSWORD)},
                 b"married=yes&children=1&salary=1", id="basic-credentials-without-login-html"),
    pytest.param(None, False, "GET", "/authenticate-user",
                 {"Content-Type": "application/x-www-form-urlencoded; charset=utf-16",
                  "Accept": "text/html"}, b"[]", id="form-charset-not-utf8-login-html"),
    pytest.param("json", False, "POST", "/authenticate-user",
                 {"Content-Type": "multipart/form-data; boundary=fuzzboundary"},
                 b'--fuzzboundary\r\nContent-Disposition: form-data; name="user"; '
                 b'filename="f.txt"\r\n\r\nadmin\r\n--fuzzboundary--\r\n', id="login-field-as-file"),
    pytest.param("json", False, "POST", "/init-session/xml", {"Content-Type": "application/json"},
                 b"", id="init-session-xml-refused-method-answers-xml"),
    pytest.param("json", True, "POST", "/calculate-taxes", {"Content-Type": "application/json"},
                 b'[{"married": "yes", "children": 1, "salary": "\\ud800"}]',
                 id="json-lone-surrogate-echoed"),
    pytest.param("json", True, "POST", "/calculate-taxes", {"Content-Type": "application/xml"},
                 b'<?xml version="1.0" encoding="tf-8"?><taxpayers></taxpayers>',
                 id="xml-unknown-encoding"),
]


def route_of(path: str):
    """(route, decoded parameter) of an action's percent-encoded path, or (None, None)."""
    for name, pattern in ACTION_ROUTES.items():
        if pattern == path:
            return name, None
        prefix = pattern.split("{")[0]
        if "{" in pattern and path.startswith(prefix):
            try:
                return name, urllib.parse.unquote(path[len(prefix):], errors="strict")
            except UnicodeDecodeError:
                return None, None
    return None, None


@pytest.mark.parametrize("session_type, logged_in, method, url, headers, body", FOUND_BY_FUZZING)
def test_found_by_fuzzing(default_variant, session_type, logged_in, method, url, headers, body):
    session = open_session(default_variant, session_type, logged_in)
    if session.token:
        headers = {**headers, "X-CSRF-Token": session.token}
    path, _, query = url.partition("?")
    route, param = route_of(path)
    wire = WireRequest(method, route, path, query, headers, body, param)
    response = send(session, wire)
    check_answer(session, wire, response)
    follow_redirects(session, response)
