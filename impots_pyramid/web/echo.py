"""Shortened echoes of a client's input, for error messages, problem documents and the
html session: a value is quoted at most ``ECHO_CHARS`` characters long, so that an answer
(or a cookie) never grows with what a client sends."""
import dataclasses

ECHO_CHARS = 40
ELLIPSIS = "…"


def shorten(value, limit: int = ECHO_CHARS):
    """``value`` itself if short (None, booleans and numbers keep their type); longer, its
    text cut to ``limit`` characters followed by "…" and the whole length, e.g.
    "aaaa… (5000 characters)"."""
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        if value.bit_length() <= 3 * limit:  # at most ~limit digits: str() is cheap and safe
            return value
        try:
            text = str(value)
        except ValueError:  # more digits than Python converts (4,300)
            return f"a number of more than {limit} digits"
    else:
        text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}{ELLIPSIS} ({len(text)} characters)"


def shortened(error):
    """A field error (``tax.FieldError``) whose value is shortened: its ``message`` and
    ``as_dict()`` then quote at most ``ECHO_CHARS`` characters of what was sent."""
    value = shorten(error.value)
    return error if value is error.value else dataclasses.replace(error, value=value)


def shortened_messages(invalid) -> list:
    """The messages of an ``InvalidInput``, each value shortened."""
    return [shortened(error).message for error in invalid.errors]
