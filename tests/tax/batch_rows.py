"""The row-by-row impots-batch as it was before it read blocks of bytes: a frozen copy of
impots_pyramid/scripts/batch.py at commit 13aaf4b, unchanged but for this docstring. The
reference that test_batch_blocks compares the block reader with, byte for byte, and the
"old" figure of bench/batch.py; not used by the package.
"""
import argparse
import contextlib
import csv
import io
import os
import sys
import unicodedata

from impots_pyramid.tax import InvalidInput, calculate_batch, load_tax_years, parse_calculation
from impots_pyramid.tax.course import COURSE_TAX_YEAR
from impots_pyramid.tax.households import FIELD_ALIASES, RULE_NAMES, parse_married, parse_year

PROG = "impots-batch"
CHUNK_ROWS = 10_000
REQUIRED = ("married", "children", "salary")
OPTIONAL = ("year", "rules")
FIGURES = ("tax", "surcharge", "discount", "reduction", "rate")
FIRST_FAILED_SHOWN = 10

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
not CSV/UTF-8) or a bad option.

example:
  impots-batch --year 2024 households.csv taxes.csv
  cat households.csv | impots-batch --rules course --year 2019 > taxes.csv
"""


class UnreadableInput(Exception):
    """The input as a whole cannot be used; the message says why."""


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
        "--rules", choices=RULE_NAMES, default="law",
        help="rule set: law (the statutory computation, default) or course (the course's "
             f"algorithm, tax year {COURSE_TAX_YEAR} only)")
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


def _normalised(name):
    return unicodedata.normalize("NFC", (name or "").strip().lstrip("\ufeff").strip().lower())


def column_map(header):
    """{field: the input column holding it}; UnreadableInput naming any missing column."""
    by_name = {_normalised(name): name for name in reversed(header or [])}
    columns, missing = {}, []
    for field in REQUIRED + OPTIONAL:
        found = next((by_name[a] for a in FIELD_ALIASES[field] if a in by_name), None)
        if found is not None:
            columns[field] = found
        elif field in REQUIRED:
            missing.append(" or ".join(FIELD_ALIASES[field][:2]))
    if missing:
        raise UnreadableInput("missing column " + ", ".join(missing)
                              + (f" (columns found: {', '.join(header)})" if header else
                                 " (the input is empty)"))
    return columns


def read_chunks(reader, columns, known_years, year, rules):
    """Chunks of (line number, input row, Calculation or error message)."""
    chunk = []
    for row in reader:
        raw = {field: row.get(column) for field, column in columns.items()}
        try:
            parsed = parse_calculation(raw, known_years, year, rules)
        except InvalidInput as exc:
            parsed = "; ".join(exc.messages)
        chunk.append((reader.line_num, row, parsed))
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def compute_chunk(chunk, tax_years):
    """The figures of every valid row of the chunk (None for a failed one), computed by
    the engine's batch entry point: one vectorised call per (year, rules)."""
    valid = [i for i, (_, _, parsed) in enumerate(chunk) if not isinstance(parsed, str)]
    computed = calculate_batch([chunk[i][2] for i in valid], tax_years)
    figures = [None] * len(chunk)
    for index, result in zip(valid, computed):
        figures[index] = {name: result[name] for name in FIGURES}
        figures[index]["rate"] = f"{result['rate']:g}"
    return figures


def output_row(row, parsed, figures, columns):
    """The input row with married as yes/no, the figures (or the error) and the year used."""
    out = dict(row)
    year_column = columns.get("year", "year")
    if figures is None:
        out.update(dict.fromkeys(FIGURES, ""), error=parsed)
        with contextlib.suppress(InvalidInput):  # married as yes/no even on a failed row
            out[columns["married"]] = "yes" if parse_married(row.get(columns["married"])) else "no"
        out.setdefault(year_column, "")  # an input year stays as typed
    else:
        out[columns["married"]] = "yes" if parsed.household.married else "no"
        out.update(figures, error="")
        out[year_column] = parsed.year
    return out


@contextlib.contextmanager
def open_input(name):
    """The input as text, and the binary file under it (for progress) or None for stdin."""
    if name == "-":
        yield sys.stdin, None
        return
    try:
        binary = open(name, "rb")
    except OSError as exc:
        raise UnreadableInput(f"cannot read {name}: {exc.strerror}") from None
    with binary:
        yield io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""), binary


@contextlib.contextmanager
def open_output(name):
    if name == "-":
        yield sys.stdout
        return
    try:
        stream = open(name, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise UnreadableInput(f"cannot write {name}: {exc.strerror}") from None
    with stream:
        yield stream


def progress_bar(binary):
    """A tqdm bar by bytes read, on stderr, when a person watches a file being read."""
    if binary is None or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=os.fstat(binary.fileno()).st_size, unit="B", unit_scale=True,
                desc=PROG, file=sys.stderr)


def run(args, year, tax_years):
    """Stream the input to the output; return (rows read, line numbers of failed rows)."""
    rows = 0
    failed = []
    with open_input(args.input) as (text, binary):
        reader = csv.DictReader(text)
        header = reader.fieldnames
        columns = column_map(header)
        added = FIGURES + (() if "year" in columns else ("year",)) + ("error",)
        names = list(header) + [name for name in added if name not in header]
        with open_output(args.output) as stream:
            writer = csv.DictWriter(stream, names, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            bar = progress_bar(binary)
            for chunk in read_chunks(reader, columns, tax_years.keys(), year, args.rules):
                figures = compute_chunk(chunk, tax_years)
                for (line, row, parsed), result in zip(chunk, figures):
                    if result is None:
                        failed.append(line)
                    writer.writerow(output_row(row, parsed, result, columns))
                stream.flush()
                rows += len(chunk)
                if bar is not None:
                    bar.update(binary.tell() - bar.n)
            if bar is not None:
                bar.close()
    return rows, failed


def main(argv=None):
    tax_years = load_tax_years()
    parser = build_parser(sorted(tax_years))
    try:
        args = parser.parse_args(argv)
        year = default_year(parser, args, sorted(tax_years))
    except SystemExit as exc:  # --help, or a bad option (argparse has printed why)
        return exc.code
    try:
        rows, failed = run(args, year, tax_years)
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
        shown = ", ".join(str(n) for n in failed[:FIRST_FAILED_SHOWN])
        more = ", ..." if len(failed) > FIRST_FAILED_SHOWN else ""
        print(f"{PROG}: {len(failed)} of {rows} rows failed (see their error column); "
              f"line{'s' if len(failed) > 1 else ''} {shown}{more}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
