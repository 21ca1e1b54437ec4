"""A calculation's instructions, counted by valgrind's callgrind: bench/breakdown.py's
variants, with a figure that does not move with the machine.

    .venv/bin/python bench/instructions.py [--requests 200] [--variant NAME ...]

CPU time on a shared virtual machine moves by tens of percent from one minute to the next
(RESULTS.md); the number of instructions a request executes does not (two runs agree to
within 0.1 %). For each of breakdown.py's variants (as shipped; in the request's
transaction; ``SELECT 1`` committed alone; no database), the service runs under
``valgrind --tool=callgrind`` with counting off, on a fresh database (bench.ini: PostgreSQL,
Redis sessions, CSRF on); after a logged-in session's first 50 calculations, counting is
switched on (``callgrind_control``) for ``--requests`` POST /calculate-tax, then off. It
prints the instructions per request and each variant's ratio to "no database".

What it leaves out, and CPU time counts: the kernel's share (the system calls, the
loopback TCP of each round trip to PostgreSQL and Redis) and the cost of cache misses
after a wait. Under valgrind the service runs some 50 times slower: a run takes about a
minute per variant. It measures; it asserts nothing.
"""
import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from bench import breakdown  # noqa: E402

WARM_UP = 50


def _wait_for(path: Path, process, timeout=600.0):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the service under valgrind stopped (exit {process.poll()})")
        time.sleep(0.1)


def child(variant: str, requests: int, folder: Path, database_url: str, redis_url: str):
    """Under valgrind: serve the calculations, in step with the parent through files."""
    calculation = breakdown.calculations(breakdown.fresh_service(database_url, redis_url))

    with breakdown.recording_with(breakdown.VARIANTS[variant]):
        for _ in range(WARM_UP):
            calculation()
        (folder / "ready").touch()
        while not (folder / "go").exists():
            time.sleep(0.05)
        for _ in range(requests):
            calculation()
        (folder / "done").touch()
        while (folder / "go").exists():  # counting is switched off before this returns
            time.sleep(0.05)


def count(variant: str, options) -> float:
    """Instructions per request of ``variant``."""
    with tempfile.TemporaryDirectory(prefix="impots-instructions-") as name:
        folder = Path(name)
        out = folder / "callgrind.out"
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={out}", sys.executable, __file__, "--child", variant,
             "--folder", name, "--requests", str(options.requests),
             "--database-url", options.database_url, "--redis-url", options.redis_url],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _wait_for(folder / "ready", process)
            subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True,
                           capture_output=True)
            (folder / "go").touch()
            _wait_for(folder / "done", process)
            subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], check=True,
                           capture_output=True)
            (folder / "go").unlink()
            _, errors = process.communicate(timeout=600)
        finally:
            if process.poll() is None:
                process.kill()
        if process.returncode:
            raise RuntimeError(f"{variant}: exit {process.returncode}\n{errors[-2000:]}")
        totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        return int(totals.group(1)) / options.requests


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="counted calculations")
    parser.add_argument("--variant", action="append", choices=breakdown.VARIANTS,
                        help="only these (default: all four)")
    parser.add_argument("--database-url",
                        default="postgresql+psycopg2://postgres@127.0.0.1:5432/impots_instructions",
                        help="dropped and created afresh")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11",
                        help="the sessions' Redis database (emptied)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    options = arguments(argv)
    if options.child:
        return child(options.child, options.requests, Path(options.folder),
                     options.database_url, options.redis_url)
    variants = options.variant or list(breakdown.VARIANTS)
    if "no database" not in variants:
        variants.append("no database")
    figures = {variant: count(variant, options) for variant in variants}
    reference = figures["no database"]
    print(f"Instructions per POST /calculate-tax (callgrind, user space), "
          f"{options.requests} requests per variant")
    print(f"{'variant':28s} {'instructions':>13s} {'/ no database':>14s}")
    for variant, value in figures.items():
        print(f"{variant:28s} {value:13,.0f} {value / reference:14.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
