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
"""
import csv
import io
import json
import math
import re

from . import xml

READ_CHUNK = 64 * 1024
JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv",)
XML_TYPES = ("application/xml", "text/xml")
ACCEPTED_TYPES = JSON_TYPES + CSV_TYPES + XML_TYPES
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
    limit = request.registry.settings["impots.max_body_bytes"]
    body = read_body(request, limit)
    kind = body_kind(request.content_type)
    text = decode(body)
    households = {"json": from_json, "csv": from_csv, "xml": from_xml}[kind](text, body)
    if not households:
        raise BodyError(400, "the batch is empty: at least one household expected")
    if len(households) > max_items:
        raise BodyError(413, f"too many households: {len(households)}, at most {max_items}")
    return households


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


def from_json(text: str, body: bytes) -> list:
    try:
        value = json.loads(text, parse_float=_finite_or_text, parse_constant=_finite_or_text)
    except json.JSONDecodeError as exc:
        raise BodyError(400, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                        {"line": exc.lineno, "column": exc.colno}) from None
    except RecursionError:
        raise BodyError(400, "malformed JSON: nested too deeply") from None
    if not isinstance(value, list):
        raise BodyError(400, "a JSON list of households expected, "
                             f"not {type(value).__name__.replace('dict', 'an object')}")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise BodyError(400, f"item {index}: an object with married, children and salary "
                                 f"expected, not {json.dumps(item)[:40]}", {"item": index})
    return value


def from_csv(text: str, body: bytes) -> list:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [name.strip().lower() for name in header]
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, e.g. at the end of the file
            if len(cells) != len(columns):
                raise BodyError(
                    400, f"malformed CSV at line {reader.line_num}: {len(cells)} cells "
                         f"where the header has {len(columns)}", {"line": reader.line_num})
            rows.append(dict(zip(columns, (cell.strip() for cell in cells))))
    except csv.Error as exc:
        raise BodyError(400, f"malformed CSV at line {reader.line_num}: {exc}",
                        {"line": reader.line_num}) from None
    return rows


def from_xml(text: str, body: bytes) -> list:
    try:
        root = xml.parse(body)
    except xml.XMLInputError as exc:
        raise BodyError(400, str(exc), _xml_position(str(exc))) from None
    households = []
    for index, element in enumerate(root):
        if len(element) == 0 and (element.text or "").strip():
            raise BodyError(400, f"item {index}: <{element.tag}> must contain one element "
                                 "per field (<married>, <children>, <salary>)", {"item": index})
        households.append({field.tag: (field.text or "").strip() for field in element})
    return households


def _xml_position(message: str):
    """The line and column that ``xml.parse`` puts in its message (none for hostile XML)."""
    found = _XML_POSITION.search(message)
    return {"line": int(found["line"]), "column": int(found["column"])} if found else None
