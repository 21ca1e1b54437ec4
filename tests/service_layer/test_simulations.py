"""services.simulations on every back end: a session's simulations recorded, numbered
from 1 (never reusing a number), listed, deleted by the id typed in a URL, forgotten at
the end of the session, and its activity noted at most once a TOUCH_INTERVAL."""
import datetime

import pytest
import sqlalchemy as sa

from impots_pyramid.models import SessionOwner, Simulation
from impots_pyramid.services import session_keys
from impots_pyramid.services.simulations import (
    TOUCH_INTERVAL, delete_from_session, end_session, note_activity, record_calculation,
    record_calculations, session_owner, session_simulations,
)
from impots_pyramid.tax import Calculation, Household, calculate

LONG_AGO = datetime.datetime(2001, 1, 1)


def calculation(married=True, children=2, salary=55555, year=2019, rules="law"):
    return Calculation(Household(married, children, salary), year, rules)


def numbers(simulations) -> list:
    return [simulation["id"] for simulation in simulations]


def last_seen(dbsession, owner):
    return dbsession.scalar(sa.select(SessionOwner.last_seen).where(SessionOwner.key == owner))


def test_session_owner_is_made_once_and_kept_in_the_session():
    session = {}
    owner = session_owner(session)
    assert session == {session_keys.OWNER: owner}
    assert len(owner) == 32  # 24 random bytes, URL-safe
    assert session_owner(session) == owner
    assert session_owner({}) != owner


def test_a_session_keeps_the_owner_it_has():
    assert session_owner({session_keys.OWNER: "given"}) == "given"


def test_record_calculation_numbers_from_one_and_answers_the_figures(dbsession, tax_years):
    session = {}
    first = record_calculation(dbsession, session, calculation(), tax_years)
    second = record_calculation(dbsession, session, calculation(False, 0, 30000, 2026),
                                tax_years)
    third = record_calculation(dbsession, session, calculation(salary=50000, rules="course"),
                               tax_years)
    assert numbers([first, second, third]) == [1, 2, 3]
    assert first == {"id": 1, "married": "yes", "children": 2, "salary": 55555, "year": 2019,
                     **calculate(Household(True, 2, 55555), tax_years[2019]).outputs()}
    assert first["tax"] == 2815
    assert (second["married"], second["year"]) == ("no", 2026)
    assert third["tax"] == 1384  # the course's rules (the law says 1385)
    assert session_simulations(dbsession, session) == [first, second, third]


def test_sessions_are_numbered_apart(dbsession, tax_years):
    one, other = {}, {}
    assert record_calculation(dbsession, one, calculation(), tax_years)["id"] == 1
    assert record_calculation(dbsession, other, calculation(), tax_years)["id"] == 1
    assert record_calculation(dbsession, one, calculation(), tax_years)["id"] == 2
    assert numbers(session_simulations(dbsession, other)) == [1]


def test_record_calculations_numbers_a_batch_in_order_after_what_is_there(dbsession,
                                                                          tax_years):
    session = {}
    record_calculation(dbsession, session, calculation(), tax_years)
    batch = [calculation(False, 0, 30000, 2020), calculation(salary=50000, rules="course"),
             calculation(True, 3, 100000, 2025)]
    recorded = record_calculations(dbsession, session, batch, tax_years)
    assert numbers(recorded) == [2, 3, 4]
    for simulation, item in zip(recorded, batch):
        expected = calculate(item.household, tax_years[item.year], item.rules).outputs()
        assert {name: simulation[name] for name in expected} == expected
        assert simulation["year"] == item.year
    assert session_simulations(dbsession, session)[1:] == recorded


def test_a_session_without_simulations_lists_none_and_gets_no_owner(dbsession):
    session = {}
    assert session_simulations(dbsession, session) == []
    assert session == {}


def test_a_deleted_number_is_not_reused(dbsession, tax_years):
    session = {}
    for _ in range(3):
        record_calculation(dbsession, session, calculation(), tax_years)
    assert delete_from_session(dbsession, session, "3") is True
    assert delete_from_session(dbsession, session, "1") is True
    assert numbers(session_simulations(dbsession, session)) == [2]
    assert record_calculation(dbsession, session, calculation(), tax_years)["id"] == 4


@pytest.mark.parametrize("raw_number", [
    "abc", "-1", "+1", "1.0", " 1", "", "99999999999", "2147483648", "999999999", "\u0661",
    "\uff11", "1\x00", "²",
])
def test_delete_from_session_refuses_what_is_no_number_of_its_own(dbsession, tax_years,
                                                                   raw_number):
    """Not a number, too long for the database's integers, digits that are not ASCII
    (Arabic-Indic one, fullwidth one, superscript two), or no such simulation: False, and
    nothing deleted."""
    session = {}
    for _ in range(2):
        record_calculation(dbsession, session, calculation(), tax_years)
    assert delete_from_session(dbsession, session, raw_number) is False
    assert numbers(session_simulations(dbsession, session)) == [1, 2]


def test_delete_from_session_touches_only_its_own_session(dbsession, tax_years):
    mine, theirs = {}, {}
    record_calculation(dbsession, theirs, calculation(), tax_years)
    assert delete_from_session(dbsession, {}, "1") is False  # no owner yet
    assert delete_from_session(dbsession, mine, "1") is False
    record_calculation(dbsession, mine, calculation(), tax_years)
    assert delete_from_session(dbsession, mine, "1") is True
    assert numbers(session_simulations(dbsession, theirs)) == [1]


def test_end_session_forgets_the_simulations_the_login_and_the_session(dummy_request,
                                                                       dbsession, tax_years):
    session = dummy_request.session
    session.update({session_keys.USER: "admin", session_keys.RESPONSE_TYPE: "json"})
    other = {}
    for _ in range(2):
        record_calculation(dbsession, session, calculation(), tax_years)
    record_calculation(dbsession, other, calculation(), tax_years)
    owner = session[session_keys.OWNER]

    end_session(dummy_request)

    assert dict(session) == {}  # invalidated: logged out, no owner, no response type
    assert dbsession.get(SessionOwner, owner) is None
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(Simulation)
                            .where(Simulation.owner == owner)) == 0
    assert numbers(session_simulations(dbsession, other)) == [1]  # others' stay


def test_end_session_of_a_session_without_simulations(dummy_request):
    dummy_request.session[session_keys.USER] = "admin"
    end_session(dummy_request)
    assert dict(dummy_request.session) == {}


def test_note_activity_writes_at_most_once_a_touch_interval(dbsession, tax_years):
    session = {}
    record_calculation(dbsession, session, calculation(), tax_years)
    owner = session[session_keys.OWNER]

    def seen_long_ago():
        dbsession.execute(sa.update(SessionOwner).where(SessionOwner.key == owner)
                          .values(last_seen=LONG_AGO))

    seen_long_ago()
    note_activity(dbsession, session)  # never noted in this session: written
    assert last_seen(dbsession, owner) > LONG_AGO
    noted = session[session_keys.SEEN]

    seen_long_ago()
    note_activity(dbsession, session)  # within the interval: nothing written
    assert last_seen(dbsession, owner) == LONG_AGO
    assert session[session_keys.SEEN] == noted

    session[session_keys.SEEN] = noted - TOUCH_INTERVAL + 10  # still within it
    note_activity(dbsession, session)
    assert last_seen(dbsession, owner) == LONG_AGO

    session[session_keys.SEEN] = noted - TOUCH_INTERVAL  # as if a whole interval had passed
    note_activity(dbsession, session)
    assert last_seen(dbsession, owner) > LONG_AGO
    assert session[session_keys.SEEN] >= noted


def test_note_activity_without_an_owner_does_nothing(dbsession):
    session = {}
    note_activity(dbsession, session)
    assert session == {}
