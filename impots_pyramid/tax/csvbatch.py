"""A CSV of households in, a CSV of their taxes out, streamed block by block: the core of
impots-batch, shared with the browser's upload page (so both write the same bytes).

The input is read as raw bytes, about a megabyte at a time, cut after a line end. Each
block is split into records and fields with numpy (csvblocks), its households validated
column by column (columns.parse_columns), computed with the vectorised engine (one call
per tax year and rule set present in it) and written out, its rows laid out with numpy
too, in input order before the next block is read: memory stays constant whatever the
file's length. Only the rows that need it take the row-by-row path of the csv module and
the single-household functions: rows with an error (for their message), quoted cells,
too few or too many cells; and whole blocks whose quoting the csv module reads in its
own way (a quote inside an unquoted cell) or with a lone carriage return.

    batch = csvbatch.start(Source(binary.read, byte_order_mark=True), year, rules, tax_years)
    batch.run(source, write)       # write(bytes); UnreadableInput, csv.Error, NotUTF8
    batch.rows, batch.failed, batch.first_failed

``convert`` does it for bytes in memory. What a console adds (arguments, files, standard
input and output, a progress bar, exit statuses) is scripts/batch.py's.
"""
import collections
import contextlib
import csv
import io
import unicodedata

import numpy

from . import blockpool, csvblocks
from .columns import parse_columns
from .engine import calculate_batch, calculate_many
from .households import InvalidInput, parse_calculation, parse_married
from .vocabulary import FIELD_ALIASES, RULE_NAMES, yes_no

CHUNK_ROWS = 10_000  # rows of the row-by-row path computed together
BLOCK_BYTES = 1 << 20  # bytes of input read, checked, computed and written together
READ_BYTES = 1 << 16
REQUIRED = ("married", "children", "salary")
OPTIONAL = ("year", "rules")
FIGURES = ("tax", "surcharge", "discount", "reduction", "rate")
FIRST_FAILED_SHOWN = 10


class UnreadableInput(Exception):
    """The input as a whole cannot be used; the message says why."""


class MissingColumns(UnreadableInput):
    """A required column is missing (``header`` None or empty: the input is empty)."""

    def __init__(self, message, missing, header):
        super().__init__(message)
        self.missing, self.header = missing, header


class TooManyRows(UnreadableInput):
    """More rows than the caller's ``max_rows``."""

    def __init__(self, limit):
        super().__init__(f"more than {limit} households")
        self.limit = limit


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
        raise MissingColumns("missing column " + ", ".join(missing)
                             + (f" (columns found: {', '.join(header)})" if header else
                                " (the input is empty)"), missing, header)
    return columns


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
            out[columns["married"]] = yes_no(parse_married(row.get(columns["married"])))
        out.setdefault(year_column, "")  # an input year stays as typed
    else:
        out[columns["married"]] = yes_no(parsed.household.married)
        out.update(figures, error="")
        out[year_column] = parsed.year
    return out


class NotUTF8(UnicodeDecodeError):
    """A UnicodeDecodeError whose position counts from the start of the input."""

    def __init__(self, exc, offset):
        super().__init__(exc.encoding, exc.object, exc.start, exc.end, exc.reason)
        self.offset = offset

    def __str__(self):
        if self.end - self.start == 1:
            return (f"'{self.encoding}' codec can't decode byte 0x{self.object[self.start]:02x}"
                    f" in position {self.offset + self.start}: {self.reason}")
        return (f"'{self.encoding}' codec can't decode bytes in position "
                f"{self.offset + self.start}-{self.offset + self.end - 1}: {self.reason}")


class Source:
    """The input as UTF-8 bytes, handed out in blocks that end after a newline, or a line
    at a time, split where a file opened with newline="" splits its lines."""

    def __init__(self, read, byte_order_mark=False, read_bytes=READ_BYTES):
        self._read = read  # read(n) -> bytes, b"" at the end
        self._read_bytes = read_bytes  # the least asked of read() at a time
        self._pending = b""
        self._eof = False
        self._bom = byte_order_mark  # drop one at the start, as the utf-8-sig codec does
        self.offset = 0  # bytes handed out (after the mark), for error positions

    def _more(self, size):
        while len(self._pending) < size and not self._eof:
            chunk = self._read(max(size - len(self._pending), self._read_bytes))
            if chunk:
                self._pending += chunk
            else:
                self._eof = True
            if self._bom and (len(self._pending) >= 3 or self._eof):
                self._bom = False
                if self._pending.startswith(b"\xef\xbb\xbf"):
                    self._pending = self._pending[3:]

    def _take(self, size):
        taken, self._pending = self._pending[:size], self._pending[size:]
        if not taken.isascii():
            try:
                taken.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise NotUTF8(exc, self.offset) from None
        self.offset += size
        return taken

    def block(self, size):
        """About ``size`` bytes ending after a newline (more if a line is longer; at the
        end of the input, what is left); None at the end."""
        self._more(size)
        cut = self._pending.rfind(b"\n", 0, size) + 1
        while not cut and not self._eof:
            self._more(len(self._pending) + size)
            cut = self._pending.find(b"\n") + 1
        return self._take(cut or len(self._pending)) or None

    def at_end(self) -> bool:
        """Whether nothing is left to read (reads a little ahead to know)."""
        self._more(1)
        return not self._pending

    def give_back(self, rest):
        """Bytes of the last block that were not used: they start the next one."""
        self._pending = rest + self._pending
        self.offset -= len(rest)

    def line(self):
        """The next line as text, its line end included; None at the end."""
        while True:
            newline = self._pending.find(b"\n")
            ret = self._pending.find(b"\r", 0, None if newline < 0 else newline)
            if ret >= 0 and (ret + 1 < len(self._pending) or self._eof):
                end = ret + 2 if self._pending[ret + 1:ret + 2] == b"\n" else ret + 1
                break
            if ret < 0 and newline >= 0:
                end = newline + 1
                break
            if self._eof:
                end = len(self._pending)
                break
            self._more(len(self._pending) + self._read_bytes)
        return self._take(end).decode("utf-8") or None


def csv_text(rows):
    """Rows (lists of values) as csv.writer writes them."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


class _Counted:
    """An iterator of lines that counts the lines taken."""

    def __init__(self, lines):
        self.lines = iter(lines)
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self):
        line = next(self.lines)
        self.count += 1
        return line


def _chain(lines, source):
    yield from lines
    while (line := source.line()) is not None:
        yield line


def read_header(source):
    """The first record, read by the csv module (None for an empty input), and its lines."""
    counted = _Counted(iter(source.line, None))
    header = next(csv.reader(counted), None)
    return header, counted.count


class Batch:
    """One run: the header's layout, then block after block from the source to the output."""

    def __init__(self, header, rules, year, tax_years, chunk_rows=CHUNK_ROWS):
        self.header = header
        self.columns = column_map(header)
        added = FIGURES + (() if "year" in self.columns else ("year",)) + ("error",)
        self.names = list(header) + [name for name in added if name not in header]
        self.rules, self.year, self.tax_years = rules, year, tax_years
        self.chunk_rows = chunk_rows
        self.write = None  # run's
        self.max_rows = None
        self.known_years = sorted(tax_years)
        self.all_rates = numpy.array(sorted({0.0}.union(
            *(params.rates for params in tax_years.values()))))
        self.rows = 0
        self.failed = 0  # rows
        self.first_failed = []  # their line numbers, the first FIRST_FAILED_SHOWN
        self.line = 1  # lines read so far (the header's)
        last = {name: index for index, name in enumerate(header)}  # a dict row keeps the last
        self.field_index = {field: last[column] for field, column in self.columns.items()}
        year_column = self.columns.get("year", "year")
        self.layout = []  # what each output column holds, for the rows computed by blocks
        for name in self.names:
            if name in FIGURES or name == "error":
                self.layout.append((name, None))
            elif name == self.columns["married"]:
                self.layout.append(("married", None))
            elif name == year_column:
                self.layout.append(("year", None))
            elif self.layout and self.layout[-1][0] == "cells" and (
                    self.layout[-1][1][1] + 1 == last[name]):
                self.layout[-1] = ("cells", (self.layout[-1][1][0], last[name]))
            else:  # input cells; those next to each other in the input too: one span
                self.layout.append(("cells", (last[name], last[name])))

    def start(self):
        self.write(csv_text([self.names]).encode("utf-8"))

    def parsed_row(self, row):
        """(the row, its Calculation or error message), as the row-by-row path has them."""
        raw = {field: row.get(column) for field, column in self.columns.items()}
        try:
            return row, parse_calculation(raw, self.known_years, self.year, self.rules)
        except InvalidInput as exc:
            return row, "; ".join(exc.messages)

    def rows_text(self, entries):
        """(output text of each (line, row, parsed) entry, line numbers of the failed ones)."""
        figures = compute_chunk(entries, self.tax_years)
        texts, failed = [], []
        for (line, row, parsed), result in zip(entries, figures):
            if result is None:
                failed.append(line)
            row_out = output_row(row, parsed, result, self.columns)
            texts.append(csv_text([[row_out.get(name, "") for name in self.names]]))
        return texts, failed

    def written(self, pieces, failed, rows):
        """Write a block's output (a list of bytes), count its rows and failed lines."""
        for piece in pieces:
            self.write(piece)
        self.failed += len(failed)
        self.first_failed.extend(failed[:FIRST_FAILED_SHOWN - len(self.first_failed)])
        self.rows += rows
        if self.max_rows is not None and self.rows > self.max_rows:
            raise TooManyRows(self.max_rows)

    def dict_row(self, values):
        """A row of values as csv.DictReader makes it (missing cells None)."""
        row = dict(zip(self.header, values))
        if len(self.header) < len(values):
            row[None] = values[len(self.header):]
        else:
            for name in self.header[len(values):]:
                row[name] = None
        return row

    def chunk(self, entries):
        texts, failed = self.rows_text(entries)
        self.written(["".join(texts).encode("utf-8")], failed, len(entries))

    def by_rows(self, lines, stop=None):
        """The row-by-row path on an iterator of lines (csv.DictReader, then the same
        functions as the web APIs), from the current line on; with ``stop``, end after the
        row at or past which that many lines have been read. Returns the lines read."""
        counted = _Counted(lines)
        reader = csv.DictReader(counted, fieldnames=self.header)
        chunk = []
        for row in reader:
            chunk.append((self.line + reader.line_num,) + self.parsed_row(row))
            if len(chunk) == self.chunk_rows:
                self.chunk(chunk)
                chunk = []
            if stop is not None and counted.count >= stop:
                break
        if chunk:
            self.chunk(chunk)
        self.line += counted.count
        return counted.count

    def block(self, records, first_line):
        """The output of the complete records of a block, whose first line follows line
        ``first_line``: (bytes to write, line numbers of failed rows, rows). No side effect:
        blocks may be computed in other threads.

        Every record split into fields is computed and laid out by numpy, the bad ones
        too (with the default year and rules; cheaper than leaving them out); then the
        bad ones' bytes are replaced by their row-by-row output, and the records not split
        into fields are put in their place.
        """
        if not len(records.line):  # blank lines only
            return [], [], 0
        plain = numpy.flatnonzero(records.plain)
        parsed = parse_columns(
            **{field: records.column(index) for field, index in self.field_index.items()},
            known_years=self.known_years, default_year=self.year, default_rules=self.rules)
        if parsed.errors:
            parsed.year[parsed.bad] = self.year
            parsed.rules[parsed.bad] = RULE_NAMES.index(self.rules)
        figures = self.compute(parsed)
        replaced = parsed.bad.copy()
        for name in FIGURES[:-1]:  # never seen; csvblocks.integers writes no sign
            replaced |= (figures[name] < 0) | (figures[name] >= 10 ** 14)
        text, offsets = self.lay_out(records, parsed, figures)

        # The other records, in order: bad rows (their message is known), the rows not
        # split into fields (read by the csv module), rows with a figure out of range.
        others = numpy.ones(len(records.line), bool)
        others[plain[~replaced]] = False
        entries, places = [], numpy.flatnonzero(others)
        before = numpy.searchsorted(plain, places)  # plain records before each
        in_plain = numpy.zeros(len(places), bool)
        if len(plain):
            in_plain = plain[numpy.minimum(before, len(plain) - 1)] == places
        for record, i, split in zip(places.tolist(), before.tolist(), in_plain.tolist()):
            if split:
                row = self.dict_row(records.text(record).split(","))  # no quote in it
                parsed_row = parsed.messages(i) if parsed.bad[i] else self.parsed_row(row)[1]
            else:
                text_row = io.StringIO(records.text(record), newline="")
                row, parsed_row = self.parsed_row(self.dict_row(next(csv.reader(text_row), [])))
            entries.append((first_line + int(records.line[record]), row, parsed_row))
        pieces, failed, done = [], [], 0
        if entries:
            texts, failed = self.rows_text(entries)
            for i, split, row_text in zip(before.tolist(), in_plain.tolist(), texts):
                pieces.append(text[done:offsets[i]])
                pieces.append(row_text.encode("utf-8"))
                done = offsets[i + 1] if split else offsets[i]
        pieces.append(text[done:] if done else text)
        return pieces, failed, len(records.line)

    def split_block(self, block, first_line):
        return self.block(csvblocks.split(block, len(self.header)), first_line)

    def compute(self, parsed):
        """The engine's figures for every row: one call per (year, rules)."""
        married, children, salary, year, rules = (
            parsed.married, parsed.children, parsed.salary, parsed.year, parsed.rules)
        key = year * len(RULE_NAMES) + rules
        if not len(key) or key.min() == key.max():
            groups = key[:1]
        else:
            low = int(key.min())
            groups = numpy.flatnonzero(numpy.bincount(key - low)) + low
        if len(groups) == 1:  # the usual block: the engine's arrays as they are
            group_year, group_rules = divmod(int(groups[0]), len(RULE_NAMES))
            return calculate_many(self.tax_years[group_year], married, children, salary,
                                  RULE_NAMES[group_rules])
        figures = {name: numpy.zeros(len(key), numpy.float64 if name == "rate" else numpy.int64)
                   for name in FIGURES}
        for group in groups.tolist():
            group_year, group_rules = divmod(group, len(RULE_NAMES))
            rows = numpy.flatnonzero(key == group)
            result = calculate_many(self.tax_years[group_year], married[rows], children[rows],
                                    salary[rows], RULE_NAMES[group_rules])
            for name in FIGURES:
                figures[name][rows] = result[name]
        return figures

    def lay_out(self, records, parsed, figures):
        """The output rows of the records split into fields, laid out by numpy."""
        fields = []
        texts = None  # the choices since the last other field: (their texts, their index)

        def choose(options, index):
            nonlocal texts
            if texts is not None and len(texts[0]) * len(options) <= 64:  # one field for both
                texts = ([a + b for a in texts[0] for b in options],
                         texts[1] * len(options) + index)
            else:
                flush()
                texts = (options, index)

        def flush():
            nonlocal texts
            if texts is not None:
                fields.extend(csvblocks.choices(*texts))
                texts = None

        for number, (what, index) in enumerate(self.layout):
            comma = b"," if number else b""
            if what == "cells":
                flush()
                fields += csvblocks.cells_from(records.data, records.field_starts[:, index[0]],
                                               records.field_ends[:, index[1]], bool(comma))
            elif what == "married":
                choose([comma + b"no", comma + b"yes"], parsed.married.astype(numpy.int64))
            elif what == "year":
                known = numpy.array(self.known_years)
                choose([comma + str(y).encode() for y in self.known_years],
                       numpy.searchsorted(known, parsed.year))
            elif what == "rate":
                rates, index = self.rates(figures["rate"])
                choose([comma + f"{r:g}".encode() for r in rates.tolist()] or [comma], index)
            elif what == "error":
                choose([comma], numpy.zeros(len(parsed.bad), numpy.int64))
            else:
                flush()
                fields += csvblocks.integers(figures[what], bool(comma))
        choose([b"\n"], numpy.zeros(len(parsed.bad), numpy.int64))
        flush()
        return csvblocks.join_rows(fields, len(parsed.bad))

    def rates(self, rate):
        """(the distinct rates, the index of each row's): the rates of the tax years'
        scales, else (never seen) whatever values there are."""
        index = numpy.minimum(numpy.searchsorted(self.all_rates, rate), len(self.all_rates) - 1)
        if (self.all_rates[index] == rate).all():
            return self.all_rates, index
        return numpy.unique(rate, return_inverse=True)

    def run(self, source, write, workers=1, block_bytes=BLOCK_BYTES, progress=None,
            max_rows=None):
        """All the blocks: computed here or, with more than one worker, by that many
        processes from the second block on (blockpool; only a process with no other
        thread may ask for them; an input of one block is computed here), at
        most two blocks per worker ahead of the writing (split by the workers too when no
        quote or carriage return can make a line end other than a record's end); written
        here, in order. A block the csv module must read waits for those before it.

        ``write(bytes)`` takes the output; ``progress()``, if given, is called after each
        block written; past ``max_rows`` rows, TooManyRows (part of the output written)."""
        self.write, self.max_rows = write, max_rows
        self.start()
        pool = None
        ahead = collections.deque()

        def in_pool() -> bool:
            # The processes start with the second block: one block is computed here.
            nonlocal pool
            if pool is None and workers > 1 and not source.at_end():
                pool = blockpool.BlockPool(self, workers)
            return pool is not None

        if progress is None:
            def progress():
                pass

        def write_ahead(limit):
            while len(ahead) > limit:
                self.written(*ahead.popleft().result())
                progress()

        try:
            while True:
                block = source.block(block_bytes)
                if block is None:
                    break
                if block.endswith(b"\n") and not (b'"' in block or b"\r" in block) and (
                        in_pool()):
                    # Every line end ends a record: the pool splits it too.
                    first_line, self.line = self.line, self.line + block.count(b"\n")
                    ahead.append(pool.split_block(block, first_line))
                    write_ahead(2 * workers)
                    continue
                try:
                    records = csvblocks.split(block, len(self.header))
                except csvblocks.NotPlain:
                    records = None
                if records is None or records.consumed == 0:
                    # The csv module's own reading, from this block's start to the end of
                    # the record that ends at or after the block's end.
                    write_ahead(0)
                    lines = io.StringIO(block.decode("utf-8"), newline="").readlines()
                    self.by_rows(_chain(lines, source), stop=len(lines))
                    progress()
                    continue
                source.give_back(block[records.consumed:])
                first_line, self.line = self.line, self.line + records.lines
                if not in_pool():
                    self.written(*self.block(records, first_line))
                    progress()
                else:
                    ahead.append(pool.block(records, first_line))
                    write_ahead(2 * workers)
            write_ahead(0)
        finally:
            if pool is not None:
                pool.shutdown()


def start(source, year, rules, tax_years, chunk_rows=CHUNK_ROWS):
    """The Batch of a Source, its header read: MissingColumns (an UnreadableInput) when a
    required column is missing or the input is empty; ``year`` and ``rules`` are the
    defaults of the rows that name none (checked by the caller)."""
    header, lines = read_header(source)
    batch = Batch(header, rules, year, tax_years, chunk_rows)
    batch.line = lines
    return batch


def convert(data: bytes, year, rules, tax_years, max_rows=None):
    """(the output's bytes, the Batch: rows, failed, first_failed) of a whole input in
    memory, read as impots-batch reads a file (a byte order mark dropped), in this
    thread. UnreadableInput (MissingColumns, TooManyRows), NotUTF8 or csv.Error when
    it cannot be read."""
    source = Source(io.BytesIO(data).read, byte_order_mark=True)
    batch = start(source, year, rules, tax_years)
    output = []
    batch.run(source, output.append, workers=1, max_rows=max_rows)
    return b"".join(output), batch
