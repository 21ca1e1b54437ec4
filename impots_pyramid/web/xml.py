"""Plain data (dicts, lists, scalars) to XML, by the spec's rules: a mapping becomes child
elements, a list repeated <item> elements (so a one-element list is still a list),
scalars text; None an empty element. Building XML is safe with the standard library;
parsing untrusted XML is not, and is done with defusedxml (see ``parse``)."""
import contextlib
import io
import re
import xml.etree.ElementTree as ET

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'


# Characters XML 1.0 cannot carry, even escaped (controls, surrogates, U+FFFE/U+FFFF): a
# value echoed back from a client's input may hold them; they become U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A key that is no XML name (an echoed JSON key such as "2 children") is written
# <field name="...">, so that the document stays well-formed.
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


class XMLInputError(ValueError):
    """Malformed or hostile XML; the message says where."""


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _child(parent, key):
    key = str(key)
    if _XML_NAME.fullmatch(key):
        return ET.SubElement(parent, key)
    return ET.SubElement(parent, "field", name=_text(key))


def _fill(element, value, fragments=None):
    if hasattr(value, "__xml_text__") and fragments is not None:
        if len(value):  # else an empty element, as for an empty list
            fragments.append(value.__xml_text__())
            element.text = f"{_MARK}{len(fragments) - 1}{_MARK}"
        return
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(_child(element, key), child, fragments)
    elif isinstance(value, (list, tuple)):
        for child in value:
            _fill(ET.SubElement(element, "item"), child, fragments)
    elif value is not None:
        element.text = _text(value)


# A value with an ``__xml_text__`` method (``services.tables.SimulationTable``) gives its
# elements as text, spliced in where a mark (U+FFFF: never in any other text, _text
# replaces it) holds its place.
_MARK = "\uffff"
_FRAGMENT = re.compile("%s([0-9]+)%s" % (_MARK, _MARK))


def to_xml(value, root: str = "root") -> bytes:
    element = ET.Element(root)
    fragments = []
    _fill(element, value, fragments)
    text = ET.tostring(element, encoding="unicode")
    if fragments:
        text = _FRAGMENT.sub(lambda match: fragments[int(match.group(1))], text)
    return DECLARATION + text.encode("utf-8")


@contextlib.contextmanager
def input_errors():
    """The parsers' errors as XMLInputError, saying where."""
    try:
        yield
    except DefusedXmlException as exc:
        raise XMLInputError(f"forbidden XML construct: {exc}") from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise XMLInputError(f"malformed XML at line {line}, column {column}: {exc}") from None
    except LookupError as exc:  # the declaration names an encoding Python does not know
        raise XMLInputError(f"malformed XML at line 1: {exc}") from None


def parse(body: bytes):
    """Parse untrusted XML; entity declarations and external references are refused."""
    with input_errors():
        return SafeET.fromstring(body, forbid_dtd=True)


class XMLRenderer:
    """``renderer='xml'``: the view's value as XML, unless the view set its own type."""

    def __init__(self, info):
        pass

    def __call__(self, value, system):
        request = system.get("request")
        if request is not None:
            response = request.response
            if response.content_type == response.default_content_type:
                response.content_type = "application/xml"
            response.charset = "utf-8"
        return to_xml(value)


def includeme(config):
    config.add_renderer("xml", XMLRenderer)


def iterparse(body: bytes, events=("start", "end")):
    """``(event, element)`` pairs of untrusted XML, read incrementally (defusedxml's
    iterparse: no DTD, no entities); errors as ``parse``'s, raised where they are met."""
    stream = SafeET.iterparse(io.BytesIO(body), events=events, forbid_dtd=True)
    with input_errors():
        yield from stream
