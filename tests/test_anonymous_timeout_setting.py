"""``impots.anonymous_session_timeout``: 600 s, or ``impots.session_timeout`` if shorter; a
whole number from 1 to ``impots.session_timeout``, or the application does not start."""
import pytest

from impots_pyramid.settings import ConfigurationError, normalize

INI = {"sqlalchemy.url": "sqlite://"}


@pytest.mark.parametrize("ini, expected", [
    ({}, 600),
    ({"impots.session_timeout": "300"}, 300),  # never longer than a logged-in session's
    ({"impots.anonymous_session_timeout": "120"}, 120),
    ({"impots.anonymous_session_timeout": " 7200 "}, 7200),
    ({"impots.anonymous_session_timeout": ""}, 600),  # an ini's empty value: the default
])
def test_the_anonymous_timeout_and_its_default(ini, expected):
    assert normalize({**INI, **ini}, environ={})["impots.anonymous_session_timeout"] == expected


@pytest.mark.parametrize("value, reason", [
    ("ten minutes", "must be a whole number"),
    ("0", "must be from 1 to impots.session_timeout"),
    ("7201", r"must be from 1 to impots.session_timeout \(7200\), not 7201"),
])
def test_an_anonymous_timeout_out_of_bounds_is_refused(value, reason):
    with pytest.raises(ConfigurationError, match=reason):
        normalize({**INI, "impots.anonymous_session_timeout": value}, environ={})
