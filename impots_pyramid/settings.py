"""Settings: the ini's values, overridden by the environment, coerced and checked once.

Used by the application factory, the console commands and Alembic alike, so that every
entry point sees the same configuration.
"""
import os
import re

from pyramid.settings import asbool

from .tax.vocabulary import COURSE_TAX_YEAR, DEFAULT_RULES, RULE_NAMES

# Environment variables that override the ini (README, Configuration), in every environment.
ENVIRONMENT_OVERRIDES = {
    "IMPOTS_DATABASE_URL": "sqlalchemy.url",
    "IMPOTS_REDIS_URL": "redis.sessions.url",
    "IMPOTS_SESSION_SECRET": "session.secret",
    "IMPOTS_SECURE_COOKIES": "session.secure",
    "IMPOTS_SMTP_HOST": "impots.smtp_host",
    "IMPOTS_LOG_DIR": "impots.log_dir",
}

DEFAULTS = {
    "impots.environment": "development",
    "impots.default_year": str(COURSE_TAX_YEAR),  # the course's year (TAX.md)
    "impots.rules": DEFAULT_RULES,
    "impots.url_prefix": "",
    "impots.csrf": "true",
    "impots.session_timeout": "7200",
    # impots.anonymous_session_timeout: 600, or impots.session_timeout if shorter (normalize).
    "impots.batch_max": "100000",
    "impots.max_body_bytes": str(8 * 1024 * 1024),
    # Simulations one session may hold: one full batch (impots.batch_max) fits.
    "impots.max_simulations": "100000",
    "impots.allowed_hosts": "",
    "session.type": "cookie",
    "session.secure": "false",
    "impots.gc_freeze": "false",
}

# A secret shorter than this, or containing this word, is a development one.
MIN_SECRET_LENGTH = 32
DEVELOPMENT_MARKER = "development"


class ConfigurationError(Exception):
    """The settings cannot run the application; the message says why and what to do."""


def normalize(settings: dict, environ=None) -> dict:
    """A new settings dict: defaults, then the ini, then the environment; types coerced."""
    environ = os.environ if environ is None else environ
    result = dict(DEFAULTS)
    result.update(settings)
    for variable, key in ENVIRONMENT_OVERRIDES.items():
        if environ.get(variable):
            result[key] = environ[variable]

    for key in ("impots.csrf", "session.secure", "impots.gc_freeze"):
        result[key] = asbool(result[key])
    for key in ("impots.default_year", "impots.session_timeout", "impots.batch_max",
                "impots.max_body_bytes", "impots.max_simulations"):
        try:
            result[key] = int(result[key])
        except (TypeError, ValueError):
            raise ConfigurationError(f"setting {key} must be a whole number, not {result[key]!r}")
    check_anonymous_timeout(result)
    if result["impots.max_simulations"] < 1:
        raise ConfigurationError("setting impots.max_simulations must be at least 1, "
                                 f"not {result['impots.max_simulations']}")
    prefix = result["impots.url_prefix"].strip().strip("/")
    result["impots.url_prefix"] = f"/{prefix}" if prefix else ""
    if result["impots.rules"] not in RULE_NAMES:
        raise ConfigurationError(f"setting impots.rules must be {' or '.join(RULE_NAMES)}, "
                                 f"not {result['impots.rules']!r}")
    result["impots.allowed_hosts"] = allowed_hosts(result["impots.allowed_hosts"])
    if result["session.type"] not in ("cookie", "redis"):
        raise ConfigurationError(f"setting session.type must be cookie or redis, not {result['session.type']!r}")
    if not result.get("sqlalchemy.url"):
        raise ConfigurationError("no database: set sqlalchemy.url in the ini or IMPOTS_DATABASE_URL")
    check_secret(result)
    return result


# Seconds a session with no logged-in user lives idle: ten minutes are plenty to read the
# login page and type a password (a client's init-session then authenticate-user takes
# milliseconds), and bound what sessions nobody logs in to can hold in Redis to the
# init-sessions of the last ten minutes, a twelfth of the two hours of a logged-in one.
ANONYMOUS_SESSION_TIMEOUT = 600


def check_anonymous_timeout(result: dict) -> None:
    """``impots.anonymous_session_timeout``: a whole number of seconds from 1 to
    ``impots.session_timeout``; unset, 600 or the session timeout if shorter."""
    key, timeout = "impots.anonymous_session_timeout", result["impots.session_timeout"]
    value = result.get(key)
    if value is None or str(value).strip() == "":
        result[key] = min(ANONYMOUS_SESSION_TIMEOUT, timeout)
        return
    try:
        result[key] = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"setting {key} must be a whole number, not {value!r}")
    if not 1 <= result[key] <= timeout:
        raise ConfigurationError(f"setting {key} must be from 1 to impots.session_timeout "
                                 f"({timeout}), not {result[key]}")


HOST_ENTRY = re.compile(r"^([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$")


def allowed_hosts(value) -> tuple:
    """``impots.allowed_hosts``: host names, each optionally with a port, separated by
    blanks or commas, in lower case; empty: any host."""
    if isinstance(value, (tuple, list)):
        value = " ".join(value)
    entries = tuple(entry.lower() for entry in re.split(r"[\s,]+", value or "") if entry)
    for entry in entries:
        if not HOST_ENTRY.match(entry):
            raise ConfigurationError(
                f"setting impots.allowed_hosts: {entry!r} is not a host name with an optional "
                "port (e.g. impots.example.org or impots.example.org:8443)")
    return entries


def check_secret(settings: dict) -> None:
    """In production, refuse a missing or development session secret, and say why."""
    if settings["impots.environment"] != "production":
        return
    secret = settings.get("session.secret") or ""
    if not secret:
        raise ConfigurationError(
            "impots.environment is production but no session secret is set: "
            "set IMPOTS_SESSION_SECRET to a long random value "
            "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
    if len(secret) < MIN_SECRET_LENGTH or DEVELOPMENT_MARKER in secret.lower():
        raise ConfigurationError(
            "impots.environment is production but the session secret is a development one "
            f"(shorter than {MIN_SECRET_LENGTH} characters or containing "
            f"'{DEVELOPMENT_MARKER}'): set IMPOTS_SESSION_SECRET to a long random value")
