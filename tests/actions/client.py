"""A client of the action API over WebTest, speaking JSON or XML, as the course's
console clients do: it keeps the session cookie and the CSRF token of the envelope."""
import json
import xml.etree.ElementTree as ET

import webtest


def _number(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def xml_to_data(element):
    """The spec's XML back to data: <item> children make a list, others a mapping."""
    children = list(element)
    if not children:
        return _number(element.text) if element.text is not None else None
    if all(child.tag == "item" for child in children):
        return [xml_to_data(child) for child in children]
    return {child.tag: xml_to_data(child) for child in children}


def read_envelope(response):
    if response.content_type == "application/xml":
        assert response.body.startswith(b'<?xml version="1.0" encoding="utf-8"?><root>')
        data = xml_to_data(ET.fromstring(response.body))
        if data.get("response") is None:
            data["response"] = []  # an empty list is an empty element
        if isinstance(data.get("csrf_token"), (int, float)):
            data["csrf_token"] = str(data["csrf_token"])
        return data
    assert response.content_type == "application/json"
    return response.json


class ActionClient:
    def __init__(self, app, response_type="json", prefix="", extra_environ=None):
        self.app = app if isinstance(app, webtest.TestApp) else webtest.TestApp(
            app, extra_environ=extra_environ or {})
        self.type = response_type
        self.prefix = prefix
        self.token = None

    def _headers(self, headers=None):
        result = dict(headers or {})
        if self.token:
            result.setdefault("X-CSRF-Token", self.token)
        return result

    def _answer(self, response):
        data = read_envelope(response)
        self.token = data.get("csrf_token", self.token)
        return response.status_code, data

    def get(self, path, **kw):
        kw.setdefault("status", "*")
        kw["headers"] = self._headers(kw.get("headers"))
        return self._answer(self.app.get(self.prefix + path, **kw))

    def post(self, path, params=None, **kw):
        kw.setdefault("status", "*")
        kw["headers"] = self._headers(kw.get("headers"))
        return self._answer(self.app.post(self.prefix + path, params or {}, **kw))

    def init(self, response_type=None):
        return self.get(f"/init-session/{response_type or self.type}")

    def login(self, user="admin", password="admin"):
        return self.post("/authenticate-user", {"user": user, "password": password})

    def start(self):
        """init-session then a successful login."""
        assert self.init()[1]["status"] == 700
        status, data = self.login()
        assert (status, data["status"]) == (200, 200), data
        return self

    def calculate(self, **form):
        return self.post("/calculate-tax", form)

    def calculate_many(self, households, content_type="application/json"):
        body = json.dumps(households) if content_type == "application/json" else households
        return self.post("/calculate-taxes", body, content_type=content_type)

    def simulations(self):
        status, data = self.get("/list-simulations")
        assert (status, data["status"]) == (200, 500), data
        return data["response"]

    def delete(self, number):
        return self.post(f"/delete-simulation/{number}")

    def end(self):
        return self.post("/end-session")
