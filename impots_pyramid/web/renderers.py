"""Renderers: JSON as the spec wants it (UTF-8 text, not \\u escapes; charset in the
content type). The XML renderer is in ``xml``."""
import json
import re

from pyramid.renderers import JSON

# A JSON string may hold a lone surrogate (a client's "\ud800" escape, echoed back in an
# error): UTF-8 cannot carry it, so it stays escaped, and the text still reads back the same.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(match) -> str:
    return f"\\u{ord(match.group()):04x}"


def utf8_json(value, **options) -> str:
    """``json.dumps`` without \\u escapes, except for lone surrogates."""
    text = json.dumps(value, ensure_ascii=False, **options)
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


def includeme(config):
    config.add_renderer("json", UTF8JSON())
