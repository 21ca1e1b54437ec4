"""What a benchmark run starts from: a new database at the latest migration with the
user admin/admin, empty Redis databases, and the Flask peer's own virtualenv."""
import subprocess
import sys
import venv
from pathlib import Path

import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from impots_pyramid.models import get_engine, get_session_factory, migrations
from impots_pyramid.services.users import save_user

USER, PASSWORD = "admin", "admin"  # what flow.lua logs in with


def empty_database(url: str) -> None:
    """``url``'s database dropped and created again, empty (a peer makes its own tables)."""
    target = make_url(url)
    maintenance = target.set(database="postgres" if target.get_backend_name() == "postgresql"
                             else "mysql")
    admin = sa.create_engine(maintenance, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {target.database}"))
        connection.execute(sa.text(f"CREATE DATABASE {target.database}"))
    admin.dispose()


def fresh_database(url: str) -> None:
    """``url``'s database afresh, at the latest migration, with the user admin/admin."""
    empty_database(url)
    engine = get_engine({"sqlalchemy.url": url})
    migrations.upgrade(engine)
    with get_session_factory(engine).begin() as dbsession:
        save_user(dbsession, USER, PASSWORD)
    engine.dispose()


def empty_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def peer_virtualenv(peer_dir: Path, venv_dir: Path) -> Path:
    """The peer's python, in a virtualenv of its own pinned requirements (made once)."""
    python = venv_dir / "bin" / "python"
    marker = venv_dir / ".installed"
    requirements = peer_dir / "requirements.txt"
    if not marker.exists() or marker.read_text() != requirements.read_text():
        print(f"installing the peer's requirements in {venv_dir}", file=sys.stderr)
        venv.create(venv_dir, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)],
                       check=True)
        marker.write_text(requirements.read_text())
    return python
