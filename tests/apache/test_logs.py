"""impots_pyramid.web.logs, as production.ini uses it: the log file's folder from
IMPOTS_LOG_DIR, and errors mailed (over real SMTP, to a small server on the loopback)
only when an SMTP host is set."""
import logging
import logging.config
import socketserver
import threading
import time

import pytest
from pyramid.config import Configurator

from impots_pyramid.web import logs


class SMTPRecorder(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: keeps each message's envelope and text."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 localhost test SMTP")
        envelope = {"to": []}
        while line := self.rfile.readline().decode():
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "MAIL":
                envelope["from"] = line.split(":", 1)[1].strip()
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(line.split(":", 1)[1].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                lines = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    lines.append(data)
                self.server.messages.append({**envelope, "text": "".join(lines)})
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


def wait_for(condition, seconds=10.0):
    """The mail goes out from the listener's thread: wait for what it should have done."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class SilentSMTP(socketserver.StreamRequestHandler):
    """An SMTP server that accepts the connection and never answers (until released)."""

    def handle(self):
        self.server.connected.set()
        self.server.release.wait(30)


@pytest.fixture
def silent_smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SilentSMTP)
    server.daemon_threads = True
    server.connected, server.release = threading.Event(), threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPRecorder)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def logger():
    """A logger of its own, so that no handler reaches the suite's root logger."""
    test_logger = logging.getLogger("impots_pyramid.tests.mail")
    test_logger.propagate = False
    yield test_logger
    for handler in list(test_logger.handlers):
        test_logger.removeHandler(handler)
        handler.close()
        if hasattr(handler, "listener"):
            handler.listener.stop()


def test_log_file_in_impots_log_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPOTS_LOG_DIR", str(tmp_path / "var" / "log" / "impots"))
    handler = logs.LogDirFileHandler("impots.log", str(tmp_path / "unused"))
    handler.close()
    assert handler.baseFilename == str(tmp_path / "var" / "log" / "impots" / "impots.log")
    assert not (tmp_path / "unused").exists()


def test_log_file_next_to_the_ini_by_default(tmp_path, monkeypatch):
    """production.ini's logging section, as pyramid.paster.setup_logging reads it."""
    monkeypatch.delenv("IMPOTS_LOG_DIR", raising=False)
    ini = tmp_path / "site.ini"
    ini.write_text(
        "[loggers]\nkeys = root\n[handlers]\nkeys = file\n[formatters]\nkeys = generic\n"
        "[logger_root]\nlevel = INFO\nhandlers = file\n"
        "[handler_file]\nclass = impots_pyramid.web.logs.LogDirFileHandler\n"
        "args = ('impots.log', '%(here)s/log')\nformatter = generic\n"
        "[formatter_generic]\nformat = %(levelname)s %(message)s\n")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logging.config.fileConfig(str(ini), {"here": str(tmp_path)},
                                  disable_existing_loggers=False)
        logging.getLogger("impots_pyramid.tests").warning("written next to the ini")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = saved
    assert "WARNING written next to the ini" in (tmp_path / "log" / "impots.log").read_text()


def test_unwritable_log_folder_is_named(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("IMPOTS_LOG_DIR", str(blocker / "logs"))
    with pytest.raises(OSError, match=f"cannot create the log folder {blocker}/logs .*IMPOTS_LOG_DIR"):
        logs.LogDirFileHandler()


def test_no_mail_handler_without_smtp_host(logger):
    assert logs.add_mail_handler({"impots.smtp_host": ""}, logger) is None
    assert logger.handlers == []


def test_errors_are_mailed_when_an_smtp_host_is_set(smtp_server, logger):
    host, port = smtp_server.server_address
    settings = {"impots.smtp_host": f"{host}:{port}", "impots.mail_from": "impots@example.org",
                "impots.mail_to": "admin@example.org ops@example.org",
                "impots.mail_subject": "impots: error"}
    handler = logs.add_mail_handler(settings, logger)
    assert logs.add_mail_handler(settings, logger) is handler  # once per process
    logger.warning("a warning is not mailed")
    try:
        raise ValueError("the database said no")
    except ValueError:
        logger.exception("calculate-tax failed")
    wait_for(lambda: smtp_server.messages)
    [message] = smtp_server.messages
    assert message["from"] == "<impots@example.org>"
    assert message["to"] == ["<admin@example.org>", "<ops@example.org>"]
    assert "Subject: impots: error" in message["text"]
    assert "calculate-tax failed" in message["text"]
    assert "ValueError: the database said no" in message["text"]


def test_includeme_adds_the_mail_handler_to_the_root_logger(smtp_server):
    host, port = smtp_server.server_address
    config = Configurator(settings={"impots.smtp_host": f"{host}:{port}"})
    root = logging.getLogger()
    before = root.handlers[:]
    try:
        config.include("impots_pyramid.web.logs")
        added = [handler for handler in root.handlers if handler not in before]
        assert len(added) == 1 and added[0].level == logging.ERROR
        assert added[0].mail.mailhost == host and added[0].mail.mailport == port
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
                handler.listener.stop()


def fail(logger, error, place="calculate-tax failed"):
    try:
        raise error
    except type(error):
        logger.exception(place)


def test_an_error_repeated_by_every_request_is_mailed_once(smtp_server, logger):
    """A 5 s outage fails hundreds of requests with the same error: one mail, not 138;
    another error still gets its own."""
    host, port = smtp_server.server_address
    logs.add_mail_handler({"impots.smtp_host": f"{host}:{port}"}, logger)
    for _ in range(200):
        fail(logger, ConnectionError("redis is gone"))
    fail(logger, ValueError("something else"), "list-simulations failed")
    wait_for(lambda: len(smtp_server.messages) >= 2)
    time.sleep(0.2)  # nothing more comes
    texts = [message["text"] for message in smtp_server.messages]
    assert len(texts) == 2, texts
    assert "ConnectionError: redis is gone" in texts[0]
    assert "ValueError: something else" in texts[1]


def test_an_smtp_server_that_never_answers_does_not_hold_the_request(silent_smtp_server,
                                                                     logger):
    """The server holds the connection without a word (until released): the requests
    that log errors meanwhile come back at once (a synchronous mail would hold each for
    SMTPHandler's 10 s timeout)."""
    host, port = silent_smtp_server.server_address
    logs.add_mail_handler({"impots.smtp_host": f"{host}:{port}"}, logger)
    requests = [threading.Thread(target=fail, args=(logger, RuntimeError(n), f"place {n}"))
                for n in range(3)]
    for request in requests:
        request.start()
    assert silent_smtp_server.connected.wait(5)  # the mail thread is stuck in SMTP now
    for request in requests:
        request.join(timeout=3)
        assert not request.is_alive(), "a request waited for the SMTP server"
    silent_smtp_server.release.set()


def test_each_distinct_error_passes_once_per_interval():
    moments = iter([0, 10, 299, 301, 302])
    once = logs.OncePerInterval(interval=300, clock=lambda: next(moments))
    record = logging.LogRecord("impots", logging.ERROR, "f.py", 1, "failed", None, None)
    other = logging.LogRecord("impots", logging.ERROR, "f.py", 2, "failed", None, None)
    assert [once.filter(record), once.filter(record), once.filter(other),
            once.filter(record), once.filter(record)] == [True, False, True, True, False]
