"""The console commands, run as an administrator would: migrate, create and update users."""
import subprocess
import sys

import sqlalchemy as sa

from impots_pyramid.models import User, get_engine


def run(*args, env=None, stdin=subprocess.DEVNULL):
    import os

    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-c",
                           "import sys; from impots_pyramid.scripts import {0} as m; "
                           "sys.argv[0] = '{0}'; m.main()".format(args[0]), *args[1:]],
                          capture_output=True, text=True, env=environment, stdin=stdin)


def users(url):
    engine = get_engine({"sqlalchemy.url": url})
    with engine.connect() as connection:
        rows = {row.login: row.password_hash for row in connection.execute(sa.select(User))}
    engine.dispose()
    return rows


def test_initialize_then_add_and_update_users(tmp_path):
    url = f"sqlite:///{tmp_path / 'impots.sqlite'}"
    ini = tmp_path / "test.ini"
    ini.write_text(f"[app:main]\nuse = egg:impots_pyramid\nsqlalchemy.url = {url}\n")
    result = run("initialize_db", str(ini), "--user", "alice", "--password", "s3cret")
    assert result.returncode == 0, result.stderr
    assert "migrated to the latest revision" in result.stdout
    assert "user alice: created" in result.stdout
    engine = get_engine({"sqlalchemy.url": url})
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT COUNT(*) FROM tax_years")) == 8
    engine.dispose()

    result = run("add_user", str(ini), "bob", env={"IMPOTS_USER_PASSWORD": "from-env"})
    assert (result.returncode, result.stdout.strip()) == (0, "user bob: created")
    before = users(url)["bob"]
    result = run("add_user", str(ini), "bob", "--password", "changed")
    assert result.stdout.strip() == "user bob: updated"
    after = users(url)
    assert after["bob"] != before and set(after) == {"alice", "bob"}
    user = User(login="bob", password_hash=after["bob"])
    assert user.check_password("changed") and not user.check_password("from-env")


def test_no_password_and_no_terminal_is_a_clear_error(tmp_path):
    ini = tmp_path / "test.ini"
    ini.write_text(f"[app:main]\nuse = egg:impots_pyramid\n"
                   f"sqlalchemy.url = sqlite:///{tmp_path / 'x.sqlite'}\n")
    result = run("add_user", str(ini), "carol")
    assert result.returncode == 1
    assert "no password for carol: use --password or IMPOTS_USER_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_ini_is_a_clear_error(tmp_path):
    result = run("initialize_db", str(tmp_path / "nowhere.ini"))
    assert result.returncode == 1
    assert "configuration file" in result.stderr and "not found" in result.stderr
    assert "Traceback" not in result.stderr
