"""impots-batch against csv.reader merely reading the same file.

    .venv/bin/python bench/batch.py [--rows N] [--no-year] [--repeat R] [--old] [--file PATH]
                                    [--workers N]

Writes a CSV of N households (default 1,000,000; married in mixed spellings and cases,
children 0 to 6, salaries mostly below 250,000 with some up to 1,000,000,000, a year
column with some empty cells unless --no-year, one row in a thousand wrong), then times,
best of R runs each, in this order so that the figures come from the same minute:

- csv.reader: ``for row in csv.reader(file): pass`` on it, in this process, then the same
  in a subprocess (interpreter start included: what a shell's ``time`` of it shows);
- impots-batch, in process: ``batch.main([FILE, OUTPUT])`` (imports already done, glibc's
  allocator set as the command sets it: ``batch.keep_freed_memory``), with
  the worker processes impots-batch chooses (one per CPU no other process is running on)
  or --workers;
- impots-batch, end to end: the installed console script in a subprocess, as a user
  runs it (interpreter start and imports included), with its peak RSS;
- impots-batch, start only: the same on the header alone (interpreter and imports);
- with --old, the row-by-row impots-batch it replaced (tests/tax/batch_rows.py, in
  process, one run: it takes about 70 times csv.reader's time).

It prints each wall-clock time and its ratio to csv.reader's, and the CPU time (user and
system, of this process or of the subprocess: less sensitive to other work on the
machine) and its ratio to csv.reader's; it asserts nothing.
"""
import argparse
import csv
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

from impots_pyramid.scripts import batch  # noqa: E402

MARRIED = ["yes", "no", "oui", "non", "true", "false", "1", "0", "Yes", "NO", "Oui", "TRUE"]
YEARS = ["2019", "2020", "2021", "2022", "2023", "2024", "2025", "2026", ""]


def write_households(path, rows, year_column, seed=1):
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("married,children,salary" + (",year" if year_column else "") + "\n")
        lines = []
        for i in range(rows):
            salary = (int(rnd.expovariate(1 / 40_000)) if rnd.random() < 0.97
                      else rnd.randrange(0, 1_000_000_001))
            cells = [rnd.choice(MARRIED), str(rnd.randrange(7)), str(salary)]
            if i % 1000 == 999:  # a wrong row now and then
                cells[rnd.randrange(3)] = rnd.choice(["maybe", "3x", "-1", "", "21"])
            if year_column:
                cells.append(rnd.choice(YEARS))
            lines.append(",".join(cells))
            if len(lines) == 10_000:
                out.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            out.write("\n".join(lines) + "\n")


def best(runs, function):
    """(wall time, CPU time, result) of the fastest of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append((time.perf_counter() - start, time.process_time() - cpu, result))
    return min(times, key=lambda t: t[0])


def read_with_csv(path):
    with open(path, encoding="utf-8", newline="") as lines:
        for _ in csv.reader(lines):
            pass


CSV_READ_ALONE = ("import csv, sys\n"
                  "with open(sys.argv[1], encoding='utf-8', newline='') as lines:\n"
                  "    for _ in csv.reader(lines):\n"
                  "        pass\n")


def in_process(module, path, output):
    stderr, sys.stderr = sys.stderr, open(os.devnull, "w")
    try:
        return module.main([str(path), str(output)])
    finally:
        sys.stderr.close()
        sys.stderr = stderr


def console_script():
    script = shutil.which("impots-batch", path=str(pathlib.Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "impots_pyramid.scripts.batch"]


def subprocess_run(command):
    """(wall time, CPU time, exit status, peak RSS in MB) of one run."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return (elapsed, usage.ru_utime + usage.ru_stime, process.returncode,
            usage.ru_maxrss / 1024)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-year", action="store_true", help="no year column")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--old", action="store_true",
                        help="also time the row-by-row impots-batch (slow)")
    parser.add_argument("--file", help="use (or write once) this input file")
    parser.add_argument("--workers", type=int, help="worker processes of the in-process run")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        path = pathlib.Path(args.file) if args.file else folder / "households.csv"
        if not path.exists():
            write_households(path, args.rows, not args.no_year)
        output = folder / "taxes.csv"
        header = folder / "header.csv"
        with open(path, encoding="utf-8") as lines:
            header.write_text(lines.readline(), encoding="utf-8")
        size = path.stat().st_size
        with_year = "year" in header.read_text(encoding="utf-8").strip().lower().split(",")
        print(f"input: {path} ({size / 1e6:.1f} MB, {args.rows:,} rows"
              f"{', year column' if with_year else ''}); best of {args.repeat}")

        read, read_cpu, _ = best(args.repeat, lambda: read_with_csv(path))
        rows = [("csv.reader, reading only", read, read_cpu, "")]
        reading = [sys.executable, "-c", CSV_READ_ALONE, str(path)]
        wall, cpu, _, _ = min(subprocess_run(reading) for _ in range(args.repeat))
        rows.append(("csv.reader, end to end", wall, cpu, "interpreter start included"))
        workers = batch.WORKERS = batch.workers(args.workers)
        batch.keep_freed_memory()
        inside, cpu, status = best(args.repeat, lambda: in_process(batch, path, output))
        rows.append(("impots-batch, in process", inside, cpu,
                     f"exit {status}, {workers} worker{'s' if workers > 1 else ''}"))
        chosen = [f"--workers={args.workers}"] if args.workers else []
        runs = [subprocess_run(console_script() + chosen + [str(path), str(folder / "script.csv")])
                for _ in range(args.repeat)]
        wall, cpu, status, _ = min(runs)
        rows.append(("impots-batch, end to end", wall, cpu,
                     f"exit {status}, peak RSS {max(r[3] for r in runs):.0f} MB"))
        wall, cpu, _, rss = min(subprocess_run(console_script() + [str(header), str(
            folder / "header-out.csv")]) for _ in range(args.repeat))
        rows.append(("impots-batch, start only", wall, cpu, f"header alone, RSS {rss:.0f} MB"))
        if args.old:
            sys.path.insert(0, str(ROOT / "tests" / "tax"))
            import batch_rows

            old, cpu, status = best(1, lambda: in_process(batch_rows, path, folder / "old.csv"))
            rows.append(("old impots-batch, in process", old, cpu, f"exit {status}"))
            same = (folder / "old.csv").read_bytes() == output.read_bytes()
            rows.append(("", None, None,
                         f"old and new outputs {'identical' if same else 'DIFFER'}"))

        print(f"{'':30} {'wall':>9} {'x csv':>7} {'CPU':>8} {'x csv':>7}")
        for name, seconds, cpu, note in rows:
            if seconds is None:
                print(f"{'':32}{note}")
                continue
            print(f"{name:30} {seconds:7.3f} s {seconds / read:7.2f} {cpu:6.3f} s "
                  f"{cpu / read_cpu:7.2f}  {note}")


if __name__ == "__main__":
    main()
