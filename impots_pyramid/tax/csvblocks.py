"""CSV as raw bytes, a block at a time, with numpy: records and fields in, rows out.

Read: ``split`` finds the records of a block of UTF-8 bytes and, for the plain ones (no
quote character, as many fields as the header), where each field starts and ends. It
follows the csv module's reading (dialect excel, as ``csv.reader`` reads a file opened
with ``newline=""``): the line numbers are its ``line_num``; a record that is not plain
(quoted cells, too few or too many fields, a NUL byte, longer than the csv module's field
limit) is left to the caller, who reads its text with the csv module itself. A block
whose quoting the csv module would read differently from a plain count of quote
characters (a quote inside an unquoted cell, text after a closing quote) or that holds a
carriage return outside a CRLF raises ``NotPlain``: the caller reads that block with the
csv module.

Write: ``join_rows`` lays out rows whose cells need no quoting (the caller checks that) as
one bytes object, each cell built as 64-bit words stored at their place, the layout
``csv.writer`` gives them with ``lineterminator="\\n"``.
"""
import dataclasses

import numpy

from .columns import PAD, TextColumn, words

FIELD_LIMIT = 131_072  # csv.field_size_limit()'s default: longer records go to the csv module
_COMMA, _NEWLINE, _RETURN, _QUOTE = 44, 10, 13, 34
_U64 = numpy.uint64
_NOT_LOW = _U64(0xFFFFFFFFFFFFFF00)
_NUMBERS = numpy.arange(10_000, dtype=_U64)
# _FOUR[i]: i as 4 ASCII digits, zero-padded, first digit in the word's first byte.
_FOUR = sum(((_NUMBERS // _U64(10 ** (3 - k)) % _U64(10)) + _U64(48)) << _U64(8 * k)
            for k in range(4))
_LENGTHS = 1 + sum((_NUMBERS >= _U64(10 ** k)).astype(numpy.int64) for k in (1, 2, 3))


class NotPlain(Exception):
    """The block's quoting or line ends need the csv module's own reading."""


@dataclasses.dataclass
class Records:
    """The complete records of a block (blank lines left out, as csv.DictReader does)."""

    data: numpy.ndarray  # the block, PAD bytes before it (positions below count them)
    consumed: int  # bytes of the block up to the end of its last complete record
    lines: int  # physical lines in those bytes
    line: numpy.ndarray  # line number of each record (1 = the block's first line)
    plain: numpy.ndarray  # bool: split into fields below
    record_starts: numpy.ndarray
    record_ends: numpy.ndarray  # before the line end
    field_starts: numpy.ndarray  # (plain records, fields)
    field_ends: numpy.ndarray

    def text(self, record: int) -> str:
        """A record's text, to read with the csv module."""
        start, end = self.record_starts[record], self.record_ends[record]
        return bytes(self.data[start:end]).decode("utf-8")

    def column(self, field: int, rows=None) -> TextColumn:
        starts, ends = self.field_starts[:, field], self.field_ends[:, field]
        if rows is not None:
            starts, ends = starts[rows], ends[rows]
        return TextColumn(self.data, starts, ends)


def split(block: bytes, fields: int) -> Records:
    """The records of ``block`` (which starts at a record's start) that end in it; the
    bytes after the last one (``consumed`` on) belong to the next block."""
    data = numpy.frombuffer(b"\0" * PAD + block + b"\0" * 16, numpy.uint8)
    end = PAD + len(block)
    if b"\r" in block:
        returns = numpy.flatnonzero(data == _RETURN)
        if (data[returns + 1] != _NEWLINE).any():
            raise NotPlain("a carriage return outside a CRLF")
    delimiters = numpy.flatnonzero((data == _COMMA) | (data == _NEWLINE))
    newlines = numpy.flatnonzero(data[delimiters] == _NEWLINE)  # indices into delimiters
    quotes = None
    if b'"' in block:
        quotes = numpy.flatnonzero(data == _QUOTE)
        before, after = data[quotes - 1], data[quotes + 1]
        # An even number of quotes before a quote: it opens a cell, so must start one; an
        # odd number: it closes the cell or is the first of a doubled quote.
        opens = ((before == _COMMA) | (before == _NEWLINE) | (before == _QUOTE)
                 | (quotes == PAD))
        closes = ((after == _COMMA) | (after == _NEWLINE) | (after == _RETURN)
                  | (after == _QUOTE))
        if not numpy.where(numpy.arange(len(quotes)) % 2 == 0, opens, closes).all():
            raise NotPlain("a quote character inside an unquoted cell")
        outside = numpy.searchsorted(quotes, delimiters[newlines]) % 2 == 0
        ranks = numpy.flatnonzero(outside)
        terminators = newlines[ranks]
    else:
        ranks = numpy.arange(len(newlines))
        terminators = newlines
    if not len(terminators):
        return _no_records(data)
    ends = delimiters[terminators]
    starts = numpy.empty_like(ends)
    starts[0] = PAD
    starts[1:] = ends[:-1] + 1
    counts = numpy.diff(terminators, prepend=-1)  # delimiters in the record, its end included
    if b"\r" in block:
        ends = ends - (data[ends - 1] == _RETURN)
    kept = ends > starts  # an empty line is no record
    plain = (counts == fields) & (ends - starts <= FIELD_LIMIT)
    if quotes is not None:
        plain &= numpy.diff(numpy.searchsorted(quotes, delimiters[terminators]), prepend=0) == 0
    if b"\0" in block:  # a NUL is a cell's byte: such rows are not laid out by join_rows
        nuls = numpy.searchsorted(numpy.flatnonzero(data[PAD:end] == 0) + PAD, ends)
        plain &= numpy.diff(nuls, prepend=0) == 0
    line = ranks + 1
    consumed = int(delimiters[terminators[-1]]) + 1 - PAD
    lines = int(ranks[-1]) + 1
    no_blank_line = kept.all()
    if not no_blank_line:
        line, plain, starts, ends, terminators = (
            line[kept], plain[kept], starts[kept], ends[kept], terminators[kept])
    if no_blank_line and plain.all():  # the usual block: the delimiters are the fields' ends
        field_ends = delimiters[:fields * len(plain)].reshape(-1, fields).copy()
    else:
        field_ends = delimiters[terminators[plain][:, None] + numpy.arange(1 - fields, 1)]
    field_ends[:, -1] = ends[plain]
    field_starts = numpy.empty_like(field_ends)
    field_starts[:, 0] = starts[plain]
    field_starts[:, 1:] = field_ends[:, :-1] + 1
    return Records(data, consumed, lines, line, plain, starts, ends, field_starts, field_ends)


def _no_records(data):
    empty = numpy.zeros(0, numpy.int64)
    return Records(data, 0, 0, empty, numpy.zeros(0, bool), empty, empty,
                   numpy.zeros((0, 1), numpy.int64), numpy.zeros((0, 1), numpy.int64))


# Cells of the output. Each function gives fields: (words, lengths), ``words`` (rows, m)
# holding the field's bytes from its first one on (a comma, with ``comma``, then the
# cell), ``lengths`` how many there are; the bytes after them do not matter.

def cells_from(data: numpy.ndarray, starts, ends, comma: bool):
    """Input cells, copied: the words that start where they start (or a byte before,
    where the comma goes)."""
    first = starts - 1 if comma else starts
    lengths = ends - first
    m = max((int(lengths.max()) + 7) // 8, 1) if len(lengths) else 1
    every = words(data)
    out = numpy.empty((len(first), m), _U64)
    for j in range(m):  # (words past a cell's end only need to exist)
        out[:, j] = every[numpy.minimum(first + 8 * j, len(every) - 1) if j else first]
    if comma:
        out[:, 0] = (out[:, 0] & _NOT_LOW) | _U64(_COMMA)
    return [(out, lengths)]


INTEGERS_BELOW = 10 ** 14  # what ``integers`` writes: 0 to this - 1


def integers(values, comma: bool):
    """Whole numbers from 0 to 10**14 - 1, in decimal: one field, or two where some are
    10,000,000 or more (their last 7 digits the second field)."""
    values = numpy.asarray(values, numpy.int64)
    if not len(values) or values.max() < 10_000_000:
        return [_digits(values, comma)]
    high, low = numpy.divmod(values, 10_000_000)
    big = high > 0
    first = _digits(numpy.where(big, high, values), comma)
    rest = _eight(low) >> _U64(8)  # the 7 digits, zero-padded
    return [first, (rest[:, None], numpy.where(big, 7, 0))]


def _eight(values):
    """Numbers below 10**8 as 8 digits, zero-padded, in a word."""
    high = values // 10_000
    return _FOUR[high] | (_FOUR[values - high * 10_000] << _U64(32))


def _digits(values, comma):
    """Numbers below 10**7 (below 10**8 without comma) as one field."""
    if not len(values) or values.max() < 10_000:  # (discounts, reductions: one table look-up)
        lengths = _LENGTHS[values]
        word = _FOUR[values] >> (_U64(32) - (lengths << 3).astype(_U64))
        if comma:
            return (word << _U64(8)) | _U64(_COMMA), lengths + 1
        return word, lengths
    high = values // 10_000
    low = values - high * 10_000
    lengths = numpy.where(high > 0, _LENGTHS[high] + 4, _LENGTHS[low])
    word = (_FOUR[high] | (_FOUR[low] << _U64(32))) >> (_U64(64) - (lengths << 3).astype(_U64))
    if comma:
        return (word << _U64(8)) | _U64(_COMMA), lengths + 1
    return word, lengths


def choices(texts, index):
    """``texts[index[i]]`` on row i (texts: a short list of bytes, commas included)."""
    m = max((max(len(t) for t in texts) + 7) // 8, 1)
    table = numpy.array([[int.from_bytes(t.ljust(8 * m, b"\0")[8 * j:8 * j + 8], "little")
                          for j in range(m)] for t in texts], _U64)
    lengths = numpy.array([len(t) for t in texts], numpy.int64)
    return [(table[index], lengths[index])]


_JOINED_ROWS = 8192  # rows laid out together by join_rows


def join_rows(fields, rows: int):
    """The rows as CSV bytes: the fields of each row one after the other.

    ``fields``: (words, lengths) pairs from the functions above, in output order, the
    first without a comma, the last ending with the newline (a choice); no cell may need
    quoting. Returns (bytes, offsets): row i is bytes[offsets[i]:offsets[i+1]].

    Every word of every field is stored at its place in the output, 8 bytes at a time,
    in order: what a word holds past its field is overwritten by the next field's.
    """
    offsets = numpy.zeros(rows + 1, numpy.int64)
    if not rows:
        return b"", offsets
    fields = [(w if w.ndim == 2 else w[:, None], lengths) for w, lengths in fields]
    sizes = fields[0][1].copy()
    for _, lengths in fields[1:]:
        sizes += lengths
    numpy.cumsum(sizes, out=offsets[1:])
    count = sum(w.shape[1] for w, _ in fields)
    total = int(offsets[-1])
    out = numpy.zeros(total + 8 * max(w.shape[1] for w, _ in fields) + 8, numpy.uint8)
    every = words(out)
    # A few thousand rows at a time: their words and places stay in the CPU's cache
    # between being filled a column at a time and stored (about half the time of a whole
    # block at once).
    values = numpy.empty((min(rows, _JOINED_ROWS), count), _U64)
    places = numpy.empty((min(rows, _JOINED_ROWS), count), numpy.int64)
    for first in range(0, rows, _JOINED_ROWS):
        last = min(first + _JOINED_ROWS, rows)
        these_values, these_places = values[:last - first], places[:last - first]
        start = offsets[first:last].copy()  # where the field starts in the output
        at = 0
        for cells, lengths in fields:
            for j in range(cells.shape[1]):
                these_values[:, at] = cells[first:last, j]
                these_places[:, at] = start + 8 * j if j else start
                at += 1
            start += lengths[first:last]
        every[these_places.reshape(-1)] = these_values.reshape(-1)
    return out[:total].tobytes(), offsets
