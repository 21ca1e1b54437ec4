"""The README's Databases example, run as written in a copy of the project: only the
database names (scratch ones), the account and the host change, and the password comes
from IMPOTS_USER_PASSWORD (the example's `--user admin` would prompt for it)."""
import contextlib
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests import services

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.postgresql, pytest.mark.mysql]


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Databases\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return block


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the README's Databases example no longer says {old!r}"
    return text.replace(old, new)


@contextlib.contextmanager
def dropped_afterwards(server_url, name):
    try:
        yield
    finally:
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def reachable(kind, url):
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        services.unavailable(kind, exc.orig)
    finally:
        engine.dispose()


def admins(url) -> list:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        names = connection.scalars(sa.text("SELECT login FROM users")).all()
    engine.dispose()
    return names


def test_databases_example_runs_as_written(tmp_path):
    postgres, mysql = make_url(services.POSTGRES_URL), make_url(services.MYSQL_URL)
    reachable("postgresql", postgres)
    reachable("mysql", mysql)
    suffix = uuid.uuid4().hex[:12]
    pg_name, my_name = f"impots_readme_{suffix}", f"impots_readme_{suffix}"

    def account(url):
        password = f":{url.password}" if url.password else ""
        return f"{url.username}{password}@{url.host}:{url.port or ''}".rstrip(":")

    script = readme_example()
    script = replace_once(script, "createdb impots ", f"createdb {pg_name} ")
    script = replace_once(script, "postgresql+psycopg2://user:password@localhost/impots ",
                          f"postgresql+psycopg2://{account(postgres)}/{pg_name} ")
    script = replace_once(script, "CREATE DATABASE impots ", f"CREATE DATABASE {my_name} ")
    script = replace_once(script, "mysql+pymysql://user:password@localhost/impots?",
                          f"mysql+pymysql://{account(mysql)}/{my_name}?")

    project = tmp_path / "project"
    project.mkdir()
    (project / "production.ini").write_text((ROOT / "production.ini").read_text())
    (project / ".venv").symlink_to(sys.prefix)  # the Quick start's virtual environment
    home = tmp_path / "home"  # the clients' account and host, as a user's own files say
    home.mkdir()
    (home / ".my.cnf").write_text(
        f"[client]\nhost={mysql.host}\nport={mysql.port or 3306}\nuser={mysql.username}\n"
        + (f"password={mysql.password}\n" if mysql.password else ""))
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("IMPOTS_")}
    environment.update(HOME=str(home), PGHOST=postgres.host, PGPORT=str(postgres.port or 5432),
                       PGUSER=postgres.username, IMPOTS_USER_PASSWORD="s3cret-readme")
    if postgres.password:
        environment["PGPASSWORD"] = postgres.password

    with dropped_afterwards(postgres, pg_name), dropped_afterwards(mysql, my_name):
        result = subprocess.run(["bash", "-e", "-c", script], cwd=project, env=environment,
                                capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
        assert admins(postgres.set(database=pg_name)) == ["admin"]
        assert admins(mysql.set(database=my_name)) == ["admin"]
    assert (project / "log" / "impots.log").exists()
