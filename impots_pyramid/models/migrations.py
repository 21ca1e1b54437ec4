"""Run the Alembic migrations from code (console commands, tests) on a given engine, and
tell whether a database is at the latest one (the application's start, /health).

The running service only needs the latter: it reads Alembic's version table itself, so
that Alembic (and Mako), about 12 MB, are only imported by the commands that migrate.
"""
from sqlalchemy import inspect, text

SCRIPT_LOCATION = "impots_pyramid:alembic"
# The latest migration (impots_pyramid/alembic/versions/); tests/test_persistence.py
# checks that it is Alembic's head.
HEAD_REVISION = "0006"
VERSION_TABLE = "alembic_version"


def alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade(engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine, revision: str = "base") -> None:
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def alembic_head() -> str:
    """The head of the migration scripts, as Alembic reads them."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def current_revision(connection) -> str | None:
    """The database's migration, as Alembic's version table records it (None: none)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def schema_lag(connection) -> str | None:
    """None when the database is at the latest migration, else what it is at (for a
    message that says what to run)."""
    current = current_revision(connection)
    if current == HEAD_REVISION:
        return None
    return "not migrated" if current is None else f"at migration {current}, not {HEAD_REVISION}"
