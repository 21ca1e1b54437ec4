"""XML answers stay well-formed whatever a client's input put in them (the envelope
echoes values and, for batches, whole items with their keys)."""
import xml.etree.ElementTree as ET

from impots_pyramid.web.xml import to_xml
from tests.actions.client import ActionClient


def test_characters_xml_cannot_carry_become_replacement_characters():
    body = to_xml({"response": ["invalid value [\x1f\x00] for [married]", "\ud800\uffff"]})
    root = ET.fromstring(body)
    assert [item.text for item in root.find("response")] == [
        "invalid value [\ufffd\ufffd] for [married]", "\ufffd\ufffd"]


def test_keys_that_are_no_xml_names_become_named_fields():
    root = ET.fromstring(to_xml({"item": {"2 children<": "x", "salary": 5}}))
    assert ET.tostring(root.find("item"), encoding="unicode") == (
        '<item><field name="2 children&lt;">x</field><salary>5</salary></item>')


def test_an_xml_session_refusing_a_control_character_answers_a_readable_envelope(testapp):
    client = ActionClient(testapp, "xml").start()
    status, data = client.calculate(married="\x1f", children="1", salary="1000")
    assert (status, data["status"]) == (400, 301)
    assert "invalid value [\ufffd] for [married]: yes or no expected" in data["response"]
