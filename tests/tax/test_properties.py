"""Properties every tax year's law rules keep, and the course rules keep for 2019.

Checked by brute force on every salary to 400,000 as well before being written down: the
course's cliffs (décote and reduction stopping at once) only ever raise the tax.
"""
from hypothesis import given, settings, strategies as st

from impots_pyramid.tax import Household, calculate, load_tax_years

YEARS = sorted(load_tax_years())
RULED_YEARS = [("law", year) for year in YEARS] + [("course", 2019)]

ruled_years = st.sampled_from(RULED_YEARS)
married = st.booleans()
children = st.integers(0, 19)  # one more child must stay within the 20 allowed
# Mostly the salaries where the rules change, sometimes anything up to the maximum.
salaries = st.one_of(st.integers(0, 300_000), st.integers(0, 1_000_000_000))


def tax(rules, year, married, children, salary):
    return calculate(Household(married, children, salary), load_tax_years()[year], rules)


@settings(max_examples=500)
@given(ruled_years, married, children, salaries)
def test_tax_is_never_negative(ruled_year, married, children, salary):
    assert tax(*ruled_year, married, children, salary).tax >= 0


@settings(max_examples=500)
@given(ruled_years, married, children, salaries, st.integers(1, 50_000))
def test_tax_never_decreases_when_the_salary_rises(ruled_year, married, children, salary, rise):
    before = tax(*ruled_year, married, children, salary).tax
    after = tax(*ruled_year, married, children, min(salary + rise, 1_000_000_000)).tax
    assert after >= before


@settings(max_examples=500)
@given(ruled_years, married, children, salaries)
def test_one_more_child_never_increases_the_tax(ruled_year, married, children, salary):
    assert (tax(*ruled_year, married, children + 1, salary).tax
            <= tax(*ruled_year, married, children, salary).tax)


@settings(max_examples=500)
@given(ruled_years, married, children, salaries)
def test_the_rate_is_one_of_the_years_rates(ruled_year, married, children, salary):
    rules, year = ruled_year
    assert tax(rules, year, married, children, salary).rate in load_tax_years()[year].rates


@settings(max_examples=300)
@given(ruled_years, married, children, salaries)
def test_the_parts(ruled_year, married, children, salary):
    parts = tax(*ruled_year, married, children, salary).parts
    assert parts == (2 if married else 1) + min(children, 2) / 2 + max(children - 2, 0)
