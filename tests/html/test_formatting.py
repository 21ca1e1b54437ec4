"""Figures as a reader expects them, without the float's noise."""
import pytest
from pyramid import testing

from impots_pyramid.html.formatting import euros, percent


@pytest.mark.parametrize("locale, rate, text", [
    ("fr", 0.14, "14 %"), ("fr", 0.14000000000000002, "14 %"), ("fr", 0.455, "45,5 %"),
    ("fr", 0, "0 %"), ("en", 0.14, "14%"), ("en", 0.455, "45.5%"),
])
def test_percent(locale, rate, text):
    request = testing.DummyRequest(locale_name=locale)
    with testing.testConfig(request=request):
        assert percent(rate) == text


@pytest.mark.parametrize("locale, amount, text", [
    ("fr", 2815, "2 815 €"), ("fr", 0, "0 €"), ("en", 1234567, "€1,234,567"),
])
def test_euros(locale, amount, text):
    request = testing.DummyRequest(locale_name=locale)
    with testing.testConfig(request=request):
        assert euros(amount) == text
