"""impots-pyramid: the application factory, shared by pserve, mod_wsgi, scripts and tests.

Layers, imports going down only (tests/test_layers.py keeps it so):
    html -> actions -> web, services -> models, tax
    api -> web, services -> models, tax
``web`` is the HTTP plumbing every interface shares (sessions, security, renderers, the
failure policy); ``services`` the plain functions they call; ``tax`` the engine, which
imports nothing of the application.
"""
# Pyramid, SQLAlchemy, Alembic and even logging are imported by the functions that need
# them, not by the package: impots-batch imports impots_pyramid.tax and should not pay
# for the web's start-up (a quarter of a second; logging alone, 8 ms).


def check_schema(engine, config_file) -> None:
    """Refuse to start on a database that is not at the latest migration, saying what to
    run (every request would fail); a database that does not answer yet is only logged:
    it may come up later, and /health will say so meanwhile."""
    import logging

    from sqlalchemy.exc import DBAPIError

    from .models import migrations
    from .settings import ConfigurationError

    try:
        with engine.connect() as connection:
            lag = migrations.schema_lag(connection)
    except DBAPIError as exc:
        logging.getLogger(__name__).warning("database not reachable at start-up: %s",
                                            exc.orig)
        return
    if lag is not None:
        raise ConfigurationError(
            f"the database {engine.url.render_as_string(hide_password=True)} is {lag}: "
            f"run initialize_impots_db {config_file or 'YOUR.ini'} first")


def main(global_config, **settings):
    """The paste entry point: returns the WSGI application."""
    from pyramid.config import Configurator

    from .settings import normalize

    with Configurator(settings=normalize(settings)) as config:
        config.include(".models")
        config.include(".services")
        config.include(".web")
        config.include(".actions")
        config.include(".html")
        config.include(".api")
    check_schema(config.registry["dbengine"], (global_config or {}).get("__file__"))
    return config.make_wsgi_app()
