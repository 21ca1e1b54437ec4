"""A simulation never outlives its owner's row, and a purge never takes an active
session's simulations (migration 0005: no foreign key does it for the service).

Each race is played on the real servers with two connections: a request storing a batch
holds its owner's row from its number to its commit; end-session or impots-purge runs
meanwhile on the other connection, and must wait for it.
"""
import datetime
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from impots_pyramid.models import SessionOwner, Simulation, get_engine
from impots_pyramid.services import simulations
from tests import services
from tests.helpers import DATABASES, migrate_with_test_user

SERVERS = [kind for kind in DATABASES if kind != "sqlite"]  # two connections write at once
ROW = {"married": True, "children": 2, "salary": 55555, "tax": 2815, "surcharge": 0,
       "discount": 0, "reduction": 0, "rate": 0.14, "year": 2019, "rules": "law"}
BATCH = [ROW] * 150  # the COPY's size on PostgreSQL
IDLE = 3600


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path):
    with services.scratch_database(request.param, tmp_path) as url:
        migrate_with_test_user(url)
        engine = get_engine({"sqlalchemy.url": url})
        yield engine
        engine.dispose()


def stored(engine, owner) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(Simulation)
                                 .where(Simulation.owner == owner))


def owner_row(engine, owner) -> bool:
    with engine.connect() as connection:
        return connection.scalar(sa.select(SessionOwner.key).where(SessionOwner.key == owner)) \
            is not None


def new_owner(engine, owner, simulations_held=0, idle=False):
    with Session(engine) as dbsession, dbsession.begin():
        simulations.ensure_owner(dbsession, owner)
        if simulations_held:
            simulations.record(dbsession, owner, [ROW] * simulations_held, create=False)
        if idle:
            dbsession.execute(sa.update(SessionOwner).where(SessionOwner.key == owner).values(
                last_seen=simulations.now() - datetime.timedelta(seconds=2 * IDLE)))


def while_storing(engine, owner, other):
    """Store BATCH for ``owner`` in a transaction left open while ``other`` (a function of
    a new database session, committed by its end) runs in a thread; commit after 0.5 s.
    Returns whether ``other`` had to wait for the commit, and its result."""
    outcome = {}

    def run_other():
        with Session(engine) as dbsession, dbsession.begin():
            outcome["result"] = other(dbsession)
        outcome["done"] = time.monotonic()

    with Session(engine) as dbsession, dbsession.begin():
        simulations.record(dbsession, owner, BATCH, create=False)
        thread = threading.Thread(target=run_other)
        thread.start()
        time.sleep(0.5)
        committed = time.monotonic()
    thread.join(30)
    assert not thread.is_alive()
    return outcome["done"] >= committed, outcome["result"]


def test_end_session_forgets_the_owner_and_its_simulations(engine):
    new_owner(engine, "ended", simulations_held=3)
    with Session(engine) as dbsession, dbsession.begin():
        simulations.end(dbsession, "ended")
    assert (owner_row(engine, "ended"), stored(engine, "ended")) == (False, 0)


def test_purge_forgets_idle_owners_and_their_simulations_only(engine):
    new_owner(engine, "idle", simulations_held=2, idle=True)
    new_owner(engine, "active", simulations_held=1)
    with Session(engine) as dbsession, dbsession.begin():
        assert simulations.purge(dbsession, IDLE) == (1, 2)
    assert (owner_row(engine, "idle"), stored(engine, "idle")) == (False, 0)
    assert (owner_row(engine, "active"), stored(engine, "active")) == (True, 1)


@pytest.mark.parametrize("engine", SERVERS, indirect=True)
def test_a_batch_being_stored_when_its_session_ends_is_forgotten_with_it(engine):
    new_owner(engine, "ending")
    waited, _ = while_storing(engine, "ending", lambda db: simulations.end(db, "ending"))
    assert waited  # end-session waited for the batch's commit...
    # ...and then deleted what it stored: no simulation without its owner.
    assert (owner_row(engine, "ending"), stored(engine, "ending")) == (False, 0)


@pytest.mark.parametrize("engine", SERVERS, indirect=True)
def test_a_purge_leaves_a_session_that_stores_a_batch_meanwhile(engine):
    new_owner(engine, "waking", simulations_held=2, idle=True)
    waited, purged = while_storing(engine, "waking",
                                   lambda db: simulations.purge(db, IDLE))
    assert waited and purged == (0, 0)
    assert (owner_row(engine, "waking"), stored(engine, "waking")) == (True, 2 + len(BATCH))


@pytest.mark.parametrize("engine", SERVERS, indirect=True)
def test_a_batch_after_its_session_ended_stores_nothing(engine):
    new_owner(engine, "gone")
    with Session(engine) as dbsession, dbsession.begin():
        simulations.end(dbsession, "gone")
    with Session(engine) as dbsession, dbsession.begin():
        with pytest.raises(simulations.OwnerGone):
            simulations.record(dbsession, "gone", BATCH, create=False)
    assert stored(engine, "gone") == 0
