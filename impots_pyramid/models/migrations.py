"""Run the Alembic migrations from code (console commands, tests) on a given engine, and
tell whether a database is at the latest one (the application's start, /health)."""
import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

SCRIPT_LOCATION = "impots_pyramid:alembic"


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade(engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine, revision: str = "base") -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


@functools.cache
def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def schema_lag(connection) -> str | None:
    """None when the database is at the latest migration, else what it is at (for a
    message that says what to run)."""
    current = MigrationContext.configure(connection).get_current_revision()
    if current == head_revision():
        return None
    return "not migrated" if current is None else f"at migration {current}, not {head_revision()}"
