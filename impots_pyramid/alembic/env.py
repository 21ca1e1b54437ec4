"""Alembic's environment: the database URL from the same settings as the application."""
from alembic import context
from pyramid.paster import get_appsettings, setup_logging

from impots_pyramid.models import get_engine
from impots_pyramid.models.meta import Base
from impots_pyramid.settings import normalize

config = context.config


def run_migrations(connection):
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)  # SQLite alters tables by copying them
    with context.begin_transaction():
        context.run_migrations()


# A caller may hand over its own connection (the console commands and the tests do).
connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    setup_logging(config.config_file_name)
    settings = normalize(get_appsettings(config.config_file_name))
    engine = get_engine(settings)
    with engine.connect() as connection:
        run_migrations(connection)
    engine.dispose()
