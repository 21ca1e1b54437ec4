"""Fixtures of the tax engine's tests: the packaged tax years, and OpenFisca-France
loaded once per session (only by the tests marked ``openfisca``)."""
import pytest

from impots_pyramid.tax import load_tax_years


@pytest.fixture(scope="session")
def tax_years():
    return load_tax_years()


@pytest.fixture(scope="session")
def openfisca_system():
    """OpenFisca-France's tax-benefit system, loaded once (it takes a few seconds)."""
    pytest.importorskip("openfisca_france", reason="needs the testing extra")
    from impots_pyramid.tax.openfisca_reference import load_tax_benefit_system

    return load_tax_benefit_system()
