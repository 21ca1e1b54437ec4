"""Models and the request-scoped database session (the cookiecutter's shape)."""
from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import configure_mappers, sessionmaker

from .committed import COMMITS_ALONE
from .meta import Base  # noqa: F401
from .simulation import SessionOwner, Simulation  # noqa: F401
from .tax_year import TaxBracket, TaxYear  # noqa: F401
from .transactions import MANAGER_KEY, TransactionSession
from .user import User  # noqa: F401

# Fail at import time, not at the first request, if a relationship is wrong.
configure_mappers()


def get_engine(settings, prefix="sqlalchemy."):
    # No ping before every checkout by default (a round trip per request): a connection the
    # server dropped fails its first statement, SQLAlchemy then discards the whole pool,
    # and pyramid_retry runs the request again on a new connection (web.failures).
    # engine_from_config leaves pool_pre_ping a string ("false" would be true): coerce it.
    options = {"pool_pre_ping": settings.get(prefix + "pool_pre_ping", "false").lower() == "true"}
    engine = engine_from_config(settings, prefix, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys)
    return engine


def _sqlite_foreign_keys(dbapi_connection, connection_record):
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection.
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def get_session_factory(engine):
    return sessionmaker(bind=engine, class_=TransactionSession)


def get_tm_session(session_factory, transaction_manager):
    """A session joined to ``transaction_manager``: committed or aborted with it. (No
    reference to the request, as the cookiecutter keeps in ``info``: request and session
    would make a cycle, and everything the request holds, its body and its answer
    included, would wait for the garbage collector's rare full pass.)"""
    return session_factory(info={MANAGER_KEY: transaction_manager})


def includeme(config):
    """request.dbsession, bound to the request's transaction (pyramid_tm)."""
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    settings["tm.annotate_user"] = False  # it would touch authentication inside the tm tween
    # An error response that a view returns (rather than raises) must not commit either.
    settings.setdefault("tm.commit_veto", "pyramid_tm.default_commit_veto")

    config.include("pyramid_tm")
    config.include("pyramid_retry")

    dbengine = settings.get("dbengine") or get_engine(settings)
    session_factory = get_session_factory(dbengine)
    config.registry["dbengine"] = dbengine
    config.registry["dbsession_factory"] = session_factory

    def dbsession(request):
        # Tests inject their own session, joined to a transaction they roll back.
        session = request.environ.get("app.dbsession")
        if session is None:
            session = get_tm_session(session_factory, request.tm)
            session.info[COMMITS_ALONE] = True  # the request's own (models.committed)
        return session

    config.add_request_method(dbsession, reify=True)
