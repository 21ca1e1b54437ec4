"""A logged-in session of the action API, opened before wrk's clock starts, as flow.lua
does it: init-session/json, authenticate-user with the CSRF token of the envelope."""
import http.cookiejar
import json
import urllib.parse
import urllib.request

from .setup import PASSWORD, USER


class Session:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = None

    def _send(self, path, data=None, content_type=None) -> dict:
        request = urllib.request.Request(self.base_url + path, data=data)
        if content_type:
            request.add_header("Content-Type", content_type)
        if self.token:
            request.add_header("X-CSRF-Token", self.token)
        with self.opener.open(request, timeout=120) as answer:
            envelope = json.load(answer)
        self.token = envelope.get("csrf_token", self.token)
        return envelope

    def post_form(self, path, fields: dict) -> dict:
        return self._send(path, urllib.parse.urlencode(fields).encode(),
                          "application/x-www-form-urlencoded")

    def post_json(self, path, data) -> dict:
        return self._send(path, json.dumps(data).encode(), "application/json")

    def wrk_env(self) -> dict:
        """The environment of session_request.lua."""
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        return {"BENCH_COOKIE": cookie, "BENCH_CSRF": self.token or ""}


def open_session(base_url: str) -> Session:
    session = Session(base_url)
    session._send("/init-session/json")
    envelope = session.post_form("/authenticate-user", {"user": USER, "password": PASSWORD})
    if envelope.get("status") != 200:
        raise RuntimeError(f"login refused: {envelope}")
    return session
