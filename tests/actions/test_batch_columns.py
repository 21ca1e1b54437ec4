"""calculate-taxes and list-simulations by column (issue 18, points 2 and 3): the same
bytes as the row-by-row implementation they replace, on every back end and format.

The row-by-row path is still the one for bodies the column path does not vouch for (and
for every batch with a bad household); the reference answers come from it, with the
column path switched off (``_parsed_columns`` returning None, ``list_table`` replaced by
the list of dicts).
"""
import json

import pytest

from impots_pyramid.actions import views
from impots_pyramid.services import simulations
from tests.actions.client import ActionClient
from tests.helpers import new_app

BATCHES = {
    "plain": [{"married": "yes", "children": 2, "salary": 55555},
              {"married": "no", "children": 0, "salary": 0},
              {"married": "oui", "children": 20, "salary": 1000000000}] * 50,  # COPY's size
    "small": [{"married": "no", "children": 1, "salary": 30000},
              {"married": "yes", "children": 3, "salary": 200000}],
    "one": [{"married": True, "children": "2", "salary": " 41089 "}],
    "typed and French": [{"marié": False, "enfants": 4, "salaire": "123456"},
                         {"marié": True, "enfants": "0", "salaire": 7}] * 60,
    "years and rules": [{"married": "no", "children": 1, "salary": 30000 + i, "year": y,
                         "rules": r}
                        for i, (y, r) in enumerate([(2019, "course"), ("2020", "law"), ("", "")]
                                                   * 40)],
    "a bad row": [{"married": "yes", "children": 2, "salary": 55555},
                  {"married": 1, "children": 2, "salary": 5}],
    "null": [{"married": "yes", "children": None, "salary": 5}],
    "course rules, wrong year": [{"married": "no", "children": 0, "salary": 5,
                                  "year": 2020, "rules": "course"}],
    "floats": [{"married": "no", "children": 1.0, "salary": 5.5}],
    "extra key": [{"married": "no", "children": 1, "salary": 5, "name": "x"}],
    # every bracket's rate (0.0, 0.14, 0.3, 0.41, 0.45...), years and rules mixed
    "many rates": [{"married": m, "children": c, "salary": s, "year": y, "rules": r}
                   for m, c, s, y, r in zip(["yes", "no"] * 21, [0, 1, 2, 5, 9, 3, 0] * 6,
                                            [0, 9000, 27000, 31000, 75000, 160000, 400000,
                                             1200000, 5, 10**9, 45000, 99999, 15000, 62000]
                                            * 3,
                                            [2019, 2020, 2019] * 14,
                                            ["course", "law", "law"] * 14)],
}


def exchange(app, response_type, body, content_type="application/json"):
    client = ActionClient(app, response_type).start()
    batch = client.app.post("/calculate-taxes", body, content_type=content_type,
                            headers=client._headers(), status="*")
    listed = client.app.get("/list-simulations", headers=client._headers(), status="*")
    paged = [client.app.get(f"/list-simulations?{query}", headers=client._headers(), status="*")
             for query in ("offset=1&limit=2", "offset=3", "limit=4", "offset=1000")]
    return [(r.status_code, r.content_type, r.body) for r in (batch, listed, *paged)]


@pytest.fixture(scope="module")
def apps(database_url, redis_url):
    app = new_app(database_url)
    yield app
    app.registry["dbengine"].dispose()


@pytest.mark.parametrize("response_type", ["json", "xml"])
@pytest.mark.parametrize("name", sorted(BATCHES))
def test_the_answers_are_the_bytes_of_the_row_by_row_path(apps, monkeypatch, name,
                                                          response_type):
    body = json.dumps(BATCHES[name], ensure_ascii=False).encode("utf-8")
    new = exchange(apps, response_type, body)
    with monkeypatch.context() as patch:
        patch.setattr(views, "_parsed_columns", lambda request, batch: None)
        patch.setattr(simulations, "list_table", simulations.list_for)
        old = exchange(apps, response_type, body)
    assert new == old


CSV_BODIES = {
    "plain": "married,children,salary\n" + "yes,2,55555\nno,0,0\noui,20,1000000000\n" * 50,
    "crlf, blank lines at the end": "married,children,salary\r\nyes,2,55555\r\nno,0,1\r\n\r\n",
    "bom, french, blanks, years, rules": "\ufeffMarié,enfants,salaire, Année ,rules\n"
                                         + " oui ,2, 55555,2019,course\nnon,0,7,,\n" * 60
                                         + "non,0,7, 2020 , LAW \n",
    "a blank rules cell": "married,children,salary,rules\nyes,2,55555, \n",
    "quoted": 'married,children,salary\n"yes",2,"55555"\nno,0,"1"\n',
    "a blank line inside": "married,children,salary\nyes,2,55555\n\nno,0,1\n",
    "a bad row": "married,children,salary\nyes,2,55555\nmaybe,-1,x\n",
    "course rules, wrong year": "married,children,salary,year,rules\nno,0,5,2020,course\n",
    "too few cells": "married,children,salary\nyes,2\n",
}


@pytest.mark.parametrize("response_type", ["json", "xml"])
@pytest.mark.parametrize("name", sorted(CSV_BODIES))
def test_csv_bodies_answer_the_bytes_of_the_row_by_row_path(apps, monkeypatch, name,
                                                            response_type):
    body = CSV_BODIES[name].encode("utf-8")
    new = exchange(apps, response_type, body, "text/csv")
    with monkeypatch.context() as patch:
        patch.setattr(views, "_parsed_columns", lambda request, batch: None)
        patch.setattr(simulations, "list_table", simulations.list_for)
        old = exchange(apps, response_type, body, "text/csv")
    assert new == old


def test_an_xml_body_is_read_row_by_row_and_answers_as_before(apps):
    xml_body = (b"<taxpayers><taxpayer><married>yes</married><children>2</children>"
                b"<salary>55555</salary></taxpayer></taxpayers>")
    status, _, answer = exchange(apps, "json", xml_body, "application/xml")[0]
    assert status == 200
    assert [row["salary"] for row in json.loads(answer)["response"]] == [55555]


@pytest.mark.parametrize("name", ["plain", "crlf, blank lines at the end",
                                  "bom, french, blanks, years, rules"])
def test_the_plain_csv_bodies_take_the_column_path(apps, monkeypatch, name):
    taken = []
    monkeypatch.setattr(simulations, "record_columns", lambda *args, **kw: taken.append(1) or [])
    exchange(apps, "json", CSV_BODIES[name].encode(), "text/csv")
    assert taken == [1]


@pytest.mark.parametrize("name", ["plain", "small", "one", "typed and French", "years and rules"])
def test_the_plain_batches_take_the_column_path(apps, monkeypatch, name):
    taken = []
    monkeypatch.setattr(simulations, "record_columns", lambda *args, **kw: taken.append(1) or [])
    exchange(apps, "json", json.dumps(BATCHES[name], ensure_ascii=False).encode())
    assert taken == [1]


def test_a_back_end_that_keeps_the_decimal_rate_lists_the_same_rows():
    """``list_table`` turns a rate the database gave as a Decimal (a CAST skipped) into
    the float public_view makes of it."""
    from decimal import Decimal

    from impots_pyramid.services.tables import SimulationRows

    rows = [(1, "yes", 2, 55555, 10, 0, 0, 0, Decimal("0.3000"), 2019),
            (2, "no", 0, 5, 0, 0, 0, 0, Decimal("0.0000"), 2020)]

    class Result:
        cursor = type("Cursor", (), {"fetchall": lambda self: list(rows)})()

        def close(self):
            pass

    dbsession = type("DBSession", (), {"execute": lambda self, query: Result()})()
    table = simulations.list_table(dbsession, "owner")
    assert isinstance(table, SimulationRows)
    assert table.__json_text__() == json.dumps(
        [simulations.public_view(dict(zip(("number",) + simulations.LISTED_COLUMNS,
                                          (n, m == "yes", *rest))))
         for n, m, *rest in rows])
    assert "<rate>0.3</rate>" in table.__xml_text__()
    assert "<rate>0.0</rate>" in table.__xml_text__()


def test_simulation_rows_write_what_json_and_xml_make_of_their_dicts():
    from impots_pyramid.services.tables import SimulationRows
    from impots_pyramid.web.renderers import utf8_json
    from impots_pyramid.web.xml import to_xml

    table = SimulationRows([(n, "yes" if n % 2 else "no", n % 7, 10**9 + n, n * 3, 0, 17, 2,
                             rate, 2019 + n % 2)
                            for n, rate in enumerate([0.0, 0.0001, 0.1234, 0.3, 0.45, 0.9999,
                                                      99.9999], 1)])
    dicts = table.rows()
    assert [row["id"] for row in table] == list(range(1, 8))
    assert utf8_json({"response": table}) == json.dumps({"response": dicts})
    assert to_xml({"response": table}) == to_xml({"response": dicts})
    assert utf8_json(SimulationRows([])) == "[]"
    assert to_xml({"response": SimulationRows([])}) == to_xml({"response": []})
