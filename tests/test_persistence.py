"""The same checks on SQLite, PostgreSQL and MySQL: migrations up and down, tax years
loaded, users, simulations round trip with unique numbering."""
import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from impots_pyramid.models import (
    SessionOwner, Simulation, TaxYear, User, get_engine, get_session_factory, migrations,
)
from impots_pyramid.services.users import find_user, save_user
from impots_pyramid.tax import load_tax_years
from impots_pyramid.services.tax_years import read_tax_years
from tests import services
from tests.helpers import DATABASES, TEST_PASSWORD, TEST_USER


@pytest.fixture
def engine(database_url):
    engine = get_engine({"sqlalchemy.url": database_url})
    yield engine
    engine.dispose()


@pytest.fixture
def dbsession(engine):
    """A session whose work is rolled back at the end of the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = get_session_factory(engine)(bind=connection,
                                          join_transaction_mode="create_savepoint")
    yield session
    session.close()
    outer.rollback()
    connection.close()


def test_tax_years_loaded_by_migration_equal_the_data_file(dbsession):
    assert read_tax_years(dbsession) == load_tax_years()
    assert sorted(read_tax_years(dbsession)) == list(range(2019, 2027))


def test_scale_is_stored_as_ordered_brackets(dbsession):
    year = dbsession.get(TaxYear, 2019)
    assert [(b.lower_bound, float(b.rate)) for b in year.brackets] == [
        (0, 0.0), (9964, 0.14), (27519, 0.30), (73779, 0.41), (156244, 0.45)]
    assert year.parameters().reduction_rate == 0.2
    assert dbsession.get(TaxYear, 2021).parameters().reduction_rate is None
    assert float(dbsession.get(TaxYear, 2021).discount_rate) == 0.4525


def test_user_password_is_hashed_and_checked(dbsession):
    user = dbsession.scalar(sa.select(User).where(User.login == TEST_USER))
    assert user.password_hash.startswith("$pbkdf2-sha256$")
    assert TEST_PASSWORD not in user.password_hash
    assert user.check_password(TEST_PASSWORD)
    assert not user.check_password(TEST_PASSWORD + "x")


def test_user_login_is_unique(dbsession):
    dbsession.add(User(login=TEST_USER, password_hash="x"))
    with pytest.raises(IntegrityError):
        dbsession.flush()


def test_names_differing_in_case_or_accents_are_different_users(dbsession):
    """As on PostgreSQL and SQLite; MariaDB's default collation took them for admin's."""
    for login in (TEST_USER.upper(), "ädmin"):
        assert save_user(dbsession, login, "their own") == "created"
        dbsession.flush()
    assert find_user(dbsession, TEST_USER).check_password(TEST_PASSWORD)
    for login in (TEST_USER.upper(), "ädmin"):
        assert find_user(dbsession, login).check_password("their own")


def _simulation(owner, number, **figures):
    values = dict(married=True, children=2, salary=55555, tax=2815, surcharge=0,
                  discount=0, reduction=0, rate=0.14, year=2019, rules="law")
    values.update(figures)
    return Simulation(owner=owner, number=number, **values)


def test_simulations_round_trip(dbsession):
    dbsession.add(SessionOwner(key="owner-a", last_number=2, last_seen=datetime.datetime.now()))
    dbsession.add_all([_simulation("owner-a", 1),
                       _simulation("owner-a", 2, married=False, salary=1_000_000_000,
                                   tax=449_000_000, rate=0.45)])
    dbsession.flush()
    dbsession.expire_all()
    stored = dbsession.scalars(sa.select(Simulation).where(Simulation.owner == "owner-a")
                               .order_by(Simulation.number)).all()
    assert [s.as_dict() for s in stored] == [
        {"id": 1, "married": "yes", "children": 2, "salary": 55555, "tax": 2815,
         "surcharge": 0, "discount": 0, "reduction": 0, "rate": 0.14, "year": 2019},
        {"id": 2, "married": "no", "children": 2, "salary": 1_000_000_000,
         "tax": 449_000_000, "surcharge": 0, "discount": 0, "reduction": 0, "rate": 0.45,
         "year": 2019},
    ]


def test_simulation_number_is_unique_per_owner(dbsession):
    now = datetime.datetime.now()
    dbsession.add_all([SessionOwner(key="a", last_number=1, last_seen=now),
                       SessionOwner(key="b", last_number=1, last_seen=now)])
    dbsession.add_all([_simulation("a", 1), _simulation("b", 1)])  # same number, two owners
    dbsession.flush()
    dbsession.add(_simulation("a", 1))
    with pytest.raises(IntegrityError):
        dbsession.flush()


def foreign_keys_of_simulations(engine) -> set:
    return {key["name"] for key in sa.inspect(engine).get_foreign_keys("simulations")}


def primary_key_of_simulations(engine) -> list:
    return sa.inspect(engine).get_pk_constraint("simulations")["constrained_columns"]


def store_two_simulations(engine):
    with engine.begin() as connection:
        connection.execute(sa.insert(SessionOwner), [
            {"key": "migrated", "last_number": 2, "last_seen": datetime.datetime.now()}])
        connection.execute(sa.insert(Simulation), [
            {"owner": "migrated", "number": number, "married": True, "children": 0,
             "salary": 1, "tax": 0, "surcharge": 0, "discount": 0, "reduction": 0,
             "rate": 0, "year": 2019, "rules": "law"} for number in (1, 2)])


def lag_of(engine):
    with engine.connect() as connection:
        return migrations.schema_lag(connection)


def test_the_service_knows_the_latest_migration_without_alembic():
    """The running service reads the version table itself (Alembic is not imported): its
    idea of the latest migration must be Alembic's head."""
    assert migrations.HEAD_REVISION == migrations.alembic_head()


@pytest.mark.parametrize("kind", DATABASES)
def test_migrations_go_down_to_nothing_and_up_again(kind, tmp_path):
    with services.scratch_database(kind, tmp_path) as url:
        engine = get_engine({"sqlalchemy.url": url})
        try:
            assert lag_of(engine) == "not migrated"
            migrations.upgrade(engine)
            assert lag_of(engine) is None
            assert {"tax_years", "tax_brackets", "users", "simulations", "session_owners"} <= \
                set(sa.inspect(engine).get_table_names())
            # 0004 and 0005: a batch's years and owner are checked by the service, not row
            # by row by the database (tests/service_layer/test_owner_rows.py).
            assert foreign_keys_of_simulations(engine) == set()
            # 0006: keyed by owner and number, no surrogate id; going back numbers the rows.
            assert primary_key_of_simulations(engine) == ["owner", "number"]
            store_two_simulations(engine)
            migrations.downgrade(engine, "0005")
            assert primary_key_of_simulations(engine) == ["id"]
            with engine.connect() as connection:
                ids = connection.scalars(sa.text("SELECT id FROM simulations")).all()
            assert len(set(ids)) == 2 and None not in ids
            migrations.upgrade(engine)
            assert primary_key_of_simulations(engine) == ["owner", "number"]
            with engine.begin() as connection:  # (their years go with migration 0002)
                assert connection.execute(sa.delete(Simulation)).rowcount == 2
            migrations.downgrade(engine, "0004")
            assert foreign_keys_of_simulations(engine) == {"fk_simulations_owner_session_owners"}
            migrations.downgrade(engine, "0003")
            assert foreign_keys_of_simulations(engine) == {
                "fk_simulations_owner_session_owners", "fk_simulations_year_tax_years"}
            migrations.downgrade(engine, "0001")  # the data migration removes its years
            assert lag_of(engine) == f"at migration 0001, not {migrations.HEAD_REVISION}"
            with engine.connect() as connection:
                assert connection.scalar(sa.text("SELECT COUNT(*) FROM tax_years")) == 0
            migrations.downgrade(engine, "base")
            assert lag_of(engine) == "not migrated"
            assert not {"tax_years", "users", "simulations"} & \
                set(sa.inspect(engine).get_table_names())
            migrations.upgrade(engine)
            assert lag_of(engine) is None
            with engine.connect() as connection:
                assert connection.scalar(sa.text("SELECT COUNT(*) FROM tax_years")) == 8
                assert connection.scalar(sa.text("SELECT COUNT(*) FROM tax_brackets")) == 40
        finally:
            engine.dispose()


def _row(index):
    """Varied figures: both married values, big salaries, rates with four decimals."""
    return dict(married=index % 2 == 0, children=index % 5, salary=index * 9_973,
                tax=index * 1_234, surcharge=index % 7, discount=index % 11,
                reduction=index % 13, rate=[0, 0.14, 0.3, 0.41, 0.45, 0.4525][index % 6],
                year=2019 + index % 8, rules="law")


@pytest.mark.parametrize("sizes", [(1, 1, 3), (250, 1, 120)],
                         ids=["single-rows", "bulk-rows"])
def test_recorded_simulations_read_back_exactly(dbsession, sizes):
    """What record() answers is what is stored: numbers follow on from one call to the
    next, whatever the way the rows go in (one INSERT, executemany, or PostgreSQL's COPY
    from 100 rows on)."""
    from impots_pyramid.services import simulations

    simulations.ensure_owner(dbsession, "bulk-owner")
    answered, start = [], 0
    for size in sizes:
        rows = [_row(start + i) for i in range(size)]
        answered += simulations.record(dbsession, "bulk-owner", rows)
        start += size
    assert [s["id"] for s in answered] == list(range(1, start + 1))
    assert simulations.list_for(dbsession, "bulk-owner") == answered
    assert answered[0]["married"] == "yes" and answered[1]["married"] == "no"


def test_one_calculation_is_one_statement_on_postgresql(engine, dbsession):
    """The path of every calculation: on PostgreSQL the owner's number is taken and the
    row inserted by one statement; the other databases need two (MariaDB three)."""
    from impots_pyramid.services import simulations

    statements = []

    def count(connection, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        first = simulations.record(dbsession, "one-by-one", [_row(1)])  # makes its owner row
        statements.clear()
        second = simulations.record(dbsession, "one-by-one", [_row(2)])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert [first[0]["id"], second[0]["id"]] == [1, 2]
    assert simulations.list_for(dbsession, "one-by-one") == first + second
    assert len(statements) == {"postgresql": 1, "sqlite": 2, "mysql": 3}[engine.dialect.name]
