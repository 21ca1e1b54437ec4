"""One access log line per request (method, path, status, duration, user), never the
query string."""
import logging
import re

import webtest

from tests.actions.client import ActionClient

LINE = re.compile(r"(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) "
                  r"(?P<ms>\d+\.\d) ms (?P<user>\S+)$")


def access_lines(caplog) -> list:
    return [LINE.fullmatch(record.getMessage()).groupdict() for record in caplog.records
            if record.name == "impots_pyramid.access"]


def test_every_request_is_logged_with_its_status_and_user(testapp, caplog):
    caplog.set_level(logging.INFO, logger="impots_pyramid.access")
    client = ActionClient(testapp, "json")
    client.start()
    client.calculate(married="yes", children="2", salary="55555")
    anonymous = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)
    anonymous.get("/api/tax-years/2019/tax?married=yes&children=2&salary=55555", status=401)
    anonymous.get("/no-such-page", status=404)
    lines = access_lines(caplog)
    assert [(line["method"], line["path"], line["status"], line["user"]) for line in lines] == [
        ("GET", "/init-session/json", "200", "-"),
        ("POST", "/authenticate-user", "200", "admin"),
        ("POST", "/calculate-tax", "200", "admin"),
        ("GET", "/api/tax-years/2019/tax", "401", "-"),  # the salary stays out of the log
        ("GET", "/no-such-page", "404", "-"),
    ]


def test_development_ini_shows_the_access_log_on_the_console():
    """The ini's own logging section lets INFO of impots_pyramid.* through to the console
    (production.ini: to its log file)."""
    import configparser
    import pathlib

    for name, handler in (("development.ini", "console"), ("production.ini", "file")):
        ini = configparser.ConfigParser(interpolation=None)
        ini.read(pathlib.Path(__file__).parents[1] / name)
        assert ini["logger_impots_pyramid"]["level"] in ("INFO", "DEBUG")
        assert handler in ini["logger_root"]["handlers"]
        assert ini[f"handler_{handler}"].get("level", "NOTSET") in ("NOTSET", "INFO", "DEBUG")
