"""GET /health for load balancers: public, plain JSON, 503 naming what does not answer."""
import pathlib
import subprocess
import sys

import pytest
import webtest

from impots_pyramid import main
from tests.helpers import base_settings, new_app

PROJECT = pathlib.Path(__file__).resolve().parent.parent


def test_health_is_public_json_and_ok(testapp):
    response = testapp.get("/health", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.json == {"database": "ok", "sessions": "ok"}
    assert "Set-Cookie" not in response.headers  # no session is opened for it


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_health_asked_with_another_method_than_get_is_405(testapp, method):
    response = testapp.request("/health", method=method, status=405)
    assert response.headers["Allow"] == "GET, HEAD"
    assert "predicate" not in response.text


@pytest.mark.redis
def test_health_with_redis_sessions(make_app, redis_url):
    app = webtest.TestApp(make_app(**{"session.type": "redis", "redis.sessions.url": redis_url}))
    assert app.get("/health").json == {"database": "ok", "sessions": "ok"}


def test_health_names_the_session_store_that_does_not_answer(sqlite_url):
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    app = webtest.TestApp(new_app(sqlite_url, **{
        "session.type": "redis", "redis.sessions.url": "redis://127.0.0.1:1/0"}))
    response = app.get("/health", status=503)
    assert response.json == {"database": "ok", "sessions": "unavailable"}
    assert response.headers["Retry-After"]


def test_health_names_the_database_that_does_not_answer(tmp_path):
    missing = tmp_path / "no-such-dir" / "db.sqlite"  # SQLite cannot open it
    app = webtest.TestApp(new_app(f"sqlite:///{missing}"))
    response = app.get("/health", status=503)
    assert response.json == {"database": "unavailable", "sessions": "ok"}


def test_health_names_a_database_not_at_the_latest_migration(tmp_path):
    """An empty database: 503 saying what to run, and no Retry-After (waiting never helps)."""
    from impots_pyramid.models import get_engine, migrations

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    engine = get_engine({"sqlalchemy.url": url})
    migrations.upgrade(engine)
    app = main({}, **base_settings(url))
    migrations.downgrade(engine, "base")  # as if the application had started first
    engine.dispose()
    response = webtest.TestApp(app).get("/health", status=503)
    assert response.json == {"database": "not migrated: run initialize_impots_db",
                             "sessions": "ok"}
    assert "Retry-After" not in response.headers


def test_the_application_refuses_to_start_on_an_unmigrated_database(tmp_path):
    from impots_pyramid.settings import ConfigurationError

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    with pytest.raises(ConfigurationError, match=r"is not migrated: run initialize_impots_db "
                                                 r"/srv/impots/production.ini first"):
        main({"__file__": "/srv/impots/production.ini"}, **base_settings(url))


def test_the_running_service_checks_its_schema_without_loading_alembic(sqlite_url):
    """Alembic and Mako (about 12 MB a process) are for the commands that migrate: the
    service reads the version table itself, at its start and on /health."""
    program = ("import sys, webtest; from tests.helpers import new_app; "
               f"app = webtest.TestApp(new_app({sqlite_url!r})); "
               "assert app.get('/health').json['database'] == 'ok'; "
               "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))")
    finished = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                              timeout=120, cwd=PROJECT)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.strip() == "[]"
