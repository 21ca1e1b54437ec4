"""Run the Alembic migrations from code (console commands, tests) on a given engine."""
from alembic import command
from alembic.config import Config

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
