"""impots-batch: the income tax of every household of a CSV file, streamed block by block.

The work is tax.csvbatch's (shared with the browser's upload page, so both write the
same bytes); this is the console around it: the arguments, the files or standard input
and output, the progress bar on a terminal, the exit statuses, how many worker
processes compute the blocks (tax.blockpool) and glibc's settings for its memory.
"""
import argparse
import codecs
import contextlib
import csv
import os
import signal
import sys

from impots_pyramid.allocator import LIBC, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
from impots_pyramid.tax import InvalidInput, load_tax_years
from impots_pyramid.tax import blockpool, csvbatch
from impots_pyramid.tax.csvbatch import FIRST_FAILED_SHOWN, Source, UnreadableInput
from impots_pyramid.tax.households import parse_year
from impots_pyramid.tax.vocabulary import COURSE_TAX_YEAR, DEFAULT_RULES, RULE_NAMES

PROG = "impots-batch"
# The run's sizes, read when it starts (tests and bench/batch.py change them here).
CHUNK_ROWS = csvbatch.CHUNK_ROWS  # rows of the row-by-row path computed together
BLOCK_BYTES = csvbatch.BLOCK_BYTES  # bytes of input read, checked, computed and written together
READ_BYTES = csvbatch.READ_BYTES
WORKERS = None  # processes computing blocks; None: one per idle CPU (see workers)
MOST_WORKERS = 32  # what --workers accepts: each is a process


DESCRIPTION = """\
Compute the French income tax of every household of a CSV file.

The input needs the columns married, children and salary (or the course's French
names marié, enfants, salaire), in any order and any case; a year column, where
present, gives each row's tax year (an empty cell: --year), and a rules column its
rule set (an empty cell: --rules). married is yes/no, oui/non, true/false or 1/0;
children a whole number from 0 to 20; salary whole euros from 0 to 1,000,000,000.

The output has the input's columns, then tax, surcharge, discount, reduction (whole
euros), rate (the marginal rate as a fraction, e.g. 0.14), year (the tax year used)
and error; married is written yes or no. A row that is wrong gets its message in
error and empty figures; the other rows are still computed.
"""

EPILOG = """\
exit status: 0 every row computed; 1 some rows failed (their count and first line
numbers on stderr); 2 the input cannot be read (missing file, missing column,
not CSV/UTF-8) or a bad option; 130 interrupted (Ctrl-C).

example:
  impots-batch --year 2024 households.csv taxes.csv
  cat households.csv | impots-batch --rules course --year 2019 > taxes.csv
"""

def build_parser(years):
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    listed = ", ".join(str(y) for y in years)
    parser.add_argument(
        "--year", metavar="YEAR",
        help=f"tax year of the rows without one ({listed}); default: the latest, "
             f"{max(years)}, or {COURSE_TAX_YEAR} with --rules course (the only year it has)")
    parser.add_argument(
        "--rules", choices=RULE_NAMES, default=DEFAULT_RULES,
        help="rule set: law (the statutory computation, default) or course (the course's "
             f"algorithm, tax year {COURSE_TAX_YEAR} only)")
    parser.add_argument(
        "--workers", type=_workers, metavar="N",
        help="processes computing blocks at once (default: one per CPU that no other "
             f"process is running on, at most {blockpool.MAX_WORKERS}; 1: all in this process)")
    parser.add_argument("input", nargs="?", default="-", metavar="INPUT",
                        help="CSV file to read; - or nothing: standard input")
    parser.add_argument("output", nargs="?", default="-", metavar="OUTPUT",
                        help="CSV file to write; - or nothing: standard output")
    return parser


def default_year(parser, args, years):
    """The year of rows that name none, checked against the data file and the rules."""
    if args.year is None:
        return COURSE_TAX_YEAR if args.rules == "course" else max(years)
    try:
        year = parse_year(args.year, years)
    except InvalidInput as exc:
        parser.error(f"argument --year: {exc}")
    if args.rules == "course" and year != COURSE_TAX_YEAR:
        parser.error(f"argument --year: invalid value [{args.year}] for [year]: "
                     f"the course rules exist for tax year {COURSE_TAX_YEAR} only")
    return year


@contextlib.contextmanager
def open_input(name):
    """The input (a Source), and the binary file under it (for progress) or None for stdin."""
    if name == "-":
        # Standard input as text, decoded and with its line ends as Python gives them.
        yield Source(lambda size: sys.stdin.read(size).encode("utf-8", "surrogateescape"),
                     read_bytes=READ_BYTES), None
        return
    try:
        binary = open(name, "rb")
    except OSError as exc:
        raise UnreadableInput(f"cannot read {name}: {exc.strerror}") from None
    with binary:
        yield Source(binary.read, byte_order_mark=True, read_bytes=READ_BYTES), binary


@contextlib.contextmanager
def open_output(name):
    """A function writing bytes to the output."""
    if name == "-":
        stream = sys.stdout
        binary = getattr(stream, "buffer", None)
        if (binary is not None and os.linesep == "\n"
                and codecs.lookup(stream.encoding or "ascii").name == "utf-8"):
            stream.flush()  # the bytes as the text layer would write them, without it
            yield binary.write
            return
        yield lambda data: stream.write(data.decode("utf-8"))
        return
    try:
        stream = open(name, "wb")
    except OSError as exc:
        raise UnreadableInput(f"cannot write {name}: {exc.strerror}") from None
    with stream:
        yield stream.write


def progress_bar(binary):
    """A tqdm bar by bytes read, on stderr, when a person watches a file being read."""
    if binary is None or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    # No monitor thread: the worker processes are forked after the bar starts, and a
    # process should fork with no other thread running.
    tqdm.monitor_interval = 0
    return tqdm(total=os.fstat(binary.fileno()).st_size, unit="B", unit_scale=True,
                desc=PROG, file=sys.stderr)


def _workers(text):
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MOST_WORKERS):
        raise argparse.ArgumentTypeError(
            f"invalid value [{text[:20]}]: a whole number from 1 to {MOST_WORKERS}")
    return int(text)


def workers(chosen=None):
    """Processes to compute blocks with: ``chosen`` (--workers), WORKERS, or as
    blockpool.idle_workers chooses."""
    if chosen is not None:
        return chosen
    if WORKERS is not None:
        return WORKERS
    return blockpool.idle_workers()


def run(args, year, tax_years):
    """Stream the input to the output; return (rows read, rows failed, the first
    FIRST_FAILED_SHOWN failed rows' line numbers)."""
    with open_input(args.input) as (source, binary):
        batch = csvbatch.start(source, year, args.rules, tax_years, chunk_rows=CHUNK_ROWS)
        with open_output(args.output) as write:
            bar = progress_bar(binary)
            progress = None if bar is None else (lambda: bar.update(binary.tell() - bar.n))
            batch.run(source, write, workers=workers(args.workers), block_bytes=BLOCK_BYTES,
                      progress=progress)
            if bar is not None:
                bar.close()
    return batch.rows, batch.failed, batch.first_failed


def main(argv=None):
    tax_years = load_tax_years()
    parser = build_parser(sorted(tax_years))
    try:
        args = parser.parse_args(argv)
        year = default_year(parser, args, sorted(tax_years))
    except SystemExit as exc:  # --help, or a bad option (argparse has printed why)
        return exc.code
    try:
        rows, failed, first_failed = run(args, year, tax_years)
    except UnreadableInput as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except (csv.Error, UnicodeDecodeError) as exc:
        print(f"{PROG}: {args.input} is not readable CSV in UTF-8: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, without Python's complaint
        # about flushing stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    if failed:
        shown = ", ".join(str(n) for n in first_failed)
        more = ", ..." if failed > FIRST_FAILED_SHOWN else ""
        print(f"{PROG}: {failed} of {rows} rows failed (see their error column); "
              f"line{'s' if failed > 1 else ''} {shown}{more}", file=sys.stderr)
        return 1
    return 0


def keep_freed_memory():
    """Let glibc keep the blocks' arrays in the heap once freed. Each block allocates a
    few hundred arrays of up to a few MB; by default the larger ones are mapped apart and
    unmapped when freed, and the heap's top given back, so the next block faults the
    same pages in again: 57,000 page faults for a million rows, 12,000 with these
    settings, and 0.82-0.96 s end to end against 0.71-0.79 s. Memory stays what a block
    needs: nothing freed is given back, and nothing grows with the input."""
    if LIBC is not None:
        LIBC.mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's own largest
        LIBC.mallopt(M_TRIM_THRESHOLD, 256 << 20)


def console():
    """The impots-batch command: ``main`` in a process of its own. Ctrl-C ends it by the
    signal itself, as it ends a program that does not catch it (a shell shows 130, and
    a script's loop stops), once the workers are stopped and without a traceback."""
    keep_freed_memory()
    try:
        status = main()
    except KeyboardInterrupt:
        status = 130
        if os.name == "posix":
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    sys.exit(status)


if __name__ == "__main__":
    console()
