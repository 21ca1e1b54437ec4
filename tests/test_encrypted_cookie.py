"""The cookie session is encrypted: its holder cannot read what it holds (the user, the
owner key of the simulations, the CSRF token), and a cookie that does not decrypt
(tampered, foreign) is a new session, never a failure."""
import base64
import binascii
import time

import pytest
import sqlalchemy as sa
from pyramid.session import JSONSerializer
from webob.cookies import SignedSerializer

from impots_pyramid import main
from impots_pyramid.models import Simulation, get_engine
from impots_pyramid.web.sessions import COOKIE_NAME
from tests.actions.client import ActionClient
from tests.helpers import TEST_USER, base_settings

SECRET = "a test secret that is long enough, for the tests only"  # base_settings'


@pytest.fixture(scope="module")
def app(sqlite_url):
    return main({}, **base_settings(sqlite_url, **{"session.type": "cookie",
                                                   "session.secret": SECRET}))


@pytest.fixture
def client(app):
    return ActionClient(app).start()


def cookie(client) -> str:
    return client.app.cookies[COOKIE_NAME]


def decodings(value: str) -> list:
    """The cookie's value, and what it is once decoded as base64 (either alphabet)."""
    value = value.strip('"')
    found = [value.encode()]
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        for chunk in value.split("."):  # also each part of a dotted value
            try:
                found.append(decode(chunk + "=" * (-len(chunk) % 4)))
            except (binascii.Error, ValueError):
                pass
    return found


def test_the_cookie_reveals_neither_the_user_nor_the_owner_key_nor_the_csrf_token(
        client, sqlite_url):
    assert client.calculate(married="yes", children="1", salary="41001")[1]["status"] == 300
    engine = get_engine({"sqlalchemy.url": sqlite_url})
    with engine.connect() as connection:
        owner = connection.scalar(sa.select(Simulation.owner).where(Simulation.salary == 41001))
    engine.dispose()
    secrets = [TEST_USER.encode(), owner.encode(), client.token.encode(), b'"user"', b"json"]
    for text in decodings(cookie(client)):
        for secret in secrets:
            assert secret not in text, (secret, text)


def test_the_session_survives_request_cycles(client):
    """What the session holds comes back on the next requests: response type, login,
    CSRF token (a POST passes), owner key (the simulations)."""
    for salary in ("41002", "41003"):
        assert client.calculate(married="no", children="0", salary=salary)[1]["status"] == 300
    assert [s["salary"] for s in client.simulations()] == [41002, 41003]


def replayed(app, value: str) -> ActionClient:
    other = ActionClient(app)
    other.app.set_cookie(COOKIE_NAME, value)
    return other


def tamperings(value: str):
    middle = len(value) // 2
    flipped = "A" if value[middle] != "A" else "B"
    yield value[:middle] + flipped + value[middle + 1:]
    yield value[:-4]
    yield value + "AAAA"
    yield "x" + value
    yield "garbage"


def test_a_tampered_cookie_is_a_new_session(app, client):
    assert client.calculate(married="no", children="0", salary="41004")[1]["status"] == 300
    value = cookie(client)
    for tampered in tamperings(value):
        status, data = replayed(app, tampered).get("/list-simulations")
        assert (status, data["status"]) == (400, 101), (tampered, data)  # no session
    status, data = replayed(app, value).get("/list-simulations")  # the untouched copy
    assert (status, data["status"]) == (200, 500)


def test_a_foreign_cookie_is_a_new_session(app):
    """A cookie of the former format (signed, readable JSON) with the same secret, and
    one of another secret: neither is this application's session."""
    now = int(time.time())
    signed = SignedSerializer(SECRET, "pyramid.session.", "sha512", serializer=JSONSerializer()) \
        .dumps((now, now, {"type": "json", "user": TEST_USER, "owner": "a key"})).decode()
    assert any(b'"user": "admin"' in text for text in decodings(signed))  # indeed readable
    other_app = main({}, **base_settings(app.registry.settings["sqlalchemy.url"], **{
        "session.type": "cookie", "session.secret": "another secret, just as long as it"}))
    other = ActionClient(other_app).start()
    for value in (signed, cookie(other)):
        status, data = replayed(app, value).get("/list-simulations")
        assert (status, data["status"]) == (400, 101), data
