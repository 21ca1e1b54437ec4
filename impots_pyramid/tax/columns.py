"""Validation of whole columns of households at once: text cells in, typed arrays out.

The cells of a column are UTF-8 bytes in one buffer (``TextColumn``: cell i is
``data[starts[i]:ends[i]]``), as a CSV reader that works on raw bytes finds them, or built
from a list of strings. ``parse_columns`` checks every row with numpy: it reads each cell
as one or two 64-bit words (the bytes ending where the cell ends) and tests and converts
eight characters at a time (SWAR), so no Python object is made per cell. It accepts only
what it can vouch for: ASCII spellings, blanks trimmed. Every other row (a bad value, a
cell it cannot judge, such as one with a non-ASCII blank) goes through
``households.parse_calculation``, the function of the single-household APIs, which gives
the values or the exact messages: a row is bad here if and only if it is bad there.
"""
import dataclasses
from typing import Iterable, Optional, Sequence

import numpy

from .households import InvalidInput, parse_calculation
from .vocabulary import COURSE_TAX_YEAR, MARRIED_WORDS, MAX_CHILDREN, MAX_SALARY, RULE_NAMES

PAD = 16  # bytes a TextColumn keeps before its first cell (read as words ending at its end)
_U64 = numpy.uint64
# TOP[k]: the top (last in memory) k bytes of a little-endian word set.
_TOP = numpy.array([0] + [((1 << (8 * k)) - 1) << (8 * (8 - k)) for k in range(1, 9)], _U64)
_ZEROS = _U64(0x3030303030303030)
_DIGIT_TEST = _U64(0x7676767676767676)
_HIGH_BITS = _U64(0x8080808080808080)
_LOWER = _U64(0x2020202020202020)
_PAIRS = _U64(0x000000FF000000FF)
_MUL1 = _U64(100 + (1000000 << 32))
_MUL2 = _U64(1 + (10000 << 32))
_BLANK = numpy.zeros(256, bool)
_BLANK[[c for c in range(128) if chr(c).isspace()]] = True  # what str.strip() removes in ASCII
_TRIM_STEPS = 8  # blanks trimmed vectorised at each end; more go to the per-row path
RULES_CODE = {name: code for code, name in enumerate(RULE_NAMES)}


def _right_aligned(text: bytes) -> int:
    """The word whose last bytes are ``text`` (a cell read as the 8 bytes ending at its end)."""
    return int.from_bytes(text.rjust(8, b"\0"), "little")


# Words of the vectorised checks: letters compared with bit 0x20 set (any case), digits as is.
_MARRIED_LETTERS = [(len(w), _right_aligned(w.encode()), v)
                    for w, v in MARRIED_WORDS.items() if w.isalpha()]
_MARRIED_DIGITS = [(len(w), _right_aligned(w.encode()), v)
                   for w, v in MARRIED_WORDS.items() if not w.isalpha()]
_RULE_LETTERS = [(len(w), _right_aligned(w.encode()), RULES_CODE[w]) for w in RULE_NAMES]


def words(data: numpy.ndarray) -> numpy.ndarray:
    """Every 8-byte little-endian word of ``data``: ``words(data)[i]`` is bytes i..i+7
    (a view, no copy; numpy reads unaligned words)."""
    return numpy.ndarray((max(len(data) - 7, 0),), dtype="<u8", buffer=data, strides=(1,))


@dataclasses.dataclass
class TextColumn:
    """Cells of text as UTF-8 bytes: cell i is ``data[starts[i]:ends[i]]``.

    ``data`` must hold at least PAD bytes before the first cell (``from_strings`` and the
    batch reader lay it out so). ``originals``, when given, are the values as received
    (``None``: missing; any non-text value): those rows are judged by the per-row path.
    """

    data: numpy.ndarray
    starts: numpy.ndarray
    ends: numpy.ndarray
    originals: Optional[Sequence] = None

    @classmethod
    def from_strings(cls, values: Sequence) -> "TextColumn":
        """A column from a list of values (text, or None/numbers for the per-row path)."""
        cells = [v.encode("utf-8", "surrogatepass") if isinstance(v, str) else b"" for v in values]
        lengths = numpy.fromiter((len(c) for c in cells), numpy.int64, len(cells))
        ends = PAD + numpy.cumsum(lengths)
        data = numpy.frombuffer(b"\0" * PAD + b"".join(cells) + b"\0" * 8, numpy.uint8)
        originals = None if all(isinstance(v, str) for v in values) else list(values)
        return cls(data, ends - lengths, ends, originals)

    def __len__(self):
        return len(self.starts)

    def value(self, row: int):
        """The cell as received: text (or the original value)."""
        if self.originals is not None:
            return self.originals[row]
        return bytes(self.data[self.starts[row]:self.ends[row]]).decode("utf-8", "surrogatepass")

    def odd(self) -> numpy.ndarray:
        """Rows whose value is not text: only the per-row path judges them."""
        if self.originals is None:
            return numpy.zeros(len(self), bool)
        return numpy.fromiter((not isinstance(v, str) for v in self.originals), bool, len(self))


@dataclasses.dataclass
class ParsedColumns:
    """Typed columns (zero on bad rows), the bad rows' mask and their errors."""

    married: numpy.ndarray  # bool
    children: numpy.ndarray  # int64
    salary: numpy.ndarray  # int64
    year: numpy.ndarray  # int64
    rules: numpy.ndarray  # int8: index in households.RULE_NAMES
    bad: numpy.ndarray  # bool
    errors: dict  # row -> InvalidInput, for every bad row
    slow: int = 0  # rows that went through the per-row path (bad or not)

    def messages(self, row: int) -> str:
        return "; ".join(self.errors[row].messages)


def _cells(col: TextColumn, starts, ends, long: int):
    """(lo, hi, mask): the last 8 bytes of each cell and the 8 before them, bytes outside
    the cell zeroed (``mask``: lo's bytes that are the cell's); hi is None when no cell is
    longer than 8 bytes or ``long`` is 8."""
    length = ends - starts
    w = words(col.data)
    mask = _TOP[numpy.clip(length, 0, 8)]
    lo = w[ends - 8] & mask
    hi = None
    if long > 8 and len(length) and length.max() > 8:
        hi = w[ends - 16] & _TOP[numpy.clip(length - 8, 0, 8)]
    return lo, hi, mask


def _digits(x):
    """8 digit values (first most significant) in a word -> the number (simdjson's SWAR)."""
    x = x * _U64(10) + (x >> _U64(8))
    return ((((x & _PAIRS) * _MUL1) + (((x >> _U64(16)) & _PAIRS) * _MUL2)) >> _U64(32))


def _integers(col, starts, ends):
    """(ok, value): cells that are 1 to 12 ASCII digits, and their values."""
    length = ends - starts
    lo, hi, mask = _cells(col, starts, ends, 16)
    x = lo ^ (_ZEROS & mask)
    ok = (((x + _DIGIT_TEST) | x) & _HIGH_BITS) == 0
    value = _digits(x)
    if hi is not None:
        y = (hi ^ _ZEROS) & _TOP[numpy.clip(length - 8, 0, 8)]
        ok &= (((y + _DIGIT_TEST) | y) & _HIGH_BITS) == 0
        value = value + _digits(y) * _U64(100_000_000)
    ok &= (length >= 1) & (length <= 12)
    return ok, value.astype(numpy.int64)


def _lowered_word(col, starts, ends):
    """The cell's (up to 8) bytes with bit 0x20 set on each: ASCII letters in lower case."""
    length = ends - starts
    lo, _, mask = _cells(col, starts, ends, 8)
    return lo, lo | (_LOWER & mask), length


def _match(col, starts, ends, letters, digits=()):
    """(ok, code): cells that are one of the words, any case; the word's code."""
    raw, lowered, length = _lowered_word(col, starts, ends)
    # Lowered, a cell of another length than the word differs from it in some byte (bit
    # 0x20 is set on each of its bytes, the word's bytes before it are zero); as it is, a
    # cell holding NULs may not: the digit words check the length.
    ok = numpy.zeros(len(starts), bool)
    code = numpy.zeros(len(starts), numpy.int64)
    for size, key, value in letters:
        hit = lowered == _U64(key)
        ok |= hit
        if value:
            code |= hit * int(value)
    for size, key, value in digits:
        hit = (raw == _U64(key)) & (length == size)
        ok |= hit
        if value:
            code |= hit * int(value)
    return ok, code


def _trim(col, rows):
    """Starts and ends of the cells of ``rows`` with ASCII blanks removed at both ends
    (up to _TRIM_STEPS each), and whether blanks are left (those rows go per row)."""
    data, last = col.data, len(col.data) - 1
    starts, ends = col.starts[rows].copy(), col.ends[rows].copy()
    for _ in range(_TRIM_STEPS):
        lead = (starts < ends) & _BLANK[data[numpy.minimum(starts, last)]]
        trail = (starts < ends) & _BLANK[data[numpy.maximum(ends - 1, 0)]]
        if not (lead.any() or trail.any()):
            return starts, ends, numpy.zeros(len(rows), bool)
        starts += lead
        ends -= trail & (starts < ends)
    left = (starts < ends) & (_BLANK[data[numpy.minimum(starts, last)]]
                              | _BLANK[data[numpy.maximum(ends - 1, 0)]])
    return starts, ends, left


def _two_tiers(col, check):
    """``check`` on the cells as they are, then on the failed ones with blanks trimmed:
    (ok, value) for every row."""
    ok, value = check(col, col.starts, col.ends)
    again = numpy.flatnonzero(~ok)
    if len(again):
        starts, ends, left = _trim(col, again)
        ok2, value2 = check(col, starts, ends)
        ok2 &= ~left
        ok[again] = ok2
        value[again] = numpy.where(ok2, value2, value[again])
    return ok, value


def _integer_in(low, high):
    def check(col, starts, ends):
        ok, value = _integers(col, starts, ends)
        return ok & (value >= low) & (value <= high), value
    return check


def _married(col, starts, ends):
    return _match(col, starts, ends, _MARRIED_LETTERS, _MARRIED_DIGITS)


def _rules(col, starts, ends):
    return _match(col, starts, ends, _RULE_LETTERS)


def parse_columns(married: TextColumn, children: TextColumn, salary: TextColumn,
                  year: Optional[TextColumn] = None, rules: Optional[TextColumn] = None, *,
                  known_years: Iterable[int], default_year: int,
                  default_rules: str = "law") -> ParsedColumns:
    """Validate a batch of households given as columns (year and rules optional: absent,
    every row takes the defaults; an empty cell takes them too, as in parse_calculation).

    The result's arrays hold every good row's values; ``bad`` marks the rows that
    ``parse_calculation`` rejects, and ``errors`` has its InvalidInput for each of them.
    """
    known = sorted(known_years)
    n = len(married)
    fast = ~married.odd() & ~children.odd() & ~salary.odd()

    ok, married_value = _two_tiers(married, _married)
    fast &= ok
    ok, children_value = _two_tiers(children, _integer_in(0, MAX_CHILDREN))
    fast &= ok
    ok, salary_value = _two_tiers(salary, _integer_in(0, MAX_SALARY))
    fast &= ok

    year_value = numpy.full(n, default_year, numpy.int64)
    if year is not None:
        fast &= ~year.odd()
        given = year.ends > year.starts
        if given.any():
            known_table = numpy.zeros(10_000, bool)
            known_table[[y for y in known if 0 <= y < 10_000]] = True

            def check(col, starts, ends):
                blank = starts >= ends
                ok, value = _integers(col, starts, ends)
                ok &= known_table[numpy.clip(value, 0, 9999)] & (value <= 9999)
                return ok | blank, numpy.where(blank, default_year, value)

            ok, value = _two_tiers(year, check)
            fast &= ok
            year_value = numpy.where(given, value, default_year)

    rules_value = numpy.full(n, RULES_CODE[default_rules], numpy.int8)
    if rules is not None:
        fast &= ~rules.odd()
        given = rules.ends > rules.starts  # only an empty cell takes the default
        if given.any():
            ok, value = _two_tiers(rules, _rules)
            fast &= ok | ~given
            rules_value = numpy.where(given, value, rules_value).astype(numpy.int8)
    course = rules_value == RULES_CODE["course"]
    if course.any():
        fast &= ~course | (year_value == COURSE_TAX_YEAR)

    bad = numpy.zeros(n, bool)
    errors = {}
    slow_rows = numpy.flatnonzero(~fast)
    present = {"married": married, "children": children, "salary": salary,
               "year": year, "rules": rules}
    present = {field: col for field, col in present.items() if col is not None}
    for row in slow_rows.tolist():
        raw = {field: col.value(row) for field, col in present.items()}
        try:
            calculation = parse_calculation(raw, known, default_year, default_rules)
        except InvalidInput as exc:
            bad[row] = True
            errors[row] = exc.with_traceback(None)  # no cycle through this frame's arrays
            continue
        household = calculation.household
        married_value[row] = household.married
        children_value[row] = household.children
        salary_value[row] = household.salary
        year_value[row] = calculation.year
        rules_value[row] = RULES_CODE[calculation.rules]
    if errors:
        for array in (married_value, children_value, salary_value, year_value, rules_value):
            array[bad] = 0
    return ParsedColumns(married_value.astype(bool), children_value, salary_value,
                         year_value, rules_value, bad, errors, len(slow_rows))
