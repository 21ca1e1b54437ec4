"""Renderers: JSON as the spec wants it (UTF-8 text, not \\u escapes; charset in the
content type). The XML renderer is in ``xml``."""
import csv
import io
import json
import re
import secrets

from pyramid.renderers import JSON
from pyramid.response import Response

# A JSON string may hold a lone surrogate (a client's "\ud800" escape, echoed back in an
# error): UTF-8 cannot carry it, so it stays escaped, and the text still reads back the same.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(match) -> str:
    return f"\\u{ord(match.group()):04x}"


def utf8_json(value, **options) -> str:
    """``json.dumps`` without \\u escapes, except for lone surrogates. A value with a
    ``__json_text__`` method (``services.tables.SimulationTable``) is written as the text
    it gives (already JSON, ASCII), spliced in rather than rebuilt item by item."""
    fragments = []
    default = options.pop("default", None)
    mark = None

    def spliced(obj):
        nonlocal mark
        if hasattr(obj, "__json_text__"):
            mark = mark or secrets.token_hex(8)  # no client's text can hold it
            fragments.append(obj.__json_text__())
            return f"\0{mark}{len(fragments) - 1}\0"
        if default is None:
            raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
        return default(obj)

    text = json.dumps(value, ensure_ascii=False, default=spliced, **options)
    if fragments:
        text = re.sub(r'"\\u0000%s([0-9]+)\\u0000"' % mark,
                      lambda match: fragments[int(match.group(1))], text)
    return text if text.isascii() else _SURROGATE.sub(_escaped, text)  # isascii: O(1)


class UTF8JSON(JSON):
    def __init__(self):
        super().__init__(serializer=utf8_json)

    def __call__(self, info):
        render = super().__call__(info)

        def _render(value, system):
            text = render(value, system)
            request = system.get("request")
            if request is not None:
                request.response.charset = "utf-8"
            return text

        return _render


def csv_bytes(rows) -> bytes:
    """Rows as ``csv.writer`` writes them (lines ended by CRLF), in UTF-8."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8")


def csv_response(body: bytes, filename: str, attachment: bool = False) -> Response:
    """A CSV answer: shown (``inline``) or to save (``attachment``) under ``filename``."""
    disposition = "attachment" if attachment else "inline"
    return Response(body=body, content_type="text/csv", charset="utf-8",
                    content_disposition=f'{disposition}; filename="{filename}"')


def includeme(config):
    config.add_renderer("json", UTF8JSON())
