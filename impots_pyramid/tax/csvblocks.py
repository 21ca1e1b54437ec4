"""CSV as raw bytes, a block at a time, with numpy: records and fields in, rows out.

Read: ``split`` finds the records of a block of UTF-8 bytes and, for the plain ones (no
quote character, as many fields as the header), where each field starts and ends. It
follows the csv module's reading (dialect excel, as ``csv.reader`` reads a file opened
with ``newline=""``): the line numbers are its ``line_num``; a record that is not plain
(quoted cells, too few or too many fields) is left to the caller, who reads its text with
the csv module itself. A block whose quoting the csv module would read differently from a
plain count of quote characters (a quote inside an unquoted cell, text after a closing
quote) or that holds a carriage return outside a CRLF raises ``NotPlain``: the caller reads
that block with the csv module.

Write: ``join_rows`` lays out rows whose cells need no quoting (the caller checks that) as
one bytes object, each cell built as one or two 64-bit words and the padding squeezed out
with one boolean mask, the layout ``csv.writer`` gives them with ``lineterminator="\\n"``.
"""
import dataclasses

import numpy

from .columns import _TOP, PAD, TextColumn, words

FIELD_LIMIT = 131_072  # csv.field_size_limit()'s default: longer records go to the csv module
_COMMA, _NEWLINE, _RETURN, _QUOTE = 44, 10, 13, 34
_U64 = numpy.uint64
_CLEAR_TOP = _U64(0x00FFFFFFFFFFFFFF)
_FOUR = numpy.array([int.from_bytes(f"{i:04d}".encode(), "little") for i in range(10_000)],
                    _U64)
_POWERS = numpy.array([10 ** k for k in range(1, 16)], numpy.int64)


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
        return bytes(self.data[self.record_starts[record]:self.record_ends[record]]).decode("utf-8")

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
    if not kept.all():
        line, plain, starts, ends, terminators = (
            line[kept], plain[kept], starts[kept], ends[kept], terminators[kept])
    last = terminators[plain]
    index = last[:, None] + numpy.arange(1 - fields, 1)
    field_ends = delimiters[index]
    field_ends[:, -1] = ends[plain]
    field_starts = numpy.empty_like(field_ends)
    field_starts[:, 0] = starts[plain]
    field_starts[:, 1:] = field_ends[:, :-1] + 1
    return Records(data, consumed, lines, line, plain, starts, ends, field_starts, field_ends)


def _no_records(data):
    empty = numpy.zeros(0, numpy.int64)
    return Records(data, 0, 0, empty, numpy.zeros(0, bool), empty, empty,
                   numpy.zeros((0, 1), numpy.int64), numpy.zeros((0, 1), numpy.int64))


# Cells of the output: each gives (words, lengths): ``words`` (rows, m) holds the text
# right-aligned in 8m - 1 bytes, a free last byte for the separator; ``lengths`` its size.

def cells_from(data: numpy.ndarray, starts, ends):
    """Input cells, copied: their bytes read as the words ending where they end."""
    lengths = ends - starts
    m = (int(lengths.max()) + 1 + 7) // 8 if len(lengths) else 1
    every = words(data)
    first = ends - 8 * m + 1
    out = numpy.empty((len(ends), m), _U64)
    for j in range(m):
        out[:, j] = every[numpy.maximum(first + 8 * j, 0)]  # words before the data: masked
    return out, lengths


def integers(values):
    """Whole numbers from 0 to 10**15 - 1, in decimal."""
    values = numpy.asarray(values, numpy.int64)
    lengths = numpy.maximum(numpy.searchsorted(_POWERS, values, side="right") + 1, 1)
    low = values % 10_000_000  # the last 7 digits, then the separator's byte
    last = (_FOUR[low // 10_000] >> _U64(8)) | (_FOUR[low % 10_000] << _U64(24))
    if not len(values) or values.max() < 10_000_000:
        return last[:, None], lengths
    high = values // 10_000_000
    out = numpy.empty((len(values), 2), _U64)
    out[:, 0] = _FOUR[high // 10_000] | (_FOUR[high % 10_000] << _U64(32))
    out[:, 1] = last
    return out, lengths


def choices(texts, index):
    """``texts[index[i]]`` on row i (texts: a short list of bytes)."""
    m = (max(len(t) for t in texts) + 1 + 7) // 8
    table = numpy.array([[int.from_bytes(t.rjust(8 * m - 1, b"\0")[8 * j:8 * j + 8].ljust(8, b"\0"),
                                         "little") for j in range(m)] for t in texts], _U64)
    lengths = numpy.array([len(t) for t in texts], numpy.int64)
    return table[index], lengths[index]


def join_rows(columns, rows: int):
    """The rows as CSV bytes: the cells of each row joined by commas, then a newline.

    ``columns``: (words, lengths) pairs from the functions above, in output order; no
    cell may need quoting nor hold a NUL byte. Returns (bytes, offsets): row i is
    bytes[offsets[i]:offsets[i+1]].

    Each column takes as many bytes in every row as its longest cell and separator in
    this block; its cells are right-aligned there, the bytes before them zero. A row is
    then a few words built with shifts, and the zero bytes are squeezed out at the end.
    """
    offsets = numpy.zeros(rows + 1, numpy.int64)
    if not rows:
        return b"", offsets
    widths = [int(lengths.max()) + 1 for _, lengths in columns]
    out = numpy.zeros((rows, (sum(widths) + 7) // 8), _U64)
    sizes = numpy.zeros(rows, numpy.int64)
    at = 0  # where the column starts in the row
    for number, ((cells, lengths), width) in enumerate(zip(columns, widths)):
        m = cells.shape[1]
        separator = _U64(_NEWLINE if number == len(columns) - 1 else _COMMA) << _U64(56)
        first = 8 * m - width  # the column's first byte among its words' bytes
        for j in range(first // 8, m):
            word = cells[:, j]
            if j == m - 1:
                word = (word & _CLEAR_TOP) | separator
            # Zero what is not the cell (or its separator) in this word.
            word = word & _TOP[numpy.clip(lengths + 1 - 8 * (m - 1 - j), 0, 8)]
            low = max(0, first - 8 * j)  # bytes of this word before the column
            if low:
                word = word >> _U64(8 * low)
            index, shift = divmod(at + 8 * j + low - first, 8)
            out[:, index] |= word << _U64(8 * shift)
            if shift and 8 - low + shift > 8:
                out[:, index + 1] |= word >> _U64(64 - 8 * shift)
        sizes += lengths + 1
        at += width
    flat = out.view(numpy.uint8).reshape(-1)
    numpy.cumsum(sizes, out=offsets[1:])
    return flat[flat != 0].tobytes(), offsets
