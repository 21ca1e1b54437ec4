"""The HTTP batches and list-simulations, in process, against OpenFisca-France.

    .venv/bin/python bench/batches.py [--households 10000] [--repeat 5] [--rows 1000]
                                      [--database-url URL] [--redis-url URL]

In one process, on a fresh PostgreSQL database (``--database-url``, default
``impots_batches`` on the local server) and Redis database 8, with bench/bench.ini
(production's settings: Redis sessions, CSRF on), through WebTest (no HTTP server):

- OpenFisca-France computing the households in memory (arrays in, as bench/engine.py
  times it; loading its tax-benefit system is not counted), one run;
- ``POST /calculate-taxes`` of the same households as a JSON list (validated, computed,
  stored in the session's simulations, answered), a new session each run;
- ``POST /api/tax-years/2019/tax`` of the same body (validated, computed, answered;
  never stored), HTTP Basic;
- both again with the same households as a CSV body (``text/csv``);
- ``GET /list-simulations`` of a session holding ``--rows`` simulations, JSON and XML.

For each it prints the median wall time and the median CPU time of this thread
(``time.thread_time``) of ``--repeat`` runs, the CPU per household or row, and the ratio
of OpenFisca's time to each batch's (the issue's goal: at least 5). It asserts nothing.
"""
import argparse
import base64
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import numpy  # noqa: E402
import webtest  # noqa: E402
from pyramid.paster import get_app  # noqa: E402

from bench import setup  # noqa: E402
from impots_pyramid.tax import load_tax_years  # noqa: E402
from impots_pyramid.tax.openfisca_reference import (  # noqa: E402
    load_tax_benefit_system, random_households, reference_figures,
)

HERE = Path(__file__).resolve().parent
YEAR = 2019


def make_app(database_url, redis_url):
    setup.fresh_database(database_url)
    setup.empty_redis(redis_url)
    app = get_app(str(HERE / "bench.ini"), options={
        "database_url": database_url, "redis_url": redis_url,
        "session_secret": "bench-batches-" + "x" * 32, "http_port": "0"})
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1"})


def session(testapp, response_type="json"):
    """A logged-in session: (TestApp with its cookie, headers with the CSRF token)."""
    client = webtest.TestApp(testapp.app, extra_environ={"HTTP_HOST": "127.0.0.1"})
    token = client.get(f"/init-session/{response_type}").json["csrf_token"] \
        if response_type == "json" else None
    if token is None:  # an XML session: its token is in the XML answer
        answer = client.get(f"/init-session/{response_type}").text
        token = answer.split("<csrf_token>")[1].split("</csrf_token>")[0]
    headers = {"X-CSRF-Token": token}
    answer = client.post("/authenticate-user", {"user": setup.USER, "password": setup.PASSWORD},
                         headers=headers)
    assert answer.status_code == 200, answer.text[:200]
    text = answer.text  # the login's answer carries the session's new token
    if response_type == "json":
        token = answer.json.get("csrf_token", token)
    elif "<csrf_token>" in text:
        token = text.split("<csrf_token>")[1].split("</csrf_token>")[0]
    return client, {"X-CSRF-Token": token}


def timed(function):
    wall, cpu = time.perf_counter(), time.thread_time()
    function()
    return time.perf_counter() - wall, time.thread_time() - cpu


def medians(runs):
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--database-url",
                        default="postgresql+psycopg2://postgres@127.0.0.1:5432/impots_batches")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args(argv)

    params = load_tax_years()[YEAR]
    married, children, salary = random_households(
        numpy.random.default_rng(YEAR), args.households, params)
    body = json.dumps([{"married": "yes" if m else "no", "children": c, "salary": s}
                       for m, c, s in zip(married.tolist(), children.tolist(), salary.tolist())])
    csv_body = "married,children,salary\r\n" + "".join(
        f"{'yes' if m else 'no'},{c},{s}\r\n"
        for m, c, s in zip(married.tolist(), children.tolist(), salary.tolist()))
    count = args.households

    system = load_tax_benefit_system()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        openfisca = [timed(lambda: reference_figures(system, params.income_year,
                                                     married, children, salary))
                     for _ in range(2)][-1:]  # the second: OpenFisca's caches warm

    testapp = make_app(args.database_url, args.redis_url)
    basic = {"Authorization": "Basic " + base64.b64encode(
        f"{setup.USER}:{setup.PASSWORD}".encode()).decode()}

    def action_batch(data=body, content_type="application/json"):
        client, headers = session(testapp)

        def post():
            answer = client.post("/calculate-taxes", data, headers=headers,
                                 content_type=content_type)
            assert answer.status_code == 200, answer.text[:300]
        return timed(post)

    def api_batch(data=body, content_type="application/json"):
        def post():
            answer = testapp.post(f"/api/tax-years/{YEAR}/tax", data, headers=basic,
                                  content_type=content_type)
            assert answer.status_code == 200, answer.text[:300]
        return timed(post)

    action_batch(), api_batch()  # warm-up
    action_runs, api_runs, action_csv_runs, api_csv_runs = [], [], [], []
    for _ in range(args.repeat):  # alternated
        action_runs.append(action_batch())
        api_runs.append(api_batch())
        action_csv_runs.append(action_batch(csv_body, "text/csv"))
        api_csv_runs.append(api_batch(csv_body, "text/csv"))

    rows_body = body if args.rows == count else json.dumps(json.loads(body)[:args.rows])
    lists = {}
    for kind in ("json", "xml"):
        client, headers = session(testapp, kind)
        client.post("/calculate-taxes", rows_body, headers=headers, content_type="application/json")
        empty, empty_headers = session(testapp, kind)
        runs, empty_runs = [], []
        for _ in range(args.repeat * 4):
            runs.append(timed(lambda: client.get("/list-simulations", headers=headers)))
            empty_runs.append(timed(lambda: empty.get("/list-simulations", headers=empty_headers)))
        lists[kind] = medians(runs), medians(empty_runs)

    of_wall, of_cpu = medians(openfisca)
    print(f"{count:,} households, tax year {YEAR}, JSON body of {len(body):,} bytes; "
          f"medians of {args.repeat} runs (wall, CPU of this thread)")
    print(f"  {'OpenFisca-France, in memory':<44} {of_wall * 1000:8.1f} ms  "
          f"{of_cpu * 1000:8.1f} ms CPU")
    for name, runs in (("POST /calculate-taxes (stored)", action_runs),
                       (f"POST /api/tax-years/{YEAR}/tax", api_runs),
                       ("POST /calculate-taxes (stored), CSV body", action_csv_runs),
                       (f"POST /api/tax-years/{YEAR}/tax, CSV body", api_csv_runs)):
        wall, cpu = medians(runs)
        print(f"  {name:<44} {wall * 1000:8.1f} ms  {cpu * 1000:8.1f} ms CPU  "
              f"{cpu / count * 1e6:6.1f} us CPU/household  OpenFisca / it: {of_wall / wall:5.2f}")
    for kind, ((wall, cpu), (_, empty_cpu)) in lists.items():
        print(f"  GET /list-simulations, {args.rows:,} rows, {kind:<4}          "
              f"{wall * 1000:8.1f} ms  {cpu * 1000:8.1f} ms CPU  "
              f"{cpu / args.rows * 1e6:6.2f} us CPU/row "
              f"({(cpu - empty_cpu) / args.rows * 1e6:.2f} beyond an empty list's {empty_cpu * 1e6:.0f} us)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
