"""Renderers: JSON as the spec wants it (UTF-8 text, not \\u escapes; charset in the
content type). The XML renderer is in ``xml``."""
from pyramid.renderers import JSON


class UTF8JSON(JSON):
    def __init__(self):
        super().__init__(ensure_ascii=False)

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
