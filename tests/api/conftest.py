"""Fixtures of the resource API's tests: Basic credentials, the course's cases, an app
with small limits."""
import csv
import pathlib

import pytest
import webtest

from tests.helpers import TEST_PASSWORD, TEST_USER, basic

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture
def auth():
    """The Authorization header of the test user."""
    return basic(TEST_USER, TEST_PASSWORD)


def read_course_cases() -> list:
    """The 16 households of the course, tax year 2019: law_* and course_* figures."""
    with open(DATA / "course_cases_2019.csv", encoding="utf-8", newline="") as lines:
        return list(csv.DictReader(lines))


COURSE_CASES = read_course_cases()


@pytest.fixture
def small_limits(make_app):
    """The application with a 300-byte body limit and at most 3 households per batch."""
    app = make_app(**{"impots.max_body_bytes": "300", "impots.batch_max": "3"})
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
