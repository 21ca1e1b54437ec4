"""A session's simulations in the database, under the session's owner key.

Numbers come from the owner's row, incremented by an UPDATE that takes the row's lock
(or SQLite's write lock) until the transaction ends: concurrent requests of one session
get distinct numbers, and a number is never reused after a deletion.
"""
import datetime
import secrets

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .models import SessionOwner, Simulation
from .models.simulation import public_view

SIMULATION_COLUMNS = ("married", "children", "salary", "tax", "surcharge", "discount",
                      "reduction", "rate", "year", "rules")


def new_owner_key() -> str:
    return secrets.token_urlsafe(24)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def ensure_owner(dbsession, owner: str) -> None:
    """Create the owner's row at login, before any concurrent calculation races for it."""
    if dbsession.get(SessionOwner, owner) is None:
        dbsession.add(SessionOwner(key=owner, last_number=0, last_seen=now()))
        dbsession.flush()


def reserve_numbers(dbsession, owner: str, count: int) -> range:
    """``count`` new numbers for ``owner``, creating its row the first time."""
    moment = now()
    bump = (update(SessionOwner).where(SessionOwner.key == owner)
            .values(last_number=SessionOwner.last_number + count, last_seen=moment))
    if dbsession.execute(bump).rowcount == 0:
        try:
            with dbsession.begin_nested():
                dbsession.execute(insert(SessionOwner).values(
                    key=owner, last_number=count, last_seen=moment))
        except IntegrityError:  # a concurrent request created it (login normally does)
            dbsession.execute(bump)
    last = dbsession.scalar(select(SessionOwner.last_number).where(SessionOwner.key == owner))
    return range(last - count + 1, last + 1)


def record(dbsession, owner: str, rows: list) -> list:
    """Store simulations (dicts of SIMULATION_COLUMNS); returns them as the API shows them."""
    numbers = reserve_numbers(dbsession, owner, len(rows))
    values = [{"owner": owner, "number": number, **row} for number, row in zip(numbers, rows)]
    dbsession.execute(insert(Simulation), values)
    return [public_view(value) for value in values]


def list_for(dbsession, owner) -> list:
    if owner is None:
        return []
    rows = dbsession.execute(
        select(*(getattr(Simulation, c) for c in ("number",) + SIMULATION_COLUMNS))
        .where(Simulation.owner == owner).order_by(Simulation.number))
    return [public_view(row._mapping) for row in rows]


def delete_one(dbsession, owner, number: int) -> bool:
    if owner is None:
        return False
    result = dbsession.execute(delete(Simulation).where(
        Simulation.owner == owner, Simulation.number == number))
    return result.rowcount > 0


def end(dbsession, owner) -> None:
    """Forget the session's simulations and numbering (end of session)."""
    if owner is not None:
        dbsession.execute(delete(Simulation).where(Simulation.owner == owner))
        dbsession.execute(delete(SessionOwner).where(SessionOwner.key == owner))


def touch(dbsession, owner) -> None:
    """Mark the session active, so that impots-purge leaves its simulations alone."""
    dbsession.execute(update(SessionOwner).where(SessionOwner.key == owner)
                      .values(last_seen=now()))


def purge(dbsession, idle_seconds: int) -> tuple:
    """Delete the simulations of sessions idle for longer than ``idle_seconds``.

    Returns (sessions, simulations) deleted.
    """
    limit = now() - datetime.timedelta(seconds=idle_seconds)
    stale = select(SessionOwner.key).where(SessionOwner.last_seen < limit)
    simulations = dbsession.scalar(select(func.count()).select_from(Simulation)
                                   .where(Simulation.owner.in_(stale)))
    dbsession.execute(delete(Simulation).where(Simulation.owner.in_(stale)))
    sessions = dbsession.execute(delete(SessionOwner).where(SessionOwner.last_seen < limit)).rowcount
    return sessions, simulations
