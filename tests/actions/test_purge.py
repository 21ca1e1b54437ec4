"""impots-purge deletes the simulations of sessions idle past the timeout, and only those."""
import datetime
import subprocess
import sys

import sqlalchemy as sa

from impots_pyramid.models import SessionOwner, Simulation, get_engine
from tests.actions.client import ActionClient
from tests.helpers import migrated_database, new_app


def test_purge_deletes_only_expired_sessions(tmp_path, tmp_path_factory):
    """With a 600 s timeout, a session whose activity was recorded 650 s ago may still be
    alive (activity is recorded once a minute; a Redis session lives up to 10 s more):
    kept. One recorded an hour ago: purged."""
    # A database of its own: other tests' sessions must not count.
    databases = migrated_database("sqlite", tmp_path_factory)
    sqlite_url = next(databases)
    settings = {"impots.session_timeout": "600"}
    old = ActionClient(new_app(sqlite_url, **settings)).start()
    recent = ActionClient(new_app(sqlite_url, **settings)).start()
    old.calculate(married="no", children="0", salary="30000")
    recent.calculate(married="no", children="0", salary="40000")
    engine = get_engine({"sqlalchemy.url": sqlite_url})
    with engine.begin() as connection:
        keys = connection.scalars(sa.select(SessionOwner.key).order_by(SessionOwner.last_seen)).all()
        stale = datetime.datetime.utcnow() - datetime.timedelta(seconds=3600)
        old_key = connection.scalar(sa.select(Simulation.owner).where(Simulation.salary == 30000))
        connection.execute(sa.update(SessionOwner).where(SessionOwner.key == old_key)
                           .values(last_seen=stale))
        connection.execute(sa.update(SessionOwner).where(SessionOwner.key != old_key).values(
            last_seen=datetime.datetime.utcnow() - datetime.timedelta(seconds=650)))
    ini = tmp_path / "purge.ini"
    ini.write_text(f"[app:main]\nuse = egg:impots_pyramid\nsqlalchemy.url = {sqlite_url}\n"
                   "impots.session_timeout = 600\n")
    result = subprocess.run([sys.executable, "-m", "impots_pyramid.scripts.purge", str(ini)],
                            capture_output=True, text=True, check=True)
    assert "purged 1 simulation(s) of 1 expired session(s) (idle for more than 670 s)" \
        in result.stdout
    # Its owner row gone, the purged cookie session is logged out (web.security).
    status, data = old.get("/list-simulations")
    assert (status, data["status"]) == (401, 101)
    assert [s["salary"] for s in recent.simulations()] == [40000]
    assert len(keys) >= 2
    engine.dispose()
