"""The failed-login policy (services.throttle), replayed over HTTP: counted atomically per
name and per client address, unknown names as slow as wrong passwords, and a session
taken over by another user starting new simulations."""
import threading

import pytest
import webtest
from passlib.hash import pbkdf2_sha256

from impots_pyramid.services.throttle import PER_ADDRESS, PER_NAME
from impots_pyramid.services.users import save_user
from tests.actions.client import ActionClient
from tests.helpers import TEST_PASSWORD, TEST_USER, basic

TAX = "/api/tax-years/2019/tax?married=yes&children=2&salary=55555"



def from_address(app, address) -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address})


def test_parallel_guesses_cannot_pass_the_limit(throttled_app):
    """40 wrong passwords at once from one address: exactly PER_ADDRESS are checked (401),
    the others refused (429), however the password checks overlap."""
    answers, lock = [], threading.Lock()

    def guess(number):
        answer = from_address(throttled_app, "192.0.2.1").get(
            TAX, headers=basic(TEST_USER, f"guess{number}"), expect_errors=True)
        with lock:
            answers.append(answer.status_int)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [401] * PER_ADDRESS + [429] * (40 - PER_ADDRESS)


def test_the_owner_from_another_address_is_not_locked_out(throttled_app):
    attacker = from_address(throttled_app, "192.0.2.66")
    for number in range(PER_ADDRESS):
        attacker.get(TAX, headers=basic(TEST_USER, f"guess{number}"), status=401)
    attacker.get(TAX, headers=basic(TEST_USER, TEST_PASSWORD), status=429)
    owner = from_address(throttled_app, "198.51.100.7")
    assert owner.get(TAX, headers=basic(TEST_USER, TEST_PASSWORD)).json["tax"] == 2815


def test_a_name_guessed_from_many_addresses_is_bounded(throttled_app):
    """PER_NAME failures from all addresses together: every address that failed is
    refused, a fresh address gets one try, and the owner's right password still works."""
    for number in range(PER_NAME):
        address = f"203.0.113.{number // (PER_ADDRESS - 1)}"  # never blocked on its own
        from_address(throttled_app, address).get(
            TAX, headers=basic(TEST_USER, f"guess{number}"), status=401)
    from_address(throttled_app, "203.0.113.0").get(
        TAX, headers=basic(TEST_USER, "another guess"), status=429)
    fresh = from_address(throttled_app, "203.0.113.200")
    fresh.get(TAX, headers=basic(TEST_USER, "one more guess"), status=401)
    fresh.get(TAX, headers=basic(TEST_USER, "and another"), status=429)
    owner = from_address(throttled_app, "198.51.100.7")
    assert owner.get(TAX, headers=basic(TEST_USER, TEST_PASSWORD)).json["tax"] == 2815


@pytest.fixture
def counted_hash_checks(monkeypatch):
    """Every pbkdf2 verification the service makes, counted (the real one still runs)."""
    calls = []
    verify = pbkdf2_sha256.verify

    def counted(*args, **kwargs):
        calls.append(args[0])
        return verify(*args, **kwargs)

    monkeypatch.setattr(pbkdf2_sha256, "verify", counted)
    return calls


@pytest.mark.parametrize("login", ["nobody-at-all", TEST_USER])
def test_an_unknown_name_costs_a_password_check_like_a_wrong_password(
        testapp, counted_hash_checks, login):
    testapp.get(TAX, headers=basic(login, "wrong"), status=401)
    client = ActionClient(webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ))
    client.init()
    assert client.login(login, "wrong")[0] == 401
    assert counted_hash_checks == ["wrong", "wrong"]  # one pbkdf2 check each way


def test_another_user_in_the_same_session_starts_new_simulations(testapp, dbsession):
    save_user(dbsession, "bob", "bob's password")
    client = ActionClient(webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ))
    client.start()  # admin
    client.calculate(married="yes", children="2", salary="55555")
    assert len(client.simulations()) == 1
    status, data = client.login("bob", "bob's password")
    assert (status, data["status"]) == (200, 200)
    assert client.simulations() == []  # not admin's
    client.calculate(married="no", children="0", salary="30000")
    client.login("bob", "bob's password")  # the same user again keeps them
    assert [s["salary"] for s in client.simulations()] == [30000]


def test_remembered_basic_credentials_are_refused_to_a_blocked_address(throttled_app):
    """Whatever the password: credentials verified a minute ago, sent from an address that
    has since failed five times for the name, get the 429 too."""
    attacker = from_address(throttled_app, "192.0.2.99")
    attacker.get(TAX, headers=basic(TEST_USER, TEST_PASSWORD))  # verified, remembered
    for number in range(PER_ADDRESS):
        attacker.get(TAX, headers=basic(TEST_USER, f"guess{number}"), status=401)
    attacker.get(TAX, headers=basic(TEST_USER, TEST_PASSWORD), status=429)
    owner = from_address(throttled_app, "198.51.100.7")  # another address still gets in
    assert owner.get(TAX, headers=basic(TEST_USER, TEST_PASSWORD)).json["tax"] == 2815
