"""Database sessions joined to the request's transaction manager (pyramid_tm).

The cookiecutter registers zope.sqlalchemy's event listeners on every new session, and
adding SQLAlchemy listeners to an instance costs about 0.1 ms: a tenth of a calculation's
whole budget. Here they are registered once, on a Session class, and each session names
its own transaction manager in ``session.info``; a session without one (the console
scripts' plain ``with factory.begin()``) is left alone.
"""
from sqlalchemy import event
from sqlalchemy.orm import Session
from zope.sqlalchemy.datamanager import ZopeTransactionEvents, join_transaction, mark_changed

COMMITTING = "Committing"  # transaction's Status.COMMITTING (its module is private)

MANAGER_KEY = "transaction_manager"
# In ``session.info`` once the session's transaction has written (models.committed).
WROTE = "wrote"


def has_written(session) -> bool:
    return session.info.get(WROTE, False)


def manager_of(session):
    return session.info.get(MANAGER_KEY)


class PerSessionManagerEvents(ZopeTransactionEvents):
    """zope.sqlalchemy's listeners, with the transaction manager of each session."""

    def _join(self, session):
        manager = manager_of(session)
        if manager is not None:
            join_transaction(session, self.initial_state, manager, self.keep_session)

    def _changed(self, session):
        session.info[WROTE] = True
        manager = manager_of(session)
        if manager is not None:
            mark_changed(session, manager, self.keep_session)

    def after_begin(self, session, transaction, connection):
        self._join(session)

    def after_attach(self, session, instance):
        self._join(session)

    def after_flush(self, session, flush_context):
        self._changed(session)

    def after_bulk_update(self, update_context):
        self._changed(update_context.session)

    def after_bulk_delete(self, delete_context):
        self._changed(delete_context.session)

    def before_commit(self, session):
        manager = manager_of(session)
        assert (manager is None or session.in_nested_transaction()
                or manager.get().status == COMMITTING), \
            "Transaction must be committed using the transaction manager"

    def do_orm_execute(self, execute_state):
        if execute_state.is_orm_statement and (
                execute_state.is_update or execute_state.is_insert or execute_state.is_delete):
            self._changed(execute_state.session)

    def mark_changed(self, session):
        self._changed(session)


class TransactionSession(Session):
    """The application's sessions: joined to their manager's transaction, if they have one."""


def _register_once():
    # The events that zope.sqlalchemy's register() listens to, on the class.
    events = PerSessionManagerEvents()
    for name in ("after_begin", "after_attach", "after_flush", "after_bulk_update",
                 "after_bulk_delete", "before_commit", "do_orm_execute"):
        event.listen(TransactionSession, name, getattr(events, name))
    return events


EVENTS = _register_once()


def mark_session_changed(session) -> None:
    """For Core statements, which zope.sqlalchemy cannot see: the transaction must commit."""
    EVENTS.mark_changed(session)
