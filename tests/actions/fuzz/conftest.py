"""Fixtures of the fuzz tests: the applications (each made once, by make_app) and the
server's error log, watched while a module runs."""
import logging

import pytest

from tests.actions.fuzz.fuzzing import (
    ON_POSTGRESQL, SERVER_ERRORS, VARIANTS, Variant, build_variant)


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request):
    """Each of the four, on SQLite: for the tests of whole requests, sessions and CSRF."""
    return build_variant(request)


@pytest.fixture(scope="module", params=[VARIANTS[0], ON_POSTGRESQL])
def sampled_variant(request):
    """Two that differ in session back end, CSRF and database: for the tests of one input
    (a form, a body, a parameter), which the session store hardly touches (and time is
    short)."""
    return build_variant(request)


@pytest.fixture(scope="module")
def default_variant(make_app):
    """Cookie sessions, CSRF on: the default settings."""
    return Variant(make_app(), True, "cookie")


@pytest.fixture(scope="module", autouse=True)
def server_error_log():
    logger = logging.getLogger("impots_pyramid")
    logger.addHandler(SERVER_ERRORS)
    yield SERVER_ERRORS
    logger.removeHandler(SERVER_ERRORS)
