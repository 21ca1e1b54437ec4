"""The course's client scenarios over real HTTP, through Apache and mod_wsgi's daemon
processes, on PostgreSQL and on MariaDB with Redis sessions: JSON, XML, the HTML journey
(every redirect stays under /impots), and one session served by both daemon processes."""
import re
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import requests

from tests.actions.client import xml_to_data
from tests.apache.harness import MOUNT, PASSWORD, USER
from tests.apache.probes import RedisMonitor

pytestmark = pytest.mark.apache


class ActionClient:
    """A console client of the course: keeps the session cookie and the envelope's CSRF
    token; a fresh TCP connection per request, so any daemon process may answer."""

    def __init__(self, url: str, response_type: str):
        self.url = url
        self.type = response_type
        self.token = None
        self.http = requests.Session()
        self.http.headers["Connection"] = "close"

    def _answer(self, response):
        """(HTTP status, envelope), in the session's type (JSON when there is no session)."""
        content_type = response.headers["Content-Type"]
        assert content_type in (f"application/{self.type}; charset=utf-8",
                                "application/json; charset=utf-8"), \
            (response.status_code, content_type, response.text[:500])
        if content_type.startswith("application/xml"):
            assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?><root>')
            data = xml_to_data(ET.fromstring(response.content))
            if data.get("csrf_token") is not None:
                data["csrf_token"] = str(data["csrf_token"])
        else:
            data = response.json()
        self.token = data.get("csrf_token") or self.token
        return response.status_code, data

    def get(self, path):
        return self._answer(self.http.get(self.url + path, allow_redirects=False))

    def post(self, path, form=None):
        headers = {"X-CSRF-Token": self.token} if self.token else {}
        return self._answer(self.http.post(self.url + path, data=form or {}, headers=headers,
                                           allow_redirects=False))

    def in_type(self, path):
        """A GET answered in the session's response type."""
        response = self.http.get(self.url + path, allow_redirects=False)
        assert response.headers["Content-Type"] == f"application/{self.type}; charset=utf-8"
        return self._answer(response)

    def start(self):
        status, data = self.get(f"/init-session/{self.type}")
        assert (status, data["action"], data["status"]) == (200, "init-session", 700), data
        assert data["response"] in ([f"session started with response type {self.type}"],
                                    f"session started with response type {self.type}")
        first_token = data["csrf_token"]
        # The login form carries the token as a form field, as a browser's would.
        response = self.http.post(self.url + "/authenticate-user", allow_redirects=False,
                                  data={"user": USER, "password": PASSWORD,
                                        "csrf_token": first_token})
        status, data = self._answer(response)
        assert (status, data["status"], data["response"]) == \
            (200, 200, "authentication successful"), data
        assert data["csrf_token"] != first_token  # a new session id, a new token
        return self

    def close(self):
        self.http.close()


@pytest.fixture(params=["json", "xml"])
def client(request, site):
    action_client = ActionClient(site.url, request.param)
    yield action_client
    action_client.close()


def test_client_scenario(client):
    """init-session, authenticate-user, calculate-tax (twice, and once wrong),
    list-simulations, delete-simulation, end-session: the course's console client."""
    client.start()

    status, data = client.post("/calculate-tax", {"married": "yes", "children": "2",
                                                  "salary": "55555"})
    assert (status, data["action"], data["status"]) == (200, "calculate-tax", 300), data
    first = data["response"]
    assert (first["id"], first["married"], first["children"], first["salary"]) == \
        (1, "yes", 2, 55555)
    assert first["tax"] == 2815

    # The course's French spellings, another household.
    status, data = client.post("/calculate-tax", {"marié": "oui", "enfants": "3",
                                                  "salaire": "100000"})
    assert (status, data["status"]) == (200, 300), data
    second = data["response"]
    assert (second["id"], second["tax"], second["surcharge"], second["rate"]) == \
        (2, 9200, 2180, 0.3)

    status, data = client.post("/calculate-tax", {"married": "maybe", "children": "2",
                                                  "salary": "55555"})
    assert (status, data["status"]) == (400, 301), data
    messages = data["response"] if isinstance(data["response"], list) else [data["response"]]
    assert any("married" in message and "maybe" in message for message in messages), messages

    status, data = client.in_type("/list-simulations")
    assert (status, data["status"]) == (200, 500), data
    assert [simulation["id"] for simulation in data["response"]] == [1, 2]
    assert [simulation["tax"] for simulation in data["response"]] == [2815, 9200]

    status, data = client.post("/delete-simulation/1")
    assert (status, data["status"]) == (200, 600), data
    remaining = data["response"] if isinstance(data["response"], list) else [data["response"]]
    assert [simulation["id"] for simulation in remaining] == [2]

    status, data = client.post("/end-session")
    assert (status, data["status"], data["response"]) == (200, 400, "session reset"), data

    # The session is gone: back to init-session.
    status, data = client.get("/list-simulations")
    assert (status, data["status"]) == (400, 101), data


def test_csrf_token_is_required_under_apache(site):
    client = ActionClient(site.url, "json").start()
    client.token = None
    status, data = client.post("/calculate-tax", {"married": "yes", "children": "2",
                                                  "salary": "55555"})
    assert (status, data["status"]) == (403, 121), data


HTML_LINK = re.compile(r'(?:href|src|action)="([^"]*)"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def location_path(response, site) -> str:
    """The path of the Location header, checked to stay on this server under /impots."""
    location = urllib.parse.urlsplit(response.headers["Location"])
    assert location.netloc in ("", f"127.0.0.1:{site.apache.port}"), location
    assert location.path.startswith(MOUNT + "/"), response.headers["Location"]
    return location.path[len(MOUNT):]


def page(http, site, path):
    response = http.get(site.url + path, allow_redirects=False)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("text/html")
    for link in HTML_LINK.findall(response.text):
        target = urllib.parse.urlsplit(link)
        if target.scheme or link.startswith("#"):
            continue
        assert target.path.startswith(MOUNT + "/"), f"{path}: link {link} outside {MOUNT}"
    return response


def test_html_journey_stays_under_the_mount_point(site, http):
    """A person with a browser: every redirect (Post/Redirect/Get) and every link or form
    action of the pages stays under /impots."""
    answer = http.get(site.url + "/", allow_redirects=False)
    assert answer.status_code == 302
    assert location_path(answer, site) == "/init-session/html"

    answer = http.get(site.url + "/init-session/html", allow_redirects=False)
    assert answer.status_code == 303, answer.text[:300]
    assert location_path(answer, site) == "/display-authentication-view"
    form = page(http, site, "/display-authentication-view")

    answer = http.post(site.url + "/authenticate-user", allow_redirects=False, data={
        "user": USER, "password": PASSWORD, "csrf_token": CSRF_FIELD.search(form.text).group(1)})
    assert answer.status_code == 303
    assert location_path(answer, site) == "/display-tax-calculation-view"
    form = page(http, site, "/display-tax-calculation-view")

    answer = http.post(site.url + "/calculate-tax", allow_redirects=False, data={
        "married": "yes", "children": "2", "salary": "55555",
        "csrf_token": CSRF_FIELD.search(form.text).group(1)})
    assert answer.status_code == 303
    assert location_path(answer, site) == "/display-tax-calculation-view"
    result = page(http, site, "/display-tax-calculation-view")
    tax = re.search(r'id="tax">([^<]*)<', result.text)
    assert tax and re.sub(r"\D", "", tax.group(1)) == "2815", result.text[:2000]

    answer = http.get(site.url + "/list-simulations", allow_redirects=False)
    assert answer.status_code == 303
    assert location_path(answer, site) == "/display-simulations-view"
    listing = page(http, site, "/display-simulations-view")

    answer = http.post(site.url + "/end-session", allow_redirects=False,
                       data={"csrf_token": CSRF_FIELD.search(listing.text).group(1)})
    assert answer.status_code == 303
    assert location_path(answer, site) == "/init-session/html"


def test_one_session_served_by_both_daemon_processes(site, redis_url_for_sessions):
    """Redis sessions: with 2 daemon processes and a fresh connection per request, the
    requests of one session land on both processes, and the session carries on whichever
    process answers (every calculation is kept, numbered in order)."""
    pids = site.apache.daemon_pids()
    assert len(pids) == 2, site.apache.error_log()[-3000:]
    client = ActionClient(site.url, "json")
    with RedisMonitor(redis_url_for_sessions) as monitor:
        client.start()
        for salary in range(30000, 30000 + 24 * 1000, 1000):
            status, data = client.post("/calculate-tax", {"married": "no", "children": "0",
                                                          "salary": str(salary)})
            assert (status, data["status"]) == (200, 300), data
        status, data = client.get("/list-simulations")
    client.close()
    # Apache still runs, so the processes' Redis connections are open: map them now.
    by_pid = monitor.commands_by_pid(pids)
    assert (status, data["status"]) == (200, 500), data
    assert [simulation["id"] for simulation in data["response"]] == list(range(1, 25))
    assert [simulation["salary"] for simulation in data["response"]] == \
        list(range(30000, 54000, 1000))
    served = {pid: len(commands) for pid, commands in by_pid.items()}
    assert all(count > 0 for count in served.values()), \
        f"Redis commands per daemon process: {served}; one process served the whole session"


def test_error_log_has_no_traceback(site):
    """Last: whatever the tests did, Apache's error log (where mod_wsgi writes the daemon
    processes' stderr) and the application's log file hold no traceback and no error."""
    log = site.apache.error_log()
    assert "Traceback" not in log, log[-5000:]
    assert not re.search(r"\[wsgi:(error|crit|alert|emerg)\]", log), log[-5000:]
    app_log = (site.app_log_dir / "impots.log").read_text(errors="replace")
    assert "Traceback" not in app_log, app_log[-5000:]
