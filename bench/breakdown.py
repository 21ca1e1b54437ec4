"""Where a calculation's CPU goes: the service in process, its database write cut away layer
by layer, against the ceiling's hello in the same process.

    .venv/bin/python bench/breakdown.py [--requests 300] [--rounds 7]
    .venv/bin/python bench/breakdown.py --serve "no database" --port 6600   # for wrk

The service runs with bench/bench.ini (PostgreSQL, Redis sessions, CSRF on) on a fresh
database, called as a WSGI application (no HTTP server: waitress's share is the hello
run of compare.py). One logged-in session sends POST /calculate-tax; for each variant,
``simulations.record`` (the one database write of a calculation) is replaced by:

- as shipped: the real write (on PostgreSQL, one statement committed on its own:
  models.committed);
- in the request's transaction: the same statement through the request's transaction
  (BEGIN, statement, COMMIT: the path before models.committed, still taken by a request
  that has written already);
- SELECT 1 committed alone: the smallest statement, one round trip (this design's bound);
- no database: no write at all (the answer made up in Python).

Variants alternate within each round; it prints the median CPU time of this thread per
request (``time.thread_time``), each variant's share of "as shipped", and hello's time as
a fraction of each (the in-process counterpart of "flow / ceiling"). It measures; it
asserts nothing. The made-up variants exist only here, to bound what any speed-up of the
write could give. With ``--serve`` one variant is served under waitress (4 threads, as
compare.py runs the service) instead, for the peers' flow.lua to measure from outside.
"""
import argparse
import contextlib
import io
import json
import secrets
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from pyramid.paster import get_app  # noqa: E402
from bench import hello, setup  # noqa: E402
from impots_pyramid.models import committed  # noqa: E402
from impots_pyramid.models.committed import COMMITS_ALONE  # noqa: E402
from impots_pyramid.services import simulations  # noqa: E402
from impots_pyramid.models.simulation import public_view  # noqa: E402

HERE = Path(__file__).resolve().parent
FORM = {"married": "yes", "children": "2", "salary": "55555"}


def call(app, method, path, cookie=None, form=None, token=None):
    """One WSGI call, as waitress would make it; returns (status, headers, body)."""
    body = urllib.parse.urlencode(form or {}).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
               "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": True,
               "wsgi.multiprocess": False, "wsgi.run_once": False}
    if form is not None:
        environ.update(CONTENT_TYPE="application/x-www-form-urlencoded",
                       CONTENT_LENGTH=str(len(body)))
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    if token:
        environ["HTTP_X_CSRF_TOKEN"] = token
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=headers)

    chunks = app(environ, start_response)
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return answer["status"], answer["headers"], content


def _cookie(headers, previous=None):
    found = [value.split(";")[0] for name, value in headers if name.lower() == "set-cookie"]
    return found[-1] if found else previous


def logged_in(app):
    """(cookie, CSRF token) of a session after init-session/json and authenticate-user."""
    _, headers, body = call(app, "GET", "/init-session/json")
    cookie, token = _cookie(headers), json.loads(body)["csrf_token"]
    form = {"user": setup.USER, "password": setup.PASSWORD, "csrf_token": token}
    _, headers, body = call(app, "POST", "/authenticate-user", cookie, form)
    return _cookie(headers, cookie), json.loads(body).get("csrf_token", token)


def _made_up(owner, rows):
    return [public_view({"owner": owner, "number": 1, **rows[0]})]


def _in_transaction(dbsession, *arguments, **keywords):
    dbsession.info[COMMITS_ALONE] = False
    return SHIPPED(dbsession, *arguments, **keywords)


def _select_one(dbsession, owner, rows, *options, **keywords):
    committed.scalar(dbsession, "SELECT 1", {})
    return _made_up(owner, rows)


def _no_database(dbsession, owner, rows, *options, **keywords):
    return _made_up(owner, rows)


SHIPPED = simulations.record
VARIANTS = {"as shipped": SHIPPED, "in the request's transaction": _in_transaction,
            "SELECT 1 committed alone": _select_one, "no database": _no_database}


@contextlib.contextmanager
def recording_with(record):
    # The calculation service calls ``record`` through its module: replacing it there is enough.
    simulations.record = record
    try:
        yield
    finally:
        simulations.record = SHIPPED


def cpu_per_call(function, count: int) -> float:
    """Microseconds of this thread's CPU per call."""
    start = time.thread_time()
    for _ in range(count):
        function()
    return (time.thread_time() - start) / count * 1e6


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="calculations per variant per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (the figures are medians)")
    parser.add_argument("--database-url",
                        default="postgresql+psycopg2://postgres@127.0.0.1:5432/impots_breakdown",
                        help="dropped and created afresh")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12",
                        help="the sessions' Redis database (emptied)")
    parser.add_argument("--serve", choices=VARIANTS, help="serve this variant under waitress")
    parser.add_argument("--port", type=int, default=6600, help="with --serve: 127.0.0.1's port")
    return parser.parse_args(argv)


def serve(app, variant: str, port: int) -> None:
    import waitress

    with recording_with(VARIANTS[variant]):
        waitress.serve(app, listen=f"127.0.0.1:{port}", threads=4)


def fresh_service(database_url: str, redis_url: str):
    """The service with bench.ini on a fresh database and an emptied Redis database."""
    setup.fresh_database(database_url)
    setup.empty_redis(redis_url)
    return get_app(str(HERE / "bench.ini"), options={
        "database_url": database_url, "redis_url": redis_url,
        "session_secret": secrets.token_hex(32), "http_port": "0"})


def calculations(app):
    """A function sending one POST /calculate-tax in a logged-in session, checked."""
    cookie, token = logged_in(app)

    def calculation():
        status, _, body = call(app, "POST", "/calculate-tax", cookie, FORM, token)
        assert status.startswith("200") and b'"status": 300' in body, (status, body[:300])
    return calculation


def main(argv=None):
    options = arguments(argv)
    app = fresh_service(options.database_url, options.redis_url)
    if options.serve:
        return serve(app, options.serve, options.port)
    calculation = calculations(app)
    ceiling = hello.make_app()

    def greeting():
        call(ceiling, "GET", "/hello")

    for name, record in VARIANTS.items():  # warm-up, and a check that each answers
        with recording_with(record):
            cpu_per_call(calculation, options.requests)
    cpu_per_call(greeting, options.requests)

    figures = {name: [] for name in VARIANTS}
    figures["hello"] = []
    for _ in range(options.rounds):
        for name, record in VARIANTS.items():
            with recording_with(record):
                figures[name].append(cpu_per_call(calculation, options.requests))
        figures["hello"].append(cpu_per_call(greeting, options.requests * 10))
    medians = {name: statistics.median(values) for name, values in figures.items()}
    shipped, ceiling_time = medians["as shipped"], medians["hello"]
    print(f"CPU per request in process, medians of {options.rounds} rounds "
          f"of {options.requests} calculations per variant")
    print(f"{'variant':28s} {'µs':>8s} {'/ shipped':>10s} {'hello / it':>11s}")
    for name in VARIANTS:
        value = medians[name]
        print(f"{name:28s} {value:8.0f} {value / shipped:10.2f} {ceiling_time / value:11.3f}")
    print(f"{'hello (the ceiling app)':28s} {ceiling_time:8.1f}")
    # Issue 18's goal: a calculation with its durable write at most 1.5 times one without.
    print(f"as shipped / no database: {shipped / medians['no database']:.2f} (goal ≤ 1.5)")


if __name__ == "__main__":
    main()
