"""The values of a plain JSON batch, located with numpy: one TextColumn per key.

``bodies.json_columns`` has checked the body against its regular expression first: a
list of flat objects, every one with the same keys in the same order, whose values are
strings without escapes, integers, true, false or null, with at most 16 blanks between
tokens. In such a body every quote character opens or closes a string, so a colon, a comma
or a closing brace outside the strings is the JSON's own: each value lies between the
colon after its key and the next comma or brace. Its cell is what ``parse_calculation``
reads of it: a string's text, any other token as written (a number as its digits).
"""
import numpy

from ..tax.columns import PAD, TextColumn

_QUOTE, _COLON, _COMMA, _CLOSE = 34, 58, 44, 125
_BLANK = numpy.zeros(256, bool)
_BLANK[[32, 9, 10, 13]] = True
MAX_BLANKS = 16  # between two tokens, as the regular expression allows


def token_columns(text: str, keys: tuple, text_only: frozenset = frozenset()) -> dict | None:
    """{key: TextColumn} of the plain body ``text`` whose items have ``keys``; None when a
    key of ``text_only`` has a value that is neither a string nor true or false (the caller
    reads such a body another way)."""
    body = text.encode("utf-8")
    data = numpy.frombuffer(b"\0" * PAD + body + b"\0" * 8, numpy.uint8)
    quotes = numpy.flatnonzero(data == _QUOTE)
    colons = numpy.flatnonzero(data == _COLON)
    colons = colons[numpy.searchsorted(quotes, colons) % 2 == 0]  # outside the strings
    ends = numpy.flatnonzero((data == _COMMA) | (data == _CLOSE))
    ends = ends[numpy.searchsorted(quotes, ends) % 2 == 0]
    ends = ends[numpy.searchsorted(ends, colons)]  # the first after each colon
    starts = colons + 1
    for _ in range(MAX_BLANKS):
        blank = _BLANK[data[starts]]
        if not blank.any():
            break
        starts += blank
    for _ in range(MAX_BLANKS):
        blank = _BLANK[data[ends - 1]]
        if not blank.any():
            break
        ends -= blank
    strings = data[starts] == _QUOTE
    starts += strings
    ends -= strings
    width = len(keys)
    columns = {}
    for index, key in enumerate(keys):
        first, last = starts[index::width], ends[index::width]
        if key in text_only:
            words = ~strings[index::width]
            if words.any() and not _true_or_false(data, first[words], last[words]).all():
                return None
        columns[key] = TextColumn(data, first, last)
    return columns


def _true_or_false(data, starts, ends):
    length = ends - starts
    head = data[starts]
    return ((length == 4) & (head == ord("t"))) | ((length == 5) & (head == ord("f")))
