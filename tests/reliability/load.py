"""The load: client threads doing the calculate-tax flow over real HTTP, as the course's
clients do (init-session/json, authenticate-user, then calculate-tax with the envelope's
CSRF token), each with its own cookie jar and keep-alive connection. Every answer is
recorded, with when it was sent and received, for the tests to judge."""
import dataclasses
import json
import random
import threading
import time

import requests

USER, PASSWORD = "admin", "admin"
TIMEOUT = (5, 30)  # connect, read (seconds): a stuck server fails the test, not hangs it
PAUSE_AFTER_FAILURE = 0.05  # a client refused does not spin at full speed
SUCCESS = {"init-session": 700, "authenticate-user": 200, "calculate-tax": 300,
           "calculate-taxes": 1500,
           "list-simulations": 500}
NO_SESSION, UNAVAILABLE = 101, 171


@dataclasses.dataclass
class Answer:
    client: int
    action: str
    sent: float  # time.monotonic()
    received: float
    http_status: int = None  # None: no HTTP answer at all (the error is in body)
    status: int = None  # the envelope's status; None when the body is not an envelope
    body: str = ""
    retry_after: str = None
    data: dict = None

    @property
    def ok(self) -> bool:
        return self.http_status == 200 and self.status == SUCCESS[self.action]

    @property
    def message(self) -> str:
        response = (self.data or {}).get("response")
        return " ".join(map(str, response)) if isinstance(response, list) else str(response)

    def describe(self) -> str:
        return (f"client {self.client} {self.action}: HTTP {self.http_status} status "
                f"{self.status} Retry-After {self.retry_after} body {self.body[:300]!r}")


class ActionClient:
    """One session of the action API over HTTP."""

    def __init__(self, base_url: str, number: int = 0):
        self.base_url = base_url
        self.number = number
        self.http = requests.Session()  # its cookie jar and keep-alive connection
        self.token = None

    def _call(self, action: str, method: str, path: str, **options) -> Answer:
        sent = time.monotonic()
        try:
            response = self.http.request(method, self.base_url + path, timeout=TIMEOUT,
                                         **options)
        except requests.RequestException as exc:
            return Answer(self.number, action, sent, time.monotonic(), body=repr(exc))
        answer = Answer(self.number, action, sent, time.monotonic(), response.status_code,
                        body=response.text, retry_after=response.headers.get("Retry-After"))
        try:
            answer.data = json.loads(response.text)
            answer.status = answer.data.get("status")
        except (ValueError, AttributeError):
            pass  # not an envelope: the tests report it as such
        if answer.ok:
            self.token = answer.data.get("csrf_token", self.token)
        return answer

    def init_session(self) -> Answer:
        return self._call("init-session", "GET", "/init-session/json")

    def login(self) -> Answer:
        return self._call("authenticate-user", "POST", "/authenticate-user",
                          data={"user": USER, "password": PASSWORD, "csrf_token": self.token})

    def calculate(self, married: str, children: int, salary: int) -> Answer:
        return self._call("calculate-tax", "POST", "/calculate-tax",
                          data={"married": married, "children": children, "salary": salary},
                          headers={"X-CSRF-Token": self.token or ""})

    def calculate_batch(self, body: str) -> Answer:
        """calculate-taxes with ``body``, a JSON list of households."""
        return self._call("calculate-taxes", "POST", "/calculate-taxes", data=body,
                          headers={"X-CSRF-Token": self.token or "",
                                   "Content-Type": "application/json"})

    def list_simulations(self) -> Answer:
        return self._call("list-simulations", "GET", "/list-simulations")

    def start(self) -> list:
        """init-session then authenticate-user; the two answers."""
        first = self.init_session()
        return [first] if not first.ok else [first, self.login()]

    def close(self):
        self.http.close()


def random_household(rng: random.Random) -> dict:
    return {"married": rng.choice(("yes", "no")), "children": rng.randint(0, 4),
            "salary": rng.randint(0, 200_000)}


class FlowClient(threading.Thread):
    """Logs in, then calculates until told to stop. A session lost (HTTP 400, status 101:
    the session store came back empty) makes it start a new one; any other failure is
    only recorded and the next request tried. Retry-After is not honoured on purpose:
    the tests want to see every answer during an outage."""

    def __init__(self, base_url: str, number: int, stop: threading.Event):
        super().__init__(name=f"flow-client-{number}", daemon=True)
        self.client = ActionClient(base_url, number)
        self.rng = random.Random(number)
        self.stop_event = stop
        self.answers = []
        self.logged_in = False
        self.logins = 0

    def step(self) -> list:
        if not self.logged_in:
            answers = self.client.start()
            self.logged_in = len(answers) == 2 and answers[1].ok
            self.logins += self.logged_in
            return answers
        answer = self.client.calculate(**random_household(self.rng))
        if (answer.http_status, answer.status) == (400, NO_SESSION):
            self.logged_in = False
        return [answer]

    def run(self):
        while not self.stop_event.is_set():
            self.record(self.step())

    def record(self, answers: list) -> None:
        self.answers.extend(answers)
        if not all(answer.ok for answer in answers):
            self.stop_event.wait(PAUSE_AFTER_FAILURE)

    def calculated(self) -> list:
        """The successful calculate-tax answers."""
        return [answer for answer in self.answers
                if answer.action == "calculate-tax" and answer.ok]


class Load:
    """``count`` FlowClients against one server, started and stopped together."""

    def __init__(self, base_url: str, count: int):
        self.stop_event = threading.Event()
        self.clients = [FlowClient(base_url, number, self.stop_event) for number in range(count)]

    def log_in(self) -> None:
        """Log every client in now, one after the other (before a timed run)."""
        for client in self.clients:
            answers = client.step()
            client.record(answers)
            assert client.logged_in, describe_unexpected([a for a in answers if not a.ok])

    def __enter__(self):
        for client in self.clients:
            client.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
        for client in self.clients:
            client.client.close()

    def stop(self) -> None:
        """Stop the threads; the clients' sessions stay usable (e.g. to list simulations)."""
        self.stop_event.set()
        for client in self.clients:
            client.join(timeout=60)
            assert not client.is_alive(), f"{client.name} still running 60 s after stop"

    @property
    def answers(self) -> list:
        return sorted((answer for client in self.clients for answer in client.answers),
                      key=lambda answer: answer.sent)

    def wait_for(self, condition, what: str, timeout: float = 20):
        """Wait until ``condition(client)`` holds for every client."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(condition(client) for client in self.clients):
                return
            time.sleep(0.05)
        late = [client.client.number for client in self.clients if not condition(client)]
        examples = [answer.describe() for answer in self.answers[-5:]]
        raise AssertionError(f"clients {late} never {what} within {timeout} s; last answers:\n"
                             + "\n".join(examples))


def describe_unexpected(answers: list, limit: int = 5) -> str:
    return f"{len(answers)} unexpected answers; the first ones:\n" + "\n".join(
        answer.describe() for answer in answers[:limit])
