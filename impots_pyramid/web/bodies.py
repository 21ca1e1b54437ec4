"""Batch request bodies (JSON, CSV, XML) into raw households, with limits and positions.

Shared by the resource API (POST /api/tax-years/{year}/tax) and the action API
(calculate-taxes)::

    from impots_pyramid.web.bodies import BodyError, read_households

    try:
        raw_households = read_households(request, max_items=settings["impots.batch_max"])
    except BodyError as exc:
        exc.status_code   # 400 malformed or empty, 413 too large or too many, 415 bad type
        exc.message       # what is wrong, for a person: "malformed JSON at line 1, column 9: ..."
        exc.position      # where: {"line": 1, "column": 9}, {"item": 3}, or None

``read_households`` returns a list of dicts, one per household, of the fields exactly as
received (JSON values keep their types, CSV and XML values are text); validating them is
``impots_pyramid.tax.parse_household``'s job. It checks, in this order:

1. the size, before parsing: ``Content-Length`` over ``impots.max_body_bytes`` is refused
   without reading, and a body that grows past it while being read (chunked, or a lying
   header) too: 413;
2. the ``Content-Type``: ``application/json`` (or any ``+json``), ``text/csv``,
   ``application/xml`` / ``text/xml`` (or any ``+xml``); anything else: 415;
3. the syntax: malformed JSON, CSV or XML: 400 with the parser's line and column; XML is
   parsed with defusedxml (no DTD, no entities);
4. the shape: a JSON list of objects; a CSV header line then one line per household; XML
   ``<taxpayers><taxpayer><married>yes</married>...</taxpayer>...</taxpayers>``; an empty
   batch is a 400, more than ``max_items`` households a 413.

Bodies are parsed incrementally (JSON item by item, CSV record by record, XML with
iterparse) and refused (413) as soon as they pass ``max_items`` households or one of the
bounds below (MAX_ITEM_CHARS...), so a refused body costs little more memory than its
bytes: nothing bigger than a batch of ``max_items`` small households is ever built.
"""
import csv
import json
import math
import re

from ..tax.columns import TextColumn
from ..tax.vocabulary import FIELD_ALIASES, MAX_DIGITS
from . import xml
from .echo import shorten
from .json_tokens import token_columns

READ_CHUNK = 64 * 1024
JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv",)
XML_TYPES = ("application/xml", "text/xml")
ACCEPTED_TYPES = JSON_TYPES + CSV_TYPES + XML_TYPES
# Bounds on what a batch may hold, checked while it is parsed (413): nothing bigger is
# ever built. A household's JSON object, or CSV record, is at most MAX_ITEM_CHARS
# characters (a real one: about 50); a field's name or text value MAX_FIELD_CHARS; a
# JSON integer MAX_DIGITS digits (the engine's own bound on a number's text); an XML
# item MAX_ITEM_ELEMENTS elements; a CSV body MAX_BLANK_LINES blank lines.
MAX_ITEM_CHARS = 4096
MAX_FIELD_CHARS = 100
MAX_ITEM_ELEMENTS = 64
MAX_BLANK_LINES = 1000
_XML_POSITION = re.compile(r"line (?P<line>[0-9]+), column (?P<column>[0-9]+)")


class BodyError(Exception):
    """The body cannot be read as households; ``status_code`` says which HTTP error."""

    def __init__(self, status_code: int, message: str, position: dict = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.position = position


def read_households(request, max_items: int) -> list:
    """The request body's households, as raw dicts: see the module's docstring."""
    return read_batch(request, max_items, columns=False).households()


class Batch:
    """A body read and checked for size, type and encoding (``read_batch``): its households
    as raw dicts (``households()``: the parsers above, every bound and message), and, for
    the plainest JSON bodies, as columns of raw cells (``columns``, else None)."""

    def __init__(self, kind: str, text, body: bytes, max_items: int):
        self.kind, self.text, self.body, self.max_items = kind, text, body, max_items
        self.columns = None

    def households(self) -> list:
        parse = {"json": from_json, "csv": from_csv, "xml": from_xml}[self.kind]
        households = parse(None if self.kind == "xml" else self.text, self.body, self.max_items)
        if not households:
            raise BodyError(400, "the batch is empty: at least one household expected")
        return households


def read_batch(request, max_items: int, columns: bool = True) -> Batch:
    """The body, checked (size 413, type 415, UTF-8 400) but not parsed yet; with
    ``columns``, a JSON body that ``json_columns`` vouches for has its ``columns``."""
    limit = request.registry.settings["impots.max_body_bytes"]
    body = read_body(request, limit)
    kind = body_kind(request.content_type)
    text = decode(body)
    batch = Batch(kind, None if kind == "xml" else text, body, max_items)
    if columns and kind == "json":
        batch.columns = json_columns(text, max_items)
    elif columns and kind == "csv":
        batch.columns = csv_columns(text, max_items)
    return batch


def too_many(max_items: int) -> BodyError:
    return BodyError(413, f"too many households: more than the {max_items} accepted")


def check_fields(index: int, household: dict, position: dict) -> dict:
    """``household`` unless a field's name or text value is longer than MAX_FIELD_CHARS:
    then a 413 naming the field."""
    where = f"item {index}" + (f" (line {position['line']})" if "line" in position else "")
    for name, value in household.items():
        if len(name) > MAX_FIELD_CHARS:
            raise BodyError(413, f"{where}: a field name of {len(name)} characters "
                                 f"({shorten(name)}), at most {MAX_FIELD_CHARS}", position)
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise BodyError(413, f"{where}: field {name}: {len(value)} characters "
                                 f"({shorten(value)}), at most {MAX_FIELD_CHARS}", position)
    return household


def read_body(request, limit: int) -> bytes:
    """The body's bytes, refused (413) as soon as it is known to exceed ``limit``."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyError(413, f"the body has {declared} bytes, more than the {limit} accepted")
    stream = request.body_file
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BodyError(413, f"the body has more than the {limit} bytes accepted")
    return b"".join(chunks)


def body_kind(content_type: str) -> str:
    media_type = (content_type or "").lower()
    if media_type in JSON_TYPES or media_type.endswith("+json"):
        return "json"
    if media_type in CSV_TYPES:
        return "csv"
    if media_type in XML_TYPES or media_type.endswith("+xml"):
        return "xml"
    shown = media_type or "none"
    raise BodyError(415, f"unsupported body type {shown}: send one of {', '.join(ACCEPTED_TYPES)}")


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"the body is not UTF-8 text (byte {exc.start + 1})",
                        {"byte": exc.start + 1}) from None


def _finite_or_text(text: str):
    """A JSON number a float can hold, else its text (1e400, NaN, Infinity): validation
    then names it, and no answer echoes an Infinity that strict JSON cannot carry."""
    number = float(text)
    return number if math.isfinite(number) else text


class _LongNumber(Exception):
    """A JSON integer of more than MAX_DIGITS digits: never given to int() (which refuses
    more than 4,300 digits, and is slow long before)."""


def _integer(text: str) -> int:
    if len(text) > MAX_DIGITS + 1 or len(text.lstrip("-")) > MAX_DIGITS:
        raise _LongNumber()
    return int(text)


_DECODER = json.JSONDecoder(parse_float=_finite_or_text, parse_constant=_finite_or_text,
                            parse_int=_integer)
_NUMBER = re.compile(r"-?[0-9]+")
_KEY_BEFORE = re.compile(r'"((?:[^"\\]|\\.){0,%d})"\s*:\s*\Z' % MAX_FIELD_CHARS)


def _long_number(text: str, pos: int, index: int) -> BodyError:
    """The 413 of the item at ``pos`` whose decoding met a long integer: the first integer
    of more than MAX_DIGITS digits, named by its field."""
    found = re.compile(r"-?[0-9]{%d,}" % (MAX_DIGITS + 1)).search(text, pos, pos + MAX_ITEM_CHARS + 1)
    number = _NUMBER.match(text, found.start()).group() if found else ""
    key = _KEY_BEFORE.search(text[max(pos, found.start() - MAX_FIELD_CHARS - 10):found.start()]) if found else None
    field = f"field {key.group(1)}: " if key else ""
    return BodyError(413, f"item {index}: {field}a number of {len(number.lstrip('-'))} digits "
                          f"({shorten(number)}), at most {MAX_DIGITS}", {"item": index})


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_FIRST_CHARS = {"{": "an object", '"': "str", "t": "bool", "f": "bool", "n": "NoneType"}


def _json_error(text: str, pos: int, message: str) -> BodyError:
    """The 400 of a syntax error at ``pos``, with json's line and column."""
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return BodyError(400, f"malformed JSON at line {line}, column {column}: {message}",
                     {"line": line, "column": column})


def _json_value(text: str, pos: int, index: int):
    """The JSON value at ``pos`` (an item of the list) and where it ends, decoded from a
    slice of at most MAX_ITEM_CHARS: a longer item is refused (413) before it is built."""
    # An object without nested ones ends at its first "}": the exact slice, usually.
    close = text.find("}", pos, pos + MAX_ITEM_CHARS) if text.startswith("{", pos) else -1
    candidates = ([text[pos:close + 1]] if close >= 0 else []) + [text[pos:pos + MAX_ITEM_CHARS + 1]]
    for attempt, piece in enumerate(candidates):
        try:
            value, end = _DECODER.raw_decode(piece)
        except _LongNumber:
            raise _long_number(text, pos, index) from None
        except json.JSONDecodeError as exc:
            if attempt + 1 < len(candidates):
                continue  # a "}" inside a string or a nested object: the longer slice
            if len(piece) > MAX_ITEM_CHARS and (exc.pos >= len(piece) - 5
                                                or exc.msg.startswith("Unterminated string")):
                # the item did not end within the slice (not a syntax error before its end)
                raise BodyError(413, f"item {index}: more than {MAX_ITEM_CHARS} characters",
                                {"item": index}) from None
            raise _json_error(text, pos + exc.pos, exc.msg) from None
        except RecursionError:
            raise BodyError(400, "malformed JSON: nested too deeply") from None
        if end > MAX_ITEM_CHARS:
            raise BodyError(413, f"item {index}: more than {MAX_ITEM_CHARS} characters",
                            {"item": index})
        return value, pos + end
    raise AssertionError("unreachable")


def from_json(text: str, body: bytes, max_items: int) -> list:
    """A JSON list of objects, decoded item by item: refused as soon as it holds more than
    ``max_items`` items, an item longer than MAX_ITEM_CHARS or a field too long."""
    pos = _WHITESPACE.match(text).end()
    if not text.startswith("[", pos):
        kind = _FIRST_CHARS.get(text[pos:pos + 1])
        if kind is None:  # a number, or not JSON: decode it (a bounded slice) to say which
            value, _ = _json_value(text, pos, 0)
            kind = type(value).__name__
        raise BodyError(400, f"a JSON list of households expected, not {kind}")
    households = []
    pos = _WHITESPACE.match(text, pos + 1).end()
    if text.startswith("]", pos):
        pos += 1
    else:
        while True:
            index = len(households)
            if index == max_items:
                raise too_many(max_items)
            item, pos = _json_value(text, pos, index)
            if not isinstance(item, dict):
                raise BodyError(400, f"item {index}: an object with married, children and "
                                     f"salary expected, not {shorten(json.dumps(item))}",
                                {"item": index})
            households.append(check_fields(index, item, {"item": index}))
            pos = _WHITESPACE.match(text, pos).end()
            if text.startswith(",", pos):
                pos = _WHITESPACE.match(text, pos + 1).end()
            elif text.startswith("]", pos):
                pos += 1
                break
            else:
                raise _json_error(text, pos, "Expecting ',' delimiter")
    pos = _WHITESPACE.match(text, pos).end()
    if pos != len(text):
        raise _json_error(text, pos, "Extra data")
    return households


# The plainest JSON batches, recognised by regular expressions (in C) rather than decoded
# item by item: a list of flat objects whose members are plain strings (no escape, no
# control character, at most MAX_FIELD_CHARS), integers of at most MAX_DIGITS digits,
# true, false or null, at most _PLAIN_MEMBERS of them, with a little blank between tokens
# (so an item is far shorter than MAX_ITEM_CHARS), every item with the same keys in the
# same order. Such a body is valid JSON, within every bound above, and ``from_json`` would
# give the same values; anything else goes through ``from_json``.
_PLAIN_MEMBERS = 5
_WS = r"[ \t\n\r]{0,16}"
_KEY = r'"([^"\\\x00-\x1f]{1,%d})"' % MAX_FIELD_CHARS
_PLAIN_VALUE = (r'(?:"[^"\\\x00-\x1f]{0,%d}"|-?(?:0|[1-9][0-9]{0,%d})(?![0-9.eE])'
                r'|true|false|null)' % (MAX_FIELD_CHARS, MAX_DIGITS - 1))
_FIRST_ITEM = re.compile(r"\[[ \t\n\r]*\{%s%s%s:%s%s(?:%s,%s%s%s:%s%s){0,%d}%s\}" % (
    _WS, _KEY, _WS, _WS, _PLAIN_VALUE, _WS, _WS, _KEY, _WS, _WS, _PLAIN_VALUE,
    _PLAIN_MEMBERS - 1, _WS))
_KEYS_OF = re.compile(_KEY + _WS + ":")
_PLAIN_BODIES = {}  # keys -> the whole body's pattern


def _plain_pattern(keys: tuple):
    # The items' repetition is possessive (``*+``): a plain item matches one way only, so
    # there is nothing to backtrack to, and the greedy ``*`` kept some 600 bytes of state
    # per item it went over (600 MB for an 8 MB body of a million tiny items).
    pattern = _PLAIN_BODIES.get(keys)
    if pattern is None:
        members = (_WS + "," + _WS).join(
            '"%s"%s:%s%s' % (re.escape(key), _WS, _WS, _PLAIN_VALUE) for key in keys)
        item = r"\{%s%s%s\}" % (_WS, members, _WS)
        pattern = _PLAIN_BODIES[keys] = re.compile(
            r"[ \t\n\r]*\[[ \t\n\r]*%s(?:[ \t\n\r]*,[ \t\n\r]*%s)*+[ \t\n\r]*\][ \t\n\r]*"
            % (item, item))
        if len(_PLAIN_BODIES) > 64:  # only a few key orders are ever seen
            _PLAIN_BODIES.clear()
    return pattern


def json_columns(text: str, max_items: int):
    """The plainest JSON batch (see _PLAIN_MEMBERS) as {key: TextColumn}, a cell per item
    in their order (``json_tokens``: a string's text, a number as written); None for any
    other body, to be read by ``from_json``."""
    start = _WHITESPACE.match(text).end()
    first = _FIRST_ITEM.match(text, start)
    if first is None:
        return None
    keys = tuple(_KEYS_OF.findall(first.group()))
    if len(set(keys)) != len(keys):
        return None  # a key twice: JSON keeps the last, leave it to from_json
    # No work per item before the items are known to be few enough (an 8 MB body holds a
    # million tiny ones): every item opens a brace; one inside a string only sends the
    # body to from_json.
    if text.count("{") > max_items:
        return None  # from_json refuses it at its first item too many
    if _plain_pattern(keys).fullmatch(text) is None:
        return None
    # A married value that is a number or null: refused by parse_married, but its text
    # could be taken; from_json reads the batch (a bad one) instead.
    columns = token_columns(text, keys, text_only=frozenset(FIELD_ALIASES["married"]))
    if columns is None or len(columns[keys[0]]) > max_items:
        return None  # from_json says what is wrong
    return columns


def csv_columns(text: str, max_items: int):
    """The plainest CSV batch as {header name: [cell, ...]}, each name and cell as
    ``from_csv`` reads it (stripped, the name in lower case); None for any other body, to
    be read by ``from_csv``. Plain: no quote character, no NUL, no carriage return but in
    CRLF line ends (so a record is a line, split at its commas), every line as many cells as
    the header, no line near MAX_ITEM_CHARS nor a cell longer than MAX_FIELD_CHARS, distinct
    header names, at least one and at most ``max_items`` households; blank lines only at
    the end (at most MAX_BLANK_LINES). Such a body is read without error by ``from_csv``,
    with the same cells."""
    if '"' in text or "\0" in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    end = len(text.rstrip("\n"))
    if len(text) - end > MAX_BLANK_LINES + 1 or end == 0:
        return None
    text = text[:end]
    header_end = text.find("\n")
    if header_end < 0:
        return None  # no household: from_csv says so
    names = [name.strip().lower() for name in text[:header_end].split(",")]
    width = len(names)
    if len(set(names)) != width or max(map(len, names)) > MAX_FIELD_CHARS:
        return None
    body = text[header_end + 1:]
    lines = body.count("\n") + 1
    if lines > max_items or body.count(",") != lines * (width - 1):
        return None
    if header_end >= MAX_ITEM_CHARS - 2:
        return None
    cells = body.replace("\n", ",").split(",") if width > 1 else body.split("\n")
    if len(cells) != lines * width:
        return None
    if _LINE_OF.get(width) is None:
        _LINE_OF[width] = re.compile(r"[^,\n]*" + r",[^,\n]*" * (width - 1)
                                     + r"(?:\n[^,\n]*" + r",[^,\n]*" * (width - 1) + ")*")
    if _LINE_OF[width].fullmatch(body) is None:
        return None  # a line with too many cells, another with too few
    # Cells of at most MAX_FIELD_CHARS make lines of at most width * (MAX_FIELD_CHARS + 1).
    long_lines = width * (MAX_FIELD_CHARS + 1) >= MAX_ITEM_CHARS - 2
    if max(map(len, cells)) > MAX_FIELD_CHARS:
        if max(len(cell.strip()) for cell in cells) > MAX_FIELD_CHARS:
            return None
        long_lines = True
    if long_lines and max(map(len, body.split("\n"))) >= MAX_ITEM_CHARS - 2:
        return None
    # Stripped as from_csv strips them, unless no cell can hold a blank (the usual body:
    # a few ``in`` tests instead of a new string per cell).
    if not body.isascii() or any(blank in body for blank in _ASCII_BLANKS):
        cells = [cell.strip() for cell in cells]
    return {name: cells[index::width] for index, name in enumerate(names)}


_LINE_OF = {}  # cells per line -> the body's pattern
_ASCII_BLANKS = [chr(c) for c in range(128) if chr(c).isspace() and chr(c) not in "\r\n"]


def text_columns(batch: Batch, fields=("married", "children", "salary", "year", "rules")):
    """The batch's ``columns`` as {field: TextColumn} for ``tax.parse_columns``, each
    cell read as ``parse_calculation`` reads its value; None when the batch has no
    columns, or a field's name twice (under two of its aliases)."""
    if batch.columns is None:
        return None
    result = {}
    for field in fields:
        present = [name for name in FIELD_ALIASES[field] if name in batch.columns]
        if len(present) > 1:
            return None
        if present:
            cells = batch.columns[present[0]]
            result[field] = TextColumn.from_strings(cells) if batch.kind == "csv" else cells
    return result


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)?")


class _Lines:
    """The text's lines (ends kept, as a file opened with newline="" gives them) for
    csv.reader, without splitting the whole text at once; a record (the lines since
    ``new_record``) longer than MAX_ITEM_CHARS is refused (413) as it is read."""

    def __init__(self, text: str):
        self.matches = _LINE.finditer(text)
        self.record_chars = 0
        self.line = 0

    def new_record(self):
        self.record_chars = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.matches).group()
        if not line:
            raise StopIteration
        self.line += 1
        self.record_chars += len(line)
        if self.record_chars > MAX_ITEM_CHARS:
            raise BodyError(413, f"line {self.line}: a line (or a household) of more than "
                                 f"{MAX_ITEM_CHARS} characters", {"line": self.line})
        return line


def from_csv(text: str, body: bytes, max_items: int) -> list:
    """A header line then one line per household, read record by record: refused as soon
    as there are more than ``max_items`` households (blank lines, skipped, count too past
    MAX_BLANK_LINES), a record longer than MAX_ITEM_CHARS or a field too long."""
    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [name.strip().lower() for name in header]
        rows, blank = [], 0
        lines.new_record()
        for cells in reader:
            lines.new_record()
            if not any(cell.strip() for cell in cells):
                blank += 1  # blank lines, e.g. at the end of the file
                if blank > MAX_BLANK_LINES:
                    raise BodyError(413, f"more than {MAX_BLANK_LINES} blank lines",
                                    {"line": reader.line_num})
                continue
            if len(cells) != len(columns):
                raise BodyError(
                    400, f"malformed CSV at line {reader.line_num}: {len(cells)} cells "
                         f"where the header has {len(columns)}", {"line": reader.line_num})
            if len(rows) == max_items:
                raise too_many(max_items)
            rows.append(check_fields(
                len(rows), dict(zip(columns, (cell.strip() for cell in cells))),
                {"line": reader.line_num}))
    except csv.Error as exc:
        raise BodyError(400, f"malformed CSV at line {reader.line_num}: {exc}",
                        {"line": reader.line_num}) from None
    return rows


def from_xml(text, body: bytes, max_items: int) -> list:
    """``<taxpayers><taxpayer><married>…</married>…</taxpayer>…</taxpayers>``, parsed
    incrementally (defusedxml's iterparse), each item dropped from the tree once read:
    refused as soon as there are more than ``max_items`` items, an item of more than
    MAX_ITEM_ELEMENTS elements or a field too long."""
    households, depth, elements, root = [], 0, 0, None
    try:
        for event, element in xml.iterparse(body):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = element
                elif depth == 2:
                    if len(households) == max_items:
                        raise too_many(max_items)
                    elements = 0
                elif elements >= MAX_ITEM_ELEMENTS:
                    index = len(households)
                    raise BodyError(413, f"item {index}: more than {MAX_ITEM_ELEMENTS} "
                                         "elements", {"item": index})
                else:
                    elements += 1
                continue
            depth -= 1
            if depth != 1:
                continue
            index = len(households)
            if len(element) == 0 and (element.text or "").strip():
                raise BodyError(400, f"item {index}: <{element.tag}> must contain one element "
                                     "per field (<married>, <children>, <salary>)", {"item": index})
            households.append(check_fields(
                index, {field.tag: (field.text or "").strip() for field in element},
                {"item": index}))
            root.remove(element)  # what is read is not kept twice
    except xml.XMLInputError as exc:
        raise BodyError(400, str(exc), _xml_position(str(exc))) from None
    return households


def _xml_position(message: str):
    """The line and column that ``xml.parse`` puts in its message (none for hostile XML)."""
    found = _XML_POSITION.search(message)
    return {"line": int(found["line"]), "column": int(found["column"])} if found else None
