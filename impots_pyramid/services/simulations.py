"""A session's simulations in the database, under the session's owner key.

Numbers come from the owner's row, incremented by an UPDATE that takes the row's lock
(or SQLite's write lock) until the transaction ends: concurrent requests of one session
get distinct numbers, and a number is never reused after a deletion.
"""
import csv
import datetime
import io
import secrets
import time

import numpy

from pyramid.security import forget
from sqlalchemy import Float, bindparam, case, cast, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import psycopg2
from sqlalchemy.exc import IntegrityError

from ..models import SessionOwner, Simulation, committed
from ..models.simulation import public_view
from ..models.transactions import mark_session_changed
from ..tax import calculate, calculate_batch, calculate_many
from ..tax.vocabulary import RULE_NAMES
from . import session_keys
from .tables import SimulationRows, SimulationTable, column_cells, join_columns

SIMULATION_COLUMNS = ("married", "children", "salary", "tax", "surcharge", "discount",
                      "reduction", "rate", "year", "rules")


class TooManySimulations(Exception):
    """The session already holds ``limit`` simulations (``impots.max_simulations``)."""

    def __init__(self, held: int, limit: int):
        super().__init__(f"this session already holds {held} simulations, at most {limit}: "
                         "delete some or end the session")
        self.message = str(self)
        self.held, self.limit = held, limit


# A session's activity is written to its owner row at most this often (impots-purge).
TOUCH_INTERVAL = 60  # seconds


def new_owner_key() -> str:
    return secrets.token_urlsafe(24)


def session_owner(session) -> str:
    """The key of the session's simulations, made on first need: a session that never
    logged in (an API client sending HTTP Basic credentials) has none yet."""
    owner = session.get(session_keys.OWNER)
    if owner is None:
        owner = session[session_keys.OWNER] = new_owner_key()
    return owner


class OwnerGone(Exception):
    """The session's owner key names no row any more: the session was ended, or purged."""


# What a session loses when its owner row is found gone: it starts again, logged out
# (the response type stays, so that its client still gets its refusals in its format).
ENDED_SESSION_KEYS = (session_keys.USER, session_keys.OWNER, session_keys.SEEN,
                      session_keys.LAST_SIMULATION)


def record_for_session(dbsession, session, rows: list, limit=None) -> list:
    """Store ``rows`` under the session's owner key. A row is made only for a key made
    now, never again for a key whose row is gone (ended or purged): that would revive the
    ended session, and every copy of its cookie with it. Such a session (a copied cookie
    sent with HTTP Basic credentials) is logged out and gets a new key."""
    owner = session.get(session_keys.OWNER)
    if owner is not None:
        try:
            return record(dbsession, owner, rows, limit, create=False)
        except OwnerGone:
            for key in ENDED_SESSION_KEYS:
                session.pop(key, None)
    return record(dbsession, session_owner(session), rows, limit)


def calculation_row(calculation, figures: dict) -> dict:
    """The row stored for one simulation: its inputs, outputs, year and rules."""
    household = calculation.household
    return {"married": household.married, "children": household.children,
            "salary": household.salary, "tax": figures["tax"],
            "surcharge": figures["surcharge"], "discount": figures["discount"],
            "reduction": figures["reduction"], "rate": figures["rate"],
            "year": calculation.year, "rules": calculation.rules}


def record_calculation(dbsession, session, calculation, tax_years, limit=None) -> dict:
    """Compute one calculation (household, year, rules) and store it in the session
    (TooManySimulations if that would make more than ``limit``)."""
    result = calculate(calculation.household, tax_years[calculation.year], calculation.rules)
    [simulation] = record_for_session(dbsession, session,
                                      [calculation_row(calculation, result.outputs())], limit)
    return simulation


def record_calculations(dbsession, session, calculations, tax_years, limit=None) -> list:
    """Compute a batch (one vectorised call per year and rule set) and store it whole,
    or nothing (TooManySimulations) if that would make more than ``limit``."""
    rows = [calculation_row(calculation, figures) for calculation, figures
            in zip(calculations, calculate_batch(calculations, tax_years))]
    return record_for_session(dbsession, session, rows, limit)


class SimulationColumns:
    """Rows to store (SIMULATION_COLUMNS), as arrays: a batch validated and computed by
    column (``record_columns``), for ``record``'s multi-row path."""

    def __init__(self, **columns):
        self.columns = columns  # SIMULATION_COLUMNS -> array; rules: array of str

    def __len__(self):
        return len(self.columns["salary"])

    def as_dicts(self) -> list:
        lists = {name: numpy.asarray(values).tolist() for name, values in self.columns.items()}
        return [dict(zip(SIMULATION_COLUMNS, values))
                for values in zip(*(lists[name] for name in SIMULATION_COLUMNS))]

    def table(self, numbers: range) -> SimulationTable:
        c = self.columns
        return SimulationTable(numpy.arange(numbers.start, numbers.stop), c["married"],
                               c["children"], c["salary"], c["tax"], c["surcharge"],
                               c["discount"], c["reduction"], c["rate"], c["year"])


def compute_columns(parsed, tax_years) -> SimulationColumns:
    """The figures of a batch validated by ``tax.parse_columns`` (no bad row): one
    vectorised call per (year, rules) group."""
    count = len(parsed.salary)
    outputs = {name: numpy.zeros(count, numpy.int64) for name in ("tax", "surcharge",
                                                                  "discount", "reduction")}
    outputs["rate"] = numpy.zeros(count, numpy.float64)
    pairs = numpy.unique(parsed.year * 8 + parsed.rules)
    for pair in pairs.tolist():
        year, rules = divmod(pair, 8)
        rows = numpy.flatnonzero((parsed.year == year) & (parsed.rules == rules)) \
            if len(pairs) > 1 else slice(None)
        figures = calculate_many(tax_years[year], parsed.married[rows], parsed.children[rows],
                                 parsed.salary[rows], RULE_NAMES[rules])
        for name, column in outputs.items():
            column[rows] = figures[name]
    return SimulationColumns(married=parsed.married, children=parsed.children,
                             salary=parsed.salary, year=parsed.year,
                             rules=numpy.array(RULE_NAMES)[parsed.rules], **outputs)


def record_columns(dbsession, session, parsed, tax_years, limit=None):
    """``record_calculations`` of a batch validated by ``tax.parse_columns``: the same
    rows stored, the same answer, as a SimulationTable."""
    rows = compute_columns(parsed, tax_years)
    if len(rows) == 1:
        return record_for_session(dbsession, session, rows.as_dicts(), limit)
    return record_for_session(dbsession, session, rows, limit)


def session_simulations(dbsession, session, offset: int = 0, limit: int | None = None) -> list:
    return list_for(dbsession, session.get(session_keys.OWNER), offset, limit)


def session_table(dbsession, session, offset: int = 0, limit: int | None = None):
    """``session_simulations`` as a SimulationTable (``list_table``)."""
    return list_table(dbsession, session.get(session_keys.OWNER), offset, limit)


CSV_COLUMNS = ("id", "married", "children", "salary", "year", "tax", "surcharge", "discount",
               "reduction", "rate")


def session_simulations_csv(dbsession, session) -> str:
    """The session's simulations as CSV text: a header line, then one line each."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in session_simulations(dbsession, session):
        writer.writerow(row[column] for column in CSV_COLUMNS)
    return text.getvalue()


def delete_from_session(dbsession, session, raw_number: str) -> bool:
    """Delete the session's simulation numbered ``raw_number`` (as typed in a URL)."""
    number = (int(raw_number) if raw_number.isascii() and raw_number.isdigit()
              and len(raw_number) < 10 else None)
    return number is not None and delete_one(dbsession, session.get(session_keys.OWNER), number)


def end_session(request) -> None:
    """Forget the session's simulations, log out and drop the session."""
    end(request.dbsession, request.session.get(session_keys.OWNER))
    forget(request)
    request.session.invalidate()


def note_activity(dbsession, session) -> None:
    """Mark the session active (at most once a TOUCH_INTERVAL), so that impots-purge
    leaves its simulations alone."""
    owner = session.get(session_keys.OWNER)
    if owner is None:
        return
    moment = int(time.time())
    if moment - session.get(session_keys.SEEN, 0) >= TOUCH_INTERVAL:
        touch(dbsession, owner)
        session[session_keys.SEEN] = moment


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def ensure_owner(dbsession, owner: str) -> None:
    """Create the owner's row, before any concurrent calculation races for it."""
    if dbsession.get(SessionOwner, owner) is None:
        _add_owner(dbsession, owner)


def _add_owner(dbsession, owner: str) -> None:
    dbsession.add(SessionOwner(key=owner, last_number=0, last_seen=now()))
    dbsession.flush()


def owner_exists(dbsession, owner) -> bool:
    """Whether ``owner`` names a row: one primary-key lookup. A session's row lives from
    its login to its end (end-session) or its purge (impots-purge)."""
    return owner is not None and dbsession.execute(
        OWNER_EXISTS, {"owner": owner}).first() is not None


def ensure_session_owner(dbsession, session) -> str:
    """At login: the session's owner key, with its row. The session's own key while its
    row exists (the same user logging in again keeps the simulations); a new key when the
    row is gone, for an ended or purged key must never name a row again (its cookies
    would be logged in again)."""
    owner = session.get(session_keys.OWNER)
    if owner is not None and owner_exists(dbsession, owner):
        return owner
    owner = session[session_keys.OWNER] = new_owner_key()
    _add_owner(dbsession, owner)
    return owner


# Core statements on the session's connection, not the ORM's bulk operations: this is
# the path of every calculation, and the ORM's unit of work has nothing to add to it.
OWNERS, SIMULATIONS = SessionOwner.__table__, Simulation.__table__


def _writing_connection(dbsession):
    """The session's connection, the transaction marked as writing: zope.sqlalchemy sees
    no ORM change in Core statements and would otherwise roll them back at the end."""
    mark_session_changed(dbsession)
    return dbsession.connection()


# Built once: only their parameters change from one calculation to the next.
BUMP = (update(OWNERS).where(OWNERS.c.key == bindparam("owner"))
        .values(last_number=OWNERS.c.last_number + bindparam("count"),
                last_seen=bindparam("moment")))
BUMP_RETURNING = BUMP.returning(OWNERS.c.last_number)
LAST_NUMBER = select(OWNERS.c.last_number).where(OWNERS.c.key == bindparam("owner"))
INSERT_OWNER = insert(OWNERS)
INSERT_SIMULATIONS = insert(SIMULATIONS)
OWNER_EXISTS = select(OWNERS.c.key).where(OWNERS.c.key == bindparam("owner"))


def _bump(connection, owner: str, count: int, moment) -> int | None:
    """The owner's last number after adding ``count``; None when it has no row yet."""
    parameters = {"owner": owner, "count": count, "moment": moment}
    if connection.dialect.update_returning:  # one round trip (not MariaDB)
        return connection.execute(BUMP_RETURNING, parameters).scalar()
    if connection.execute(BUMP, parameters).rowcount == 0:
        return None
    return connection.execute(LAST_NUMBER, parameters).scalar()


def reserve_numbers(connection, dbsession, owner: str, count: int,
                    create: bool = True) -> range:
    """``count`` new numbers for ``owner``, creating its row the first time (only if
    ``create``: else OwnerGone)."""
    moment = now()
    last = _bump(connection, owner, count, moment)
    if last is None:
        if not create:
            raise OwnerGone(owner)
        try:
            with dbsession.begin_nested():
                connection.execute(INSERT_OWNER, {"key": owner, "last_number": count,
                                                  "last_seen": moment})
            last = count
        except IntegrityError:  # a concurrent request created it (login normally does)
            last = _bump(connection, owner, count, moment)
    return range(last - count + 1, last + 1)


# One calculation on PostgreSQL: the owner's number taken and the row inserted in one
# statement (a data-modifying CTE), one round trip instead of two. Its RETURNING is empty
# when the owner has no row yet, or when its numbers have reached ``below`` (the session
# may be full: check_room counts); record() then takes the general path. Below the limit
# the session holds fewer simulations than its last number: no count is needed.
_BUMPED = BUMP_RETURNING.where(OWNERS.c.last_number < bindparam("below")).cte("bumped")
INSERT_ONE_NUMBERED = (
    insert(SIMULATIONS)
    .from_select(("owner", "number") + SIMULATION_COLUMNS, select(
        bindparam("owner", type_=SIMULATIONS.c.owner.type), _BUMPED.c.last_number,
        *(bindparam(column, type_=SIMULATIONS.c[column].type) for column in SIMULATION_COLUMNS)))
    .returning(SIMULATIONS.c.number))
# The same as PostgreSQL's text, for a statement committed on its own (models.committed),
# with its numbers written in by Python (``_numbered_sql``): psycopg2 adapts each parameter
# in about 10,000 instructions, 14 of them a third of the calculation's cost of storing
# (bench/instructions.py). psycopg2 would send the very same text: it interpolates
# parameters on the client, a number as its digits, a bool as true or false. Only the
# owner's key and the rule set, text, stay parameters; the moment is the server's clock
# (UTC, as ``now()`` gives it here).
_NUMBERS = {"married": "{married}", "children": "{children:d}", "salary": "{salary:d}",
            "tax": "{tax:d}", "surcharge": "{surcharge:d}", "discount": "{discount:d}",
            "reduction": "{reduction:d}", "rate": "{rate!r}", "year": "{year:d}",
            "below": "{below:d}", "count": "1", "moment": "(now() AT TIME ZONE 'UTC')"}


def _template(sql: str) -> str:
    assert "{" not in sql and "}" not in sql
    for name, text in _NUMBERS.items():
        sql = sql.replace(f"%({name})s", text)
    return sql


INSERT_ONE_NUMBERED_SQL = _template(str(INSERT_ONE_NUMBERED.compile(dialect=psycopg2.dialect())))
NO_LIMIT = 2**31 - 1


def _numbered_sql(row: dict, below: int) -> str:
    """INSERT_ONE_NUMBERED_SQL with the row's numbers (ints, a bool, a float rate)."""
    return INSERT_ONE_NUMBERED_SQL.format(
        married="true" if row["married"] else "false", children=row["children"],
        salary=row["salary"], tax=row["tax"], surcharge=row["surcharge"],
        discount=row["discount"], reduction=row["reduction"], rate=float(row["rate"]),
        year=row["year"], below=below)


def _record_one_numbered(dbsession, owner: str, row: dict, limit) -> dict | None:
    """One simulation in one statement on PostgreSQL, committed on its own when the
    request allows it (models.committed), else in the request's transaction; None when the
    general path must do it."""
    value = {"owner": owner, **row}
    below = NO_LIMIT if limit is None else limit
    if committed.may_commit_alone(dbsession):
        number = committed.scalar(dbsession, _numbered_sql(row, below),
                                  {"owner": owner, "rules": row["rules"]})
    else:
        connection = _writing_connection(dbsession)
        if connection.dialect.name != "postgresql":  # no UPDATE in a CTE elsewhere
            return None
        number = connection.execute(INSERT_ONE_NUMBERED, {
            **value, "count": 1, "moment": now(), "below": below}).scalar()
    return None if number is None else {**value, "number": number}


COUNT_HELD = (select(func.count()).select_from(SIMULATIONS)
              .where(SIMULATIONS.c.owner == bindparam("owner")))


def check_room(connection, owner: str, last_number: int, adding: int, limit,
               inserted: int = 0) -> None:
    """TooManySimulations unless the owner's simulations, with the ``adding`` new ones
    (numbered up to ``last_number``; ``inserted`` of them already are), are at most
    ``limit``.

    Called once the owner's row is locked (its number taken): concurrent requests of one
    session count one after the other. A session never holds more simulations than it
    was given numbers, so the count (an index scan) is only made once ``last_number``
    passes the limit: below it, a calculation costs no extra statement. (On MySQL's
    REPEATABLE READ, the count reads the transaction's snapshot: concurrent requests of
    one session may pass the limit by one request's rows.)"""
    if limit is None or last_number <= limit:
        return
    held = connection.execute(COUNT_HELD, {"owner": owner}).scalar() - inserted
    if held + adding > limit:
        raise TooManySimulations(held, limit)


def record(dbsession, owner: str, rows: list, limit: int | None = None,
           create: bool = True) -> list:
    """Store simulations (dicts of SIMULATION_COLUMNS); returns them as the API shows them.
    With ``limit``, refuses (TooManySimulations) to make the owner hold more; the caller's
    transaction is then aborted with whatever this one did. Without ``create``, an owner
    that has no row raises OwnerGone (nothing written)."""
    if len(rows) == 1:
        value = _record_one_numbered(dbsession, owner, rows[0], limit)
        if value is not None:
            return [public_view(value)]
    connection = _writing_connection(dbsession)
    numbers = reserve_numbers(connection, dbsession, owner, len(rows), create)
    check_room(connection, owner, numbers.stop - 1, len(rows), limit)
    if isinstance(rows, SimulationColumns):
        if _by_copy(connection, len(rows)):
            _copy_columns(connection, owner, numbers, rows)
        else:
            connection.execute(INSERT_SIMULATIONS, [
                {"owner": owner, "number": number, **row}
                for number, row in zip(numbers, rows.as_dicts())])
        return rows.table(numbers)
    values = [{"owner": owner, "number": number, **row} for number, row in zip(numbers, rows)]
    if len(values) == 1:
        connection.execute(INSERT_SIMULATIONS, values[0])
    elif _by_copy(connection, len(values)):
        _copy(connection, values)
    else:  # executemany, which the drivers batch
        connection.execute(INSERT_SIMULATIONS, values)
    return [public_view(value) for value in values]


# From this many rows on, PostgreSQL gets them through COPY: several times faster than the
# multi-row INSERTs of executemany (10,000 rows: about 0.3 s instead of 2 s).
COPY_THRESHOLD = 100
COPY_COLUMNS = ("owner", "number") + SIMULATION_COLUMNS


def _by_copy(connection, count: int) -> bool:
    return count >= COPY_THRESHOLD and connection.dialect.driver == "psycopg2"


COPY_STATEMENT = (f"COPY {SIMULATIONS.name} ({', '.join(COPY_COLUMNS)}) "
                  "FROM STDIN WITH (FORMAT csv)")


def _copy_csv(connection, buffer) -> None:
    """COPY the rows of ``buffer`` (CSV of COPY_COLUMNS) on the driver's connection,
    inside the transaction the request is in."""
    with connection.connection.dbapi_connection.cursor() as cursor:
        cursor.copy_expert(COPY_STATEMENT, buffer)


def _copy(connection, values: list) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([value[column] for column in COPY_COLUMNS] for value in values)
    buffer.seek(0)
    _copy_csv(connection, buffer)


def _copy_columns(connection, owner: str, numbers: range, rows: SimulationColumns) -> None:
    """COPY of a batch's rows, its CSV text made column by column (no quoting needed: the
    owner key is URL-safe base64, the rules a rule name, the rest numbers)."""
    c = rows.columns
    pieces = [owner.encode() + b",", column_cells(numpy.arange(numbers.start, numbers.stop)), b",",
              numpy.where(c["married"], b"t", b"f")]
    for name in SIMULATION_COLUMNS[1:]:
        column = c[name]
        pieces += [b",", column.astype("S") if name == "rules" else column_cells(column)]
    _copy_csv(connection, io.BytesIO(join_columns(pieces, b"\n") + b"\n"))


def list_for(dbsession, owner, offset: int = 0, limit: int | None = None) -> list:
    """The owner's simulations by number; ``offset`` and ``limit`` page them."""
    if owner is None:
        return []
    query = (select(*(getattr(Simulation, c) for c in ("number",) + SIMULATION_COLUMNS))
             .where(Simulation.owner == owner).order_by(Simulation.number))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = dbsession.execute(query)
    return [public_view(row._mapping) for row in rows]


def list_table(dbsession, owner, offset: int = 0, limit: int | None = None) -> SimulationRows:
    """``list_for`` as SimulationRows: the DBAPI cursor's tuples as they come (no Row, no
    dict per row), ``married`` already yes/no and ``rate`` a float (the action API's
    list-simulations)."""
    if owner is None:
        return SimulationRows([])
    query = LISTED.where(SIMULATIONS.c.owner == owner)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    result = dbsession.execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if rows and type(rows[0][8]) is not float:  # a back end that kept the Decimal
        rows = [row[:8] + (float(row[8]), row[9]) for row in rows]
    return SimulationRows(rows)


LISTED_COLUMNS = ("married", "children", "salary", "tax", "surcharge", "discount",
                  "reduction", "rate", "year")
# public_view's values, computed by the database: married as yes/no, the rate (a
# NUMERIC) as a float, as public_view makes them.
LISTED = select(
    SIMULATIONS.c.number, case((SIMULATIONS.c.married, "yes"), else_="no"),
    *(cast(SIMULATIONS.c[c], Float) if c == "rate" else SIMULATIONS.c[c]
      for c in LISTED_COLUMNS[1:]),
).order_by(SIMULATIONS.c.number)


def delete_one(dbsession, owner, number: int) -> bool:
    if owner is None:
        return False
    result = dbsession.execute(delete(Simulation).where(
        Simulation.owner == owner, Simulation.number == number))
    return result.rowcount > 0


def end(dbsession, owner) -> None:
    """Forget the session's simulations and numbering (end of session)."""
    if owner is not None:
        _forget_owners(dbsession, [owner])


def _forget_owners(dbsession, keys: list, *still) -> tuple:
    """Delete the owner rows of ``keys`` (those that still meet the conditions ``still``),
    then the simulations of the rows that went: (rows, simulations) deleted.

    The owner's row goes first: a request storing simulations holds that row's lock from
    its number to its commit, so the delete waits for it, and the simulations' delete, a
    later statement, sees what it stored (the other way round, they would outlive their
    owner); a request coming after finds no row and stores nothing (OwnerGone)."""
    owners = dbsession.execute(
        delete(SessionOwner).where(SessionOwner.key.in_(keys), *still)).rowcount
    gone = keys
    if still:  # a row that no longer met them stays, with its simulations
        kept = set(dbsession.scalars(select(SessionOwner.key).where(SessionOwner.key.in_(keys))))
        gone = [key for key in keys if key not in kept]
    simulations = dbsession.execute(
        delete(Simulation).where(Simulation.owner.in_(gone))).rowcount if gone else 0
    return owners, simulations


def touch(dbsession, owner) -> None:
    """Mark the session active, so that impots-purge leaves its simulations alone."""
    dbsession.execute(update(SessionOwner).where(SessionOwner.key == owner)
                      .values(last_seen=now()))


PURGED_TOGETHER = 500  # owners deleted by one statement (the bound of its IN list)


def purge(dbsession, idle_seconds: int) -> tuple:
    """Delete the simulations of sessions idle for longer than ``idle_seconds``.

    Returns (sessions, simulations) deleted. Each owner's row goes only while it is still
    idle: a request may have stored simulations, and so marked it active, since it was
    found (``_forget_owners``).
    """
    limit = now() - datetime.timedelta(seconds=idle_seconds)
    stale = dbsession.scalars(select(SessionOwner.key)
                              .where(SessionOwner.last_seen < limit)).all()
    sessions = simulations = 0
    for start in range(0, len(stale), PURGED_TOGETHER):
        owners, deleted = _forget_owners(dbsession, stale[start:start + PURGED_TOGETHER],
                                         SessionOwner.last_seen < limit)
        sessions, simulations = sessions + owners, simulations + deleted
    return sessions, simulations
