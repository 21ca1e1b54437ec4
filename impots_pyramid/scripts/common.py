"""What the console commands share: reading the ini, passwords."""
import getpass
import os
import sys

from pyramid.paster import get_appsettings, setup_logging

from ..models import get_engine
from ..settings import ConfigurationError, normalize

PASSWORD_VARIABLE = "IMPOTS_USER_PASSWORD"


def load_settings(config_uri: str) -> dict:
    """The application's settings from an ini file, with the environment's overrides."""
    if not os.path.exists(config_uri.split("#")[0]):
        sys.exit(f"error: configuration file {config_uri} not found")
    setup_logging(config_uri)
    try:
        return normalize(get_appsettings(config_uri))
    except ConfigurationError as exc:
        sys.exit(f"error: {exc}")


def engine_for(config_uri: str):
    return get_engine(load_settings(config_uri))


def resolve_password(given, user: str) -> str:
    """--password, else IMPOTS_USER_PASSWORD, else a prompt (twice) on a terminal."""
    password = given or os.environ.get(PASSWORD_VARIABLE)
    if password:
        return password
    if not sys.stdin.isatty():
        sys.exit(f"error: no password for {user}: use --password or {PASSWORD_VARIABLE}")
    password = getpass.getpass(f"Password for {user}: ")
    if password != getpass.getpass("Again: "):
        sys.exit("error: the passwords differ")
    if not password:
        sys.exit("error: empty password")
    return password
