"""Fixtures of the tax engine's tests: the packaged tax years, the course's cases, and
OpenFisca-France loaded once per session (only by the tests marked ``openfisca``)."""
import csv
import pathlib

import pytest

from impots_pyramid.tax import load_tax_years

DATA = pathlib.Path(__file__).parent / "data"
COURSE_CASES = DATA / "course_cases.csv"


def read_course_cases():
    """The 16 rows of course_cases.csv as dicts of text."""
    with COURSE_CASES.open(encoding="utf-8", newline="") as lines:
        return list(csv.DictReader(lines))


@pytest.fixture(scope="session")
def tax_years():
    return load_tax_years()


@pytest.fixture(scope="session")
def openfisca_system():
    """OpenFisca-France's tax-benefit system, loaded once (it takes a few seconds)."""
    pytest.importorskip("openfisca_france", reason="needs the testing extra")
    from impots_pyramid.tax.openfisca_reference import load_tax_benefit_system

    return load_tax_benefit_system()
