"""The law rules against OpenFisca-France, an independent model of the same law.

For every tax year of the data file, 3,000 random households (see random_households: half
couples, 0 to 6 children, salaries mostly below 250,000 with a tail to 5 millions, one in
five on an edge of the rules) go through one vectorised OpenFisca simulation.

Tolerances, from TAX.md: tax, surcharge, discount and reduction within 1 euro (OpenFisca
keeps some amounts in cents), 2 euros for salaries ending in 5, where 10 % of the salary
ends in ,50 and OpenFisca rounds that half to the even euro. That same half euro can put
OpenFisca's taxable income one euro above ours, across a slice bound: there the rate must
be the one we compute for a salary one euro higher (whose deduction rounds to the same
taxable income), e.g. a single parent of one child earning 81,685 in 2021 (0.41 for
OpenFisca, whose taxable income 73,517 is past the 73,516 bound; 0.30 for us).
"""
import numpy
import pytest

from impots_pyramid.tax import calculate_many, load_tax_years
from impots_pyramid.tax.openfisca_reference import random_households, reference_figures

HOUSEHOLDS_PER_YEAR = 3000
AMOUNTS = ("tax", "surcharge", "discount", "reduction")


def disagreements(params, married, children, salary, ours, theirs):
    """(output, household, ours, theirs) beyond the tolerance."""
    half_euro = salary % 10 == 5
    tolerance = numpy.where(half_euro, 2, 1)
    found = []
    for name in AMOUNTS:
        for i in numpy.flatnonzero(numpy.abs(ours[name] - theirs[name]) > tolerance):
            found.append((name, (bool(married[i]), int(children[i]), int(salary[i])),
                          int(ours[name][i]), float(theirs[name][i])))
    rate = numpy.round(theirs["rate"], 4)  # OpenFisca computes in float32
    one_euro_more = calculate_many(params, married, children, salary + 1)["rate"]
    rate_ok = (rate == ours["rate"]) | (half_euro & (rate == one_euro_more))
    for i in numpy.flatnonzero(~rate_ok):
        found.append(("rate", (bool(married[i]), int(children[i]), int(salary[i])),
                      float(ours["rate"][i]), float(rate[i])))
    return found


@pytest.mark.openfisca
@pytest.mark.parametrize("year", sorted(load_tax_years()))
def test_law_rules_agree_with_openfisca(year, tax_years, openfisca_system):
    params = tax_years[year]
    married, children, salary = random_households(
        numpy.random.default_rng(year), HOUSEHOLDS_PER_YEAR, params)
    ours = calculate_many(params, married, children, salary)
    theirs = reference_figures(openfisca_system, params.income_year, married, children, salary)
    assert disagreements(params, married, children, salary, ours, theirs) == []


@pytest.mark.openfisca
def test_the_course_cases_agree_with_openfisca(tax_years, openfisca_system):
    """The official simulator's figures of the course (law_* columns) are OpenFisca's too."""
    from tests.helpers import read_course_cases

    cases = read_course_cases()
    theirs = reference_figures(openfisca_system, 2018, [c["married"] == "yes" for c in cases],
                               [int(c["children"]) for c in cases],
                               [int(c["salary"]) for c in cases])
    assert numpy.round(theirs["tax"]).tolist() == [int(c["law_tax"]) for c in cases]
    assert numpy.round(theirs["rate"], 4).tolist() == [float(c["law_rate"]) for c in cases]


def test_the_sample_reaches_every_part_of_the_rules(tax_years):
    """Without this, agreement could come from households the rules barely touch."""
    for year, params in tax_years.items():
        married, children, salary = random_households(
            numpy.random.default_rng(year), HOUSEHOLDS_PER_YEAR, params)
        ours = calculate_many(params, married, children, salary)
        assert 0.4 < married.mean() < 0.6 and set(children) == set(range(7))
        assert (salary == 0).any() and (salary > 1_000_000).sum() > 50
        assert (numpy.abs(salary - params.deduction_max * 10) <= 3).sum() > 10
        assert (ours["discount"] > 0).sum() > 100 and (ours["surcharge"] > 0).sum() > 500
        assert set(ours["rate"]) == set(params.rates)
        if params.has_reduction:
            assert (ours["reduction"] > 0).sum() > 50
