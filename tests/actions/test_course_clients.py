"""The course's console clients replayed over the action API: several threads, each with
its own session, and several threads in one session."""
import threading

import pytest

from tests.actions.client import ActionClient
from tests.helpers import read_course_cases

CASES = read_course_cases()
CLIENT_CASES = CASES[:11]  # the course's data file: its clients' test set
FIGURES = ("tax", "surcharge", "discount", "reduction", "rate")


def expected(case, rules):
    return {name: (float if name == "rate" else int)(case[f"{rules}_{name}"]) for name in FIGURES}


def household(case):
    return {"married": case["married"], "children": int(case["children"]),
            "salary": int(case["salary"])}


def run_in_threads(target, count):
    errors = []

    def guarded(index):
        try:
            target(index)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.parametrize("rules", ["law", "course"])
def test_course_clients_in_parallel_sessions(make_app, session_settings, response_type, rules):
    app = make_app(**session_settings, **{"impots.rules": rules})
    batches = [CLIENT_CASES[0:1], CLIENT_CASES[1:3], CLIENT_CASES[3:6], CLIENT_CASES[6:10],
               CLIENT_CASES[10:11]]

    def client_session(index):
        client = ActionClient(app, response_type).start()
        cases = batches[index]
        status, data = client.calculate_many([household(c) for c in cases])
        assert (status, data["status"]) == (200, 1500), data
        for case, simulation in zip(cases, data["response"]):
            assert {k: simulation[k] for k in FIGURES} == expected(case, rules), case
        assert [s["id"] for s in client.simulations()] == list(range(1, len(cases) + 1))
        assert client.end()[1]["status"] == 400

    run_in_threads(client_session, len(batches))


def test_course_client_computes_lists_and_deletes(committed_app, response_type):
    client = ActionClient(committed_app, response_type).start()
    status, data = client.get("/get-admindata")
    assert data["response"]["discount_ceiling_couple"] == 1970
    for case in CLIENT_CASES:
        data = client.calculate(**{k: str(v) for k, v in household(case).items()})[1]
        assert {k: data["response"][k] for k in FIGURES} == expected(case, "law")
    assert [s["id"] for s in client.simulations()] == list(range(1, 12))
    for number in range(1, 12, 2):
        assert client.delete(number)[1]["status"] == 600
    remaining = client.simulations()
    assert [s["id"] for s in remaining] == [2, 4, 6, 8, 10]
    assert [s["tax"] for s in remaining] == [int(CLIENT_CASES[i]["law_tax"]) for i in (1, 3, 5, 7, 9)]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql),
                                      pytest.param("mysql", marks=pytest.mark.mysql)])
def test_eight_threads_in_one_session_lose_nothing(request, make_app, database, session_settings):
    app = make_app(request.getfixturevalue(f"{database}_url"), **session_settings)
    first = ActionClient(app).start()
    cookies = dict(first.app.cookies)

    def calculate(index):
        client = ActionClient(app)
        for name, value in cookies.items():
            client.app.set_cookie(name, value)
        client.token = first.token
        for salary in range(5):
            status, data = client.calculate(married="no", children=str(index % 3),
                                            salary=str(30000 + 1000 * index + salary))
            assert (status, data["status"]) == (200, 300), data

    run_in_threads(calculate, 8)
    numbers = [s["id"] for s in first.simulations()]
    assert sorted(numbers) == list(range(1, 41))
