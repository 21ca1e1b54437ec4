"""Runs wrk with a Lua script that ends with a RESULT line (the peers' flow.lua and
ceiling.lua, and session_request.lua), and summarises runs as run_bench.sh does."""
import os
import statistics
import subprocess

from .servers import pinned

RESULT_FIELDS = ("rps", "requests", "p50_ms", "p99_ms", "non2xx3xx", "socket_errors")


class WrkError(RuntimeError):
    pass


def parse_result(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith("RESULT "):
            pairs = (item.split("=", 1) for item in line.split()[1:])
            return {key: float(value) for key, value in pairs
                    if key in RESULT_FIELDS}
    raise WrkError("wrk printed no RESULT line:\n" + output[-2000:])


def run(url, script, duration, threads, connections, cpus=None, env=None, log=None,
        timeout="30s") -> dict:
    """One wrk run; an answer slower than ``timeout`` counts as a socket error."""
    command = pinned(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}",
                      f"--timeout={timeout}", "--latency", "-s", script, url], cpus)
    completed = subprocess.run(command, capture_output=True, text=True,
                               env={**os.environ, **(env or {})}, timeout=600)
    output = completed.stdout + completed.stderr
    if log is not None:
        log.write(f"### {' '.join(command)}\n{output}\n")
    return parse_result(output)


def summary(runs: list) -> dict:
    """Medians over the runs (each metric its own), the req/s range, errors summed."""
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "rps_min": min(r["rps"] for r in runs),
        "rps_max": max(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "requests": int(statistics.median(r["requests"] for r in runs)),
        "errors": int(sum(r["non2xx3xx"] + r["socket_errors"] for r in runs)),
        "cpu_us": statistics.median(r["cpu_us"] for r in runs),
    }
