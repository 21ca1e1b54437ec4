"""waitress's limits in development.ini and production.ini agree with the application's
(issue 17, point 4: waitress read a 200 MB body whole before the application's 413)."""
import configparser
import pathlib

import pytest

from impots_pyramid.settings import normalize

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("ini", ["development.ini", "production.ini"])
def test_waitress_limits_match_the_settings(ini):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / ini, encoding="utf-8")
    app = normalize(dict(parser["app:main"], **{"sqlalchemy.url": "sqlite://",
                                                "impots.environment": "development"}), {})
    server = parser["server:main"]
    assert int(server["max_request_body_size"]) == app["impots.max_body_bytes"]
    assert 1 <= int(server["connection_limit"]) <= 1000
    assert 1 <= int(server["channel_timeout"]) <= 300
    assert 1 <= int(server["cleanup_interval"]) <= int(server["channel_timeout"])
