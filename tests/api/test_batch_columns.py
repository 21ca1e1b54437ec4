"""POST /api/tax-years/{year}/tax by column (issue 18, point 2): the same bytes as the
row-by-row implementation, in every representation (JSON, XML, HTML, CSV), for good and
bad batches, with the query's rules.

The reference answers come from the row-by-row path, with the column path switched off
(``column_results`` returning None); it stays the path of every body the column path does
not vouch for and of every batch with a bad household (its problem document).
"""
import json

import pytest

from impots_pyramid.api import views

URL = "/api/tax-years/2019/tax"
BATCHES = {
    "plain": [{"married": "yes", "children": 2, "salary": 55555},
              {"married": "no", "children": 0, "salary": 0},
              {"married": "oui", "children": 20, "salary": 1000000000}] * 50,
    "small": [{"married": "no", "children": 1, "salary": 30000},
              {"married": "yes", "children": 3, "salary": 200000}],
    "one": [{"married": True, "children": "2", "salary": " 41089 "}],
    "typed and French": [{"marié": False, "enfants": 4, "salaire": "123456"},
                         {"marié": True, "enfants": "0", "salaire": 7}] * 60,
    "year and rules in the body, ignored": [
        {"married": "no", "children": 1, "salary": 30000 + i, "year": 1999, "rules": "x"}
        for i in range(40)],
    "every salary's rate": [{"married": ["no", "yes"][i % 2], "children": i % 7,
                             "salary": i * 997} for i in range(400)],
    "a bad row": [{"married": "yes", "children": 2, "salary": 55555},
                  {"married": 1, "children": 2, "salary": 5}],
    "bad rows": [{"married": "maybe", "children": 2, "salary": 55555},
                 {"married": "no", "children": -1}],
    "null": [{"married": "yes", "children": None, "salary": 5}],
    "floats": [{"married": "no", "children": 1.0, "salary": 5.5}],
    "extra key": [{"married": "no", "children": 1, "salary": 5, "name": "x"}],
    "two aliases": [{"married": "no", "marié": "yes", "children": 1, "salary": 5}],
    "empty": [],
}
ACCEPTS = ["application/json", "application/xml", "text/html", "text/csv"]


def answer(testapp, auth, body, accept, query="", content_type="application/json"):
    response = testapp.post(URL + query, body, status="*", headers={
        **auth, "Content-Type": content_type, "Accept": accept})
    return response.status_code, response.headers.get("Content-Type"), response.body


def both(testapp, auth, monkeypatch, body, accept, query="", content_type="application/json"):
    new = answer(testapp, auth, body, accept, query, content_type)
    with monkeypatch.context() as patch:
        patch.setattr(views, "column_results", lambda *args: None)
        old = answer(testapp, auth, body, accept, query, content_type)
    return new, old


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("name", sorted(BATCHES))
def test_the_answers_are_the_bytes_of_the_row_by_row_path(testapp, auth, monkeypatch, name,
                                                          accept):
    body = json.dumps(BATCHES[name], ensure_ascii=False).encode("utf-8")
    new, old = both(testapp, auth, monkeypatch, body, accept)
    assert new == old


@pytest.mark.parametrize("query", ["?rules=course", "?rules=law", "?rules=nonsense"])
@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_rules_of_the_query(testapp, auth, monkeypatch, query, accept):
    body = json.dumps(BATCHES["plain"]).encode()
    new, old = both(testapp, auth, monkeypatch, body, accept, query)
    assert new == old


def test_a_batch_over_batch_max_is_the_same_413(small_limits, auth, monkeypatch):
    body = json.dumps([{"married": "no", "children": 0, "salary": 1}] * 4).encode()
    new, old = both(small_limits, auth, monkeypatch, body, "application/json")
    assert new == old and new[0] == 413


@pytest.fixture
def column_path_taken(monkeypatch) -> list:
    """Whether each batch answered took the column path (True) or the row-by-row one."""
    taken = []
    column_results = views.column_results

    def spy(*args):
        table = column_results(*args)
        taken.append(table is not None)
        return table

    monkeypatch.setattr(views, "column_results", spy)
    return taken


@pytest.mark.parametrize("name", ["plain", "small", "one", "typed and French",
                                  "year and rules in the body, ignored", "every salary's rate"])
def test_the_plain_batches_take_the_column_path(testapp, auth, column_path_taken, name):
    status, _, _ = answer(testapp, auth, json.dumps(BATCHES[name], ensure_ascii=False).encode(),
                            "application/json")
    assert (status, column_path_taken) == (200, [True])


# CSV bodies: the plain ones (csv_columns) by column, the others row by row.
CSV_BODIES = {
    "plain": "married,children,salary\n" + "yes,2,55555\nno,0,0\noui,20,1000000000\n" * 50,
    "crlf, blank lines at the end": "married,children,salary\r\nyes,2,55555\r\nno,0,1\r\n\r\n\r\n",
    "no line end at the end": "married,children,salary\nyes,2,55555\nno,0,1",
    "bom, french, blanks": "\ufeff Marié ,enfants, SALAIRE\n oui , 2 ,\t55555\nnon,0, 7 \n",
    "non-breaking blanks": "married,children,salary\n\u00a0yes,2,55555\u00a0\n",
    "other order, extra column": "salary,name,married,children\n" + "100,x,no,1\n200,,yes,3\n" * 70,
    "quoted": 'married,children,salary\n"yes",2,"55 555"\nno,0,"1"\n',
    "a blank line inside": "married,children,salary\nyes,2,55555\n\nno,0,1\n",
    "a blank record inside": "married,children,salary\nyes,2,55555\n , , \nno,0,1\n",
    "a lone carriage return": "married,children,salary\ryes,2,55555\rno,0,1\r",
    "too few cells": "married,children,salary\nyes,2\n",
    "too many cells": "married,children,salary\nyes,2,3,4\nno,1\n",
    "a bad row": "married,children,salary\nyes,2,55555\nmaybe,-1,x\n",
    "a missing column": "married,children\nyes,2\n",
    "twice a column": "married,children,salary,married\nyes,2,5,no\n",
    "two aliases": "married,children,salary,marié\nyes,2,5,no\n",
    "a long cell": "married,children,salary,name\nyes,2,5," + "x" * 101 + "\n",
    "a long cell of blanks": "married,children,salary,name\nyes,2,5,x" + " " * 120 + "\n",
    "a long header name": "married,children,salary," + "n" * 101 + "\nyes,2,5,x\n",
    "a long line": "married,children,salary,name\nyes,2,5," + ",".join(["x"] * 0) + "y" * 99
                   + "\n" + "no,1,2,z\n",
    "a line over MAX_ITEM_CHARS": "married,children,salary," + ",".join(
        f"c{i}" for i in range(45)) + "\nyes,2,5," + ",".join(["x" * 99] * 45) + "\n",
    "header only": "married,children,salary\n",
    "empty": "",
    "blank lines only": "\n\n\n",
    "a NUL": "married,children,salary\nyes,2,5\0\n",
}


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("name", sorted(CSV_BODIES))
def test_csv_bodies_answer_the_bytes_of_the_row_by_row_path(testapp, auth, monkeypatch, name,
                                                            accept):
    body = CSV_BODIES[name].encode("utf-8")
    new, old = both(testapp, auth, monkeypatch, body, accept, content_type="text/csv")
    assert new == old


def test_csv_bounds_are_the_same_413s(small_limits, auth, monkeypatch):
    for body in ["married,children,salary\n" + "no,0,1\n" * 4,
                 "married,children,salary\n" + "no,0,1\n" * 2 + "\n" * 1003,
                 "married,children,salary\n" + "no,0,1\n" * 2 + "\n" * 20]:
        new, old = both(small_limits, auth, monkeypatch, body.encode(), "application/json",
                        content_type="text/csv")
        assert new == old


@pytest.mark.parametrize("name", ["plain", "crlf, blank lines at the end",
                                  "no line end at the end", "bom, french, blanks",
                                  "non-breaking blanks", "other order, extra column"])
def test_the_plain_csv_bodies_take_the_column_path(testapp, auth, column_path_taken, name):
    status, _, _ = answer(testapp, auth, CSV_BODIES[name].encode(), "application/json",
                          content_type="text/csv")
    assert (status, column_path_taken) == (200, [True])
