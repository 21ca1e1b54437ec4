"""Helpers of the whole suite (imported by tests and fixtures; conftest files only define
fixtures)."""


def forget_failed_logins(app) -> None:
    """The failed-login throttle of ``app`` emptied: a test starts with no earlier failure
    counted against the test user (its counts outlive a test: the application does)."""
    app.registry["login_throttle"].reset()
