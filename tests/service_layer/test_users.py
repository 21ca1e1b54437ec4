"""services.users on every back end: user names matched exactly, credentials checked,
failed logins throttled (401, then 429 with Retry-After), the session rotated at login,
users created or updated."""
import uuid

import pytest
import sqlalchemy as sa

from impots_pyramid.models import SessionOwner, User
from impots_pyramid.services import session_keys
from impots_pyramid.services.throttle import PER_ADDRESS, WINDOW
from impots_pyramid.services.simulations import ensure_owner
from impots_pyramid.services.users import (
    LoginRefused, check_credentials, check_login, find_user, log_in, save_user,
)
from tests.helpers import NOT_THE_TEST_USER, TEST_PASSWORD, TEST_USER



def a_new_name() -> str:
    """A user name no other test uses: the throttle counts by name."""
    return f"user-{uuid.uuid4().hex[:10]}"


def test_find_user_finds_the_user_by_its_exact_name(dbsession):
    user = find_user(dbsession, TEST_USER)
    assert user is not None and user.login == TEST_USER


@pytest.mark.parametrize("login", NOT_THE_TEST_USER)
def test_find_user_finds_nobody_under_another_spelling(dbsession, login):
    """No case folding, accent folding or trailing-space padding (MariaDB's PAD SPACE),
    and a NUL is nobody's (PostgreSQL cannot even be asked)."""
    assert find_user(dbsession, login) is None


def test_check_credentials(dbsession):
    assert check_credentials(dbsession, TEST_USER, TEST_PASSWORD) is True
    assert check_credentials(dbsession, TEST_USER, TEST_PASSWORD + "x") is False
    assert check_credentials(dbsession, TEST_USER, "") is False
    assert check_credentials(dbsession, "nobody", TEST_PASSWORD) is False
    assert check_credentials(dbsession, TEST_USER.upper(), TEST_PASSWORD) is False


def test_check_login_accepts_the_right_password(dummy_request):
    assert check_login(dummy_request, TEST_USER, TEST_PASSWORD) is None


def test_check_login_refuses_with_401_then_429_after_five_failures(dummy_request, dbsession):
    """Five wrong passwords: each a 401. Then the name is blocked for the rest of the
    window, with Retry-After, whatever the password (the right one too)."""
    name = a_new_name()
    save_user(dbsession, name, "right")
    for _ in range(PER_ADDRESS):
        with pytest.raises(LoginRefused) as refused:
            check_login(dummy_request, name, "wrong")
        assert refused.value.http_status == 401
        assert refused.value.retry_after is None and refused.value.headers == {}
        assert refused.value.message == f"authentication failed for user [{name}]"
    for password in ("wrong", "right"):
        with pytest.raises(LoginRefused) as refused:
            check_login(dummy_request, name, password)
        wait = refused.value.retry_after
        assert refused.value.http_status == 429
        assert 0 < wait <= WINDOW
        assert refused.value.headers == {"Retry-After": str(wait)}
        assert refused.value.message == (
            f"too many failed logins for [{name}]: try again in {wait} s")


def test_the_throttle_counts_each_name_apart(dummy_request):
    blocked, other = a_new_name(), a_new_name()
    for _ in range(PER_ADDRESS):
        with pytest.raises(LoginRefused):
            check_login(dummy_request, blocked, "wrong")
    with pytest.raises(LoginRefused) as refused:
        check_login(dummy_request, other, "wrong")
    assert refused.value.http_status == 401
    assert check_login(dummy_request, TEST_USER, TEST_PASSWORD) is None


def test_an_unknown_name_counts_as_a_failure_too(dummy_request):
    """Or a guesser could tell names that exist from names that do not."""
    name = a_new_name()
    for _ in range(PER_ADDRESS):
        with pytest.raises(LoginRefused) as refused:
            check_login(dummy_request, name, "x")
        assert refused.value.http_status == 401
    with pytest.raises(LoginRefused) as refused:
        check_login(dummy_request, name, "x")
    assert refused.value.http_status == 429


def test_log_in_rotates_the_session_keeping_its_type_and_simulations(dummy_request, dbsession):
    session = dummy_request.session
    ensure_owner(dbsession, "owner-key")  # the session has simulations
    session.update({session_keys.RESPONSE_TYPE: "xml", session_keys.OWNER: "owner-key",
                    "something else": 1})
    log_in(dummy_request, TEST_USER, TEST_PASSWORD)
    assert session[session_keys.RESPONSE_TYPE] == "xml"
    assert session[session_keys.OWNER] == "owner-key"
    assert session[session_keys.USER] == TEST_USER  # remembered
    assert "something else" not in session
    assert session.get_csrf_token()  # a new token
    assert dbsession.get(SessionOwner, "owner-key").last_number == 0


def test_log_in_takes_a_new_owner_key_when_the_old_one_was_ended(dummy_request, dbsession):
    """An ended (or purged) owner key is never given a row again: its copied cookies stay
    worthless."""
    session = dummy_request.session
    session.update({session_keys.RESPONSE_TYPE: "json", session_keys.OWNER: "ended-key"})
    log_in(dummy_request, TEST_USER, TEST_PASSWORD)
    owner = session[session_keys.OWNER]
    assert owner != "ended-key" and dbsession.get(SessionOwner, "ended-key") is None
    # The new owner's row exists before any calculation races for it.
    assert dbsession.get(SessionOwner, owner).last_number == 0


def test_log_in_gives_a_session_without_simulations_an_owner(dummy_request, dbsession):
    log_in(dummy_request, TEST_USER, TEST_PASSWORD)
    owner = dummy_request.session[session_keys.OWNER]
    assert dbsession.get(SessionOwner, owner) is not None


def test_a_refused_login_leaves_the_session_alone(dummy_request):
    dummy_request.session.update({session_keys.RESPONSE_TYPE: "json", "kept": 1})
    with pytest.raises(LoginRefused):
        log_in(dummy_request, TEST_USER, "wrong")
    assert dict(dummy_request.session) == {session_keys.RESPONSE_TYPE: "json", "kept": 1}


def test_save_user_creates_then_updates(dbsession):
    name = a_new_name()
    assert save_user(dbsession, name, "first") == "created"
    dbsession.flush()
    assert find_user(dbsession, name).check_password("first")
    assert save_user(dbsession, name, "second") == "updated"
    dbsession.flush()
    user = find_user(dbsession, name)
    assert user.check_password("second") and not user.check_password("first")
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(User)
                            .where(User.login == name)) == 1


def test_save_user_under_another_case_makes_another_user(dbsession):
    assert save_user(dbsession, TEST_USER.upper(), "theirs") == "created"
    dbsession.flush()
    assert check_credentials(dbsession, TEST_USER, TEST_PASSWORD)
    assert not check_credentials(dbsession, TEST_USER, "theirs")
    assert check_credentials(dbsession, TEST_USER.upper(), "theirs")
