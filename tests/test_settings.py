"""Settings: the environment overrides the ini; production refuses a weak secret."""
import pytest

from impots_pyramid.settings import ConfigurationError, normalize

INI = {"sqlalchemy.url": "sqlite://", "session.secret": "from the ini"}
STRONG = "0123456789abcdef0123456789abcdef-strong"


def test_environment_overrides_the_ini():
    settings = normalize(INI, environ={
        "IMPOTS_DATABASE_URL": "postgresql://db/impots", "IMPOTS_REDIS_URL": "redis://r:6379/2",
        "IMPOTS_SESSION_SECRET": STRONG, "IMPOTS_SECURE_COOKIES": "false"})
    assert settings["sqlalchemy.url"] == "postgresql://db/impots"
    assert settings["redis.sessions.url"] == "redis://r:6379/2"
    assert settings["session.secret"] == STRONG
    assert settings["session.secure"] is False


def test_defaults_and_types():
    settings = normalize({"sqlalchemy.url": "sqlite://", "impots.url_prefix": "do/"}, environ={})
    assert settings["impots.default_year"] == 2019
    assert settings["impots.csrf"] is True
    assert settings["impots.url_prefix"] == "/do"
    assert settings["impots.max_body_bytes"] == 8 * 1024 * 1024


@pytest.mark.parametrize("secret, reason", [
    (None, "no session secret is set"),
    ("short", "the session secret is a development one"),
    ("development secret: change me in production, really", "a development one"),
])
def test_production_refuses_a_missing_or_development_secret(secret, reason):
    ini = {"sqlalchemy.url": "sqlite://", "impots.environment": "production"}
    if secret:
        ini["session.secret"] = secret
    with pytest.raises(ConfigurationError, match=reason) as error:
        normalize(ini, environ={})
    assert "IMPOTS_SESSION_SECRET" in str(error.value)
    ini["session.secret"] = STRONG
    assert normalize(ini, environ={})["session.secret"] == STRONG


@pytest.mark.parametrize("key, value", [("impots.rules", "fancy"), ("session.type", "memcached"),
                                        ("impots.batch_max", "lots")])
def test_bad_settings_are_named(key, value):
    with pytest.raises(ConfigurationError, match=key):
        normalize({**INI, key: value}, environ={})
