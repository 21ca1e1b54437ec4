"""calculate_many (numpy arrays) gives exactly what calculate gives for each household."""
import dataclasses

import numpy
import pytest

from impots_pyramid.tax import Household, calculate, calculate_many, load_tax_years
from impots_pyramid.tax.openfisca_reference import random_households

RULED_YEARS = [("law", year) for year in sorted(load_tax_years())] + [("course", 2019)]


@pytest.mark.parametrize("rules,year", RULED_YEARS)
def test_vectorised_equals_scalar_on_random_households(rules, year, tax_years):
    params = tax_years[year]
    married, children, salary = random_households(numpy.random.default_rng(year), 3000, params)
    figures = calculate_many(params, married, children, salary, rules)
    for i in range(len(salary)):
        one = calculate(Household(bool(married[i]), int(children[i]), int(salary[i])),
                        params, rules)
        many = {name: figures[name][i].item() for name in figures}
        assert many == dataclasses.asdict(one), (married[i], children[i], salary[i])


def test_every_output_is_an_array_of_the_batch_length(tax_years):
    figures = calculate_many(tax_years[2026], [True, False], [0, 3], [0, 40_000])
    assert set(figures) == {"tax", "surcharge", "discount", "reduction", "rate", "parts",
                            "taxable_income"}
    assert all(numpy.shape(value) == (2,) for value in figures.values())
    assert figures["reduction"].tolist() == [0, 0]  # no reduction after tax year 2020


def test_course_rules_refuse_another_year_naming_the_year(tax_years):
    from impots_pyramid.tax import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        calculate_many(tax_years[2020], [True], [0], [30_000], "course")
    assert [e.field for e in raised.value.errors] == ["year"]
    assert "2020" in raised.value.messages[0]
