"""Logging for production.ini: a log file whose folder comes from the environment, and
errors mailed to an administrator when an SMTP host is configured.

``logging.config.fileConfig`` (what ``pyramid.paster.setup_logging`` uses) cannot read the
environment, hence :class:`LogDirFileHandler`, used in the ini as::

    [handler_file]
    class = impots_pyramid.web.logs.LogDirFileHandler
    args = ('impots.log', '%(here)s/log')

The folder is IMPOTS_LOG_DIR when set, else the second argument (production.ini: ``log/``
next to the ini, so that a checkout works without root; servers set
IMPOTS_LOG_DIR=/var/log/impots). The mail handler needs the application's settings (SMTP
host, addresses), so it is added by :func:`includeme`, i.e. ``config.include(".logs")``.

Errors are mailed from a thread of their own (logging's QueueHandler and QueueListener):
a request that logs an error never waits for the SMTP server, however slow it is; and
each distinct error (the same place, message and exception) is mailed at most once every
``MAIL_INTERVAL`` seconds, so an outage that fails every request sends a few mails, not
one per request. The queue is bounded: past ``MAIL_QUEUE_SIZE`` waiting records, more
are dropped (they are in the log file all the same).
"""
import atexit
import logging
import logging.handlers
import os
import queue
import threading
import time

LOG_DIR_VARIABLE = "IMPOTS_LOG_DIR"
DEFAULT_FORMAT = "%(asctime)s %(levelname)-5.5s [%(name)s:%(lineno)s][pid %(process)d %(threadName)s] %(message)s"
DEFAULT_SUBJECT = "impots-pyramid: error"


def log_dir(default: str) -> str:
    return os.environ.get(LOG_DIR_VARIABLE) or default


class LogDirFileHandler(logging.handlers.WatchedFileHandler):
    """A file in IMPOTS_LOG_DIR (else in ``default_dir``), created with its folder.

    WatchedFileHandler reopens the file when logrotate has moved it, which matters with
    several mod_wsgi daemon processes writing to one file.
    """

    def __init__(self, filename="impots.log", default_dir="log", mode="a", encoding="utf-8"):
        directory = log_dir(default_dir)
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise OSError(
                f"cannot create the log folder {directory} ({exc.strerror}): create it, "
                f"writable by the user the application runs as, or set {LOG_DIR_VARIABLE}") from exc
        super().__init__(os.path.join(directory, filename), mode=mode, encoding=encoding)


def _smtp_address(host: str):
    """``host`` or ``host:port`` as SMTPHandler's mailhost."""
    name, _, port = host.rpartition(":")
    if name and port.isdigit():
        return (name, int(port))
    return host


MAIL_INTERVAL = 300  # seconds between two mails of the same error
MAIL_QUEUE_SIZE = 1000


class OncePerInterval(logging.Filter):
    """Lets each distinct error through once per ``interval`` seconds."""

    def __init__(self, interval: float = MAIL_INTERVAL, clock=time.monotonic):
        super().__init__()
        self.interval, self.clock = interval, clock
        self._last = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(record) -> tuple:
        error = record.exc_info[0].__name__ if record.exc_info else None
        return record.name, record.pathname, record.lineno, str(record.msg), error

    def filter(self, record) -> bool:
        key, now = self.key(record), self.clock()
        with self._lock:
            if now - self._last.get(key, now - self.interval) < self.interval:
                return False
            if len(self._last) >= MAIL_QUEUE_SIZE:
                self._last.clear()
            self._last[key] = now
        return True


class MailListener(logging.handlers.QueueListener):
    """A QueueListener that may be stopped more than once (at exit, after a test)."""

    _stopped = False

    def stop(self):
        if not self._stopped:
            self._stopped = True
            super().stop()


class DroppingQueueHandler(logging.handlers.QueueHandler):
    """A QueueHandler whose full queue drops the record instead of complaining."""

    def enqueue(self, record):
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            pass


def add_mail_handler(settings, logger=None):
    """Mail log records of level ERROR to ``impots.mail_to`` when ``impots.smtp_host``
    (IMPOTS_SMTP_HOST) is set, through a queue and a thread of their own, each distinct
    error once per MAIL_INTERVAL; returns the handler (its SMTPHandler is ``.mail``, its
    listener ``.listener``), or None when no host is set.

    Idempotent: an application built twice in one process gets one handler.
    """
    host = (settings.get("impots.smtp_host") or "").strip()
    if not host:
        return None
    logger = logging.getLogger() if logger is None else logger
    for handler in logger.handlers:
        if getattr(handler, "impots_mail", False):
            return handler
    recipients = (settings.get("impots.mail_to") or "root@localhost").split()
    mail = logging.handlers.SMTPHandler(
        mailhost=_smtp_address(host),
        fromaddr=settings.get("impots.mail_from") or "impots@localhost",
        toaddrs=recipients,
        subject=settings.get("impots.mail_subject") or DEFAULT_SUBJECT,
        timeout=10.0,
    )
    mail.setFormatter(logging.Formatter(DEFAULT_FORMAT))
    waiting = queue.Queue(MAIL_QUEUE_SIZE)
    handler = DroppingQueueHandler(waiting)
    handler.setLevel(logging.ERROR)
    handler.addFilter(OncePerInterval())
    handler.mail = mail
    handler.listener = MailListener(waiting, mail)
    handler.listener.start()
    atexit.register(handler.listener.stop)  # sends what is still waiting
    handler.impots_mail = True
    logger.addHandler(handler)
    return handler


def includeme(config):
    add_mail_handler(config.get_settings())
