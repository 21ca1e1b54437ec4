"""Our service against the course's Flask design and against Pyramid's own ceiling.

    .venv/bin/python bench/compare.py [--duration 10s] [--runs 3] [--markdown FILE]

Starts on loopback, each under waitress with 4 threads and pinned to the same CPU(s)
(--server-cpus; wrk runs on --client-cpus):
- "hello": bench/hello.py, the smallest Pyramid application (the ceiling);
- "ours": the service with bench/bench.ini (PostgreSQL, Redis sessions, CSRF on);
- "peer": the Flask peer of ../shared/peers/flask_seed, in its own virtualenv
  (bench/.peer-venv, made from its requirements.txt on the first run);
- "durable": the Flask peer of ../shared/peers/flask_durable (Redis sessions, CSRF, each
  simulation stored in PostgreSQL before the answer: our guarantees), in bench/.durable-venv,
  on a PostgreSQL database of its own (--durable-database-url, dropped and created afresh).
Then measures with wrk, every case once per round (the servers alternate), after an
unmeasured warm-up of each: the ceiling; the calculate-tax flow (the peers' flow.lua) on
ours, on the peer and on the durable peer; the peer's own /hello. Then one long flow run on
each (--long-flow: the peer's sessions grow with every simulation, ours do not). Then ours
alone: calculate-taxes with 1,000 and with 10,000 households (one connection: the figure is
a client's wait) and list-simulations of a session holding 1,000. Then (--apache) the flow
on ours and on both peers under Apache mod_wsgi in daemon mode (bench/apache.py).
Prints medians of req/s, p50 and p99, the memory of each server process, and the ratios
against the goals. It measures; it asserts nothing. Needs wrk, curl and taskset.
"""
import argparse
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from bench import apache, report, sessions, setup  # noqa: E402
from bench import wrk  # noqa: E402
from bench.servers import Server, free_port, pinned, running  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = ROOT.parent / "shared" / "peers"


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", default="10s", help="each measured run (wrk's -d)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each case")
    parser.add_argument("--warmup", default="2s", help="the unmeasured run of each case")
    parser.add_argument("--long-flow", default="60s",
                        help="one flow run this long on ours and on the peer, whose sessions "
                             "grow with every simulation (0 to skip)")
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (-t)")
    parser.add_argument("--connections", type=int, default=8, help="wrk's connections (-c)")
    parser.add_argument("--peers", type=Path, default=PEERS,
                        help="the folder of flask_seed/, flow.lua and ceiling.lua")
    parser.add_argument("--database-url",
                        default="postgresql+psycopg2://postgres@127.0.0.1:5432/impots_bench",
                        help="our database: dropped and created afresh")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13",
                        help="our sessions' Redis database (emptied)")
    parser.add_argument("--peer-redis-url", default="redis://127.0.0.1:6379/14",
                        help="the peer's sessions' Redis database (emptied)")
    parser.add_argument("--durable-database-url",
                        default="postgresql+psycopg2://postgres@127.0.0.1:5432/"
                                "impots_bench_durable",
                        help="the durable peer's database: dropped and created afresh")
    parser.add_argument("--durable-redis-url", default="redis://127.0.0.1:6379/15",
                        help="the durable peer's sessions' Redis database (emptied)")
    cpus = os.cpu_count() or 1
    parser.add_argument("--server-cpus", default="0" if cpus > 1 else None,
                        help="taskset CPU list of every server (default 0 on 2+ CPUs)")
    parser.add_argument("--client-cpus", default=(f"1-{cpus - 1}" if cpus > 2 else "1")
                        if cpus > 1 else None, help="taskset CPU list of wrk")
    parser.add_argument("--apache", action=argparse.BooleanOptionalAction,
                        default=apache.available(),
                        help="also run the flow under Apache mod_wsgi (daemon mode): ours "
                             "(apache/impots.wsgi, production.ini) and both peers; default on "
                             "when apache2 and mod_wsgi are installed")
    parser.add_argument("--apache-only", action="store_true",
                        help="only the flows under Apache (no waitress servers, no batches)")
    parser.add_argument("--apache-processes", type=int, default=1,
                        help="WSGIDaemonProcess processes= of every Apache")
    parser.add_argument("--apache-threads", type=int, default=4,
                        help="WSGIDaemonProcess threads= of every Apache")
    parser.add_argument("--apache-root", type=Path, default=Path("/tmp/impots-bench-apache"),
                        help="where the Apache deployments are installed (www-data must "
                             "read it; the virtual environments are kept there)")
    parser.add_argument("--markdown", type=Path, help="also write the report there")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    parser.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()) / "impots-bench",
                        help="servers' logs and wrk's full output")
    return parser.parse_args(argv)


def start_servers(options):
    options.log_dir.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    peer_python = setup.peer_virtualenv(options.peers / "flask_seed", HERE / ".peer-venv")
    four_threads = ["--threads=4"]
    durable_python = setup.peer_virtualenv(options.peers / "flask_durable",
                                           HERE / ".durable-venv")
    hello_port, ours_port, peer_port = free_port(), free_port(), free_port()
    durable_port = free_port()
    hello = Server("hello", pinned([str(venv_bin / "waitress-serve"), *four_threads,
                                    f"--listen=127.0.0.1:{hello_port}",
                                    "--call", "bench.hello:make_app"], options.server_cpus),
                   hello_port, "/hello", cwd=ROOT, log_path=options.log_dir / "hello.log")
    ours = Server("ours", pinned([str(venv_bin / "pserve"), str(HERE / "bench.ini"),
                                  f"http_port={ours_port}",
                                  f"database_url={options.database_url}",
                                  f"redis_url={options.redis_url}",
                                  f"session_secret={secrets.token_hex(32)}"],
                                 options.server_cpus),
                  ours_port, "/health", cwd=ROOT, log_path=options.log_dir / "ours.log")
    peer = Server("peer", pinned([str(peer_python.parent / "waitress-serve"), *four_threads,
                                  f"--listen=127.0.0.1:{peer_port}", "app:app"],
                                 options.server_cpus),
                  peer_port, "/hello", cwd=options.peers / "flask_seed",
                  env={**os.environ, "REDIS_URL": options.peer_redis_url,
                       "SECRET_KEY": secrets.token_hex(32)},
                  log_path=options.log_dir / "peer.log")
    durable = Server("durable", pinned([str(durable_python.parent / "waitress-serve"),
                                        *four_threads, f"--listen=127.0.0.1:{durable_port}",
                                        "app:app"], options.server_cpus),
                     durable_port, "/hello", cwd=options.peers / "flask_durable",
                     env={**os.environ, "REDIS_URL": options.durable_redis_url,
                          "DB_URL": options.durable_database_url,
                          "SECRET_KEY": secrets.token_hex(32)},
                     log_path=options.log_dir / "durable.log")
    return hello, ours, peer, durable


def households(count: int, seed: int) -> list:
    """The flow's kind of households: married or not, 0-4 children, salary 0-250,000."""
    draw = random.Random(seed)
    return [{"married": draw.choice(("yes", "no")), "children": draw.randint(0, 4),
             "salary": draw.randint(0, 250_000)} for _ in range(count)]


def flow_case(options, server, name="flow"):
    """The peers' flow.lua: sessions opened before the clock, then POST /calculate-tax."""
    t, c = options.threads, options.connections
    return (name, server, f"http://{server.address}/", str(options.peers / "flow.lua"), t, c,
            {"FLOW_THREADS": str(t), "FLOW_CONNECTIONS": str(c)})


def hello_case(options, server, name):
    return (name, server, f"http://{server.address}/hello", str(options.peers / "ceiling.lua"),
            options.threads, options.connections, {})


def comparison_cases(options, hello, ours, peer, durable):
    """(case name, server, wrk URL, script, threads, connections, environment)."""
    return [hello_case(options, hello, "ceiling"), flow_case(options, ours),
            flow_case(options, peer), flow_case(options, durable),
            hello_case(options, peer, "hello")]


def long_flow_cases(options, ours, peer, durable):
    return [flow_case(options, server, f"flow, {options.long_flow} run")
            for server in (ours, peer, durable)]


def service_cases(options, ours, workdir):
    """Ours alone: batches (one connection: what a client waits) and a long list."""
    session_request = str(HERE / "lua" / "session_request.lua")
    found = []
    for count in (1000, 10000):
        body = workdir / f"households-{count}.json"
        body.write_text(json.dumps(households(count, seed=count)))
        session = sessions.open_session(f"http://{ours.address}")
        found.append((f"calculate-taxes {count:,}", ours, f"http://{ours.address}/calculate-taxes",
                      session_request, 1, 1,
                      {**session.wrk_env(), "BENCH_METHOD": "POST", "BENCH_BODY_FILE": str(body)}))
    holder = sessions.open_session(f"http://{ours.address}")
    holder.post_json("/calculate-taxes", households(1000, seed=1))
    found.append(("list-simulations (1,000)", ours, f"http://{ours.address}/list-simulations",
                  session_request, options.threads, options.connections, holder.wrk_env()))
    return found


def measure(options, cases, runs, duration, warmup, log) -> dict:
    """Every case once per round, so that the servers alternate; medians over the rounds."""
    def one(case, length):
        name, server, url, script, threads, connections, env = case
        cpu_before = server.cpu_seconds()
        result = wrk.run(url, script, length, threads, connections, options.client_cpus, env,
                         log)
        # The server's CPU per answer: with every server on the same saturated CPU, req/s
        # is mostly its inverse, and it says which process a ratio is made of.
        result["cpu_us"] = (server.cpu_seconds() - cpu_before) / max(result["requests"], 1) * 1e6
        return result

    if warmup not in ("0", "0s"):
        for case in cases:
            one(case, warmup)
    results = {(case[0], case[1].name): [] for case in cases}
    for round_number in range(1, runs + 1):
        for case in cases:
            result = one(case, duration)
            results[(case[0], case[1].name)].append(result)
            print(f"  round {round_number} {case[1].name:5s} {case[0]:26s} "
                  f"{result['rps']:9.1f} req/s  p50 {result['p50_ms']:8.2f} ms  "
                  f"p99 {result['p99_ms']:8.2f} ms  server CPU {result['cpu_us']:7.0f} µs/answer",
                  file=sys.stderr, flush=True)
            time.sleep(1)
    return {key: wrk.summary(found) for key, found in results.items()}


APACHE_FLOW = "flow under Apache"


def apache_flows(options, log_path, memory) -> dict:
    """The flow on ours and on both peers, each under Apache mod_wsgi in daemon mode with
    the same processes and threads, alternated as the other cases."""
    print("installing the Apache deployments in", options.apache_root, file=sys.stderr)
    deployment = apache.deploy(options.apache_root, options.peers)
    servers = apache.servers(options, deployment)
    with open(log_path, "w") as log, running(servers):
        cases = [flow_case(options, server, APACHE_FLOW) for server in servers]
        found = measure(options, cases, options.runs, options.duration, options.warmup, log)
        for server in servers:
            memory[f"{server.name} (Apache, largest process)"] = server.memory()
    return found


def main(argv=None):
    options = arguments(argv)
    for tool in ("wrk", "curl", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"compare.py: {tool} not found (apt-get install -y wrk curl util-linux)")
    setup.fresh_database(options.database_url)
    setup.empty_redis(options.redis_url)
    setup.empty_redis(options.peer_redis_url)
    setup.empty_database(options.durable_database_url)
    setup.empty_redis(options.durable_redis_url)
    options.log_dir.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    if options.apache_only:
        memory = {}
        figures = apache_flows(options, options.log_dir / "wrk-apache.log", memory)
        return finish(options, started, figures, memory)
    hello, ours, peer, durable = start_servers(options)
    with tempfile.TemporaryDirectory() as workdir, \
            open(options.log_dir / "wrk.log", "w") as log, \
            running([hello, ours, peer, durable]):
        # The comparisons first, before our batches grow the database by a million rows.
        figures = measure(options, comparison_cases(options, hello, ours, peer, durable),
                          options.runs, options.duration, options.warmup, log)
        if options.long_flow not in ("0", "0s"):
            figures.update(measure(options, long_flow_cases(options, ours, peer, durable),
                                   1, options.long_flow, "0", log))
        figures.update(measure(options, service_cases(options, ours, Path(workdir)),
                               options.runs, options.duration, options.warmup, log))
        memory = {server.name: server.memory() for server in (hello, ours, peer, durable)}
    if options.apache:
        figures.update(apache_flows(options, log_path=options.log_dir / "wrk-apache.log",
                                    memory=memory))
    finish(options, started, figures, memory)


def finish(options, started, figures, memory):
    results = {
        "date": started, "machine": report.machine(), "options": {
            "duration": options.duration, "runs": options.runs, "warmup": options.warmup,
            "long_flow": options.long_flow,
            "threads": options.threads, "connections": options.connections,
            "server_cpus": options.server_cpus, "client_cpus": options.client_cpus,
            "apache": (f"{options.apache_processes} process(es) of {options.apache_threads} "
                       "threads" if options.apache else None)},
        "cases": [{"case": case, "server": server, **summary}
                  for (case, server), summary in figures.items()],
        "memory": memory,
    }
    text = report.markdown(results)
    print(text)
    if options.markdown:
        options.markdown.write_text(text)
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
