"""curve(): the tax against the salary, from the vectorised engine, with checked bounds."""
import numpy
import pytest

from impots_pyramid.tax import Household, InvalidInput, calculate, load_tax_years
from impots_pyramid.tax.curve import MAX_POINTS, curve
from impots_pyramid.tax.households import MAX_SALARY

RULED_YEARS = [("law", year) for year in sorted(load_tax_years())] + [("course", 2019)]
KEYS = {"salary", "tax", "surcharge", "discount", "reduction", "average_rate",
        "marginal_rate", "slope"}


def errors(raised):
    return [(e.field, e.value) for e in raised.value.errors]


@pytest.mark.parametrize("rules,year", RULED_YEARS)
@pytest.mark.parametrize("married,children", [(False, 0), (True, 0), (False, 1), (True, 3)])
def test_the_points_are_calculate_s(rules, year, married, children, tax_years):
    params = tax_years[year]
    points = curve(params, married, children, 0, 200_000, 997, rules)
    assert set(points) == KEYS
    assert all(len(values) == 201 for values in points.values())
    assert points["salary"].tolist() == list(range(0, 200_001, 997))
    for i, salary in enumerate(points["salary"].tolist()):
        result = calculate(Household(married, children, salary), params, rules)
        after = calculate(Household(married, children, salary + 997), params, rules)
        assert (points["tax"][i], points["surcharge"][i], points["discount"][i],
                points["reduction"][i], points["marginal_rate"][i]) == (
            result.tax, result.surcharge, result.discount, result.reduction, result.rate)
        assert points["average_rate"][i] == (result.tax / salary if salary else 0)
        assert points["slope"][i] == pytest.approx((after.tax - result.tax) / 997)


def test_the_slope_shows_the_decote_and_the_deduction(tax_years):
    """Single, 2026: 11 % x 0.9 on the salary plus the décote's 45.25 % of that while it
    lasts; 45 % x 0.9 at the top, above the deduction's maximum."""
    params = tax_years[2026]
    low = curve(params, "no", 0, 20_000, 20_100, 100)
    assert low["discount"][0] > 0 and low["marginal_rate"][0] == 0.11
    assert low["slope"][0] == pytest.approx(0.11 * 0.9 * 1.4525, abs=0.01)
    top = curve(params, "no", 0, 900_000, 900_100, 100)
    assert top["slope"][0] == pytest.approx(0.45, abs=0.01)


def test_the_bounds_of_the_grid(tax_years):
    params = tax_years[2024]
    assert curve(params, True, 0, 0, 10, 3)["salary"].tolist() == [0, 3, 6, 9]
    assert curve(params, True, 0, 5, 5, 1)["salary"].tolist() == [5]
    assert len(curve(params, True, 0, 0, MAX_POINTS - 1, 1)["salary"]) == MAX_POINTS
    top = curve(params, True, 0, MAX_SALARY - 10, MAX_SALARY, 10)
    assert top["salary"].tolist() == [MAX_SALARY - 10, MAX_SALARY]
    assert numpy.isfinite(top["slope"]).all()


def test_inputs_as_text_are_accepted(tax_years):
    points = curve(tax_years[2019], "oui", "2", " 1000", "3000", "1000", "course")
    assert points["salary"].tolist() == [1000, 2000, 3000]


@pytest.mark.parametrize("bounds,expected", [
    ((100, 10, 1), [("to", 10)]),
    ((0, 10, 0), [("step", 0)]),
    ((0, 10, -5), [("step", -5)]),
    ((-1, 10, 1), [("from", -1)]),
    ((0, MAX_SALARY + 1, 1_000_000), [("to", MAX_SALARY + 1)]),
    ((0, MAX_POINTS, 1), [("step", 1)]),
    ((0, 1_000_000, 99), [("step", 99)]),
    ((None, 10, 1), [("from", None)]),
    ((0, 10, 2.5), [("step", 2.5)]),
    (("1e3", "x", 1), [("from", "1e3"), ("to", "x")]),
    ((-1, -2, 0), [("from", -1), ("to", -2), ("step", 0)]),
])
def test_bad_bounds_name_their_field(bounds, expected, tax_years):
    with pytest.raises(InvalidInput) as raised:
        curve(tax_years[2025], False, 0, *bounds)
    assert errors(raised) == expected


def test_too_many_points_says_the_smallest_step(tax_years):
    with pytest.raises(InvalidInput) as raised:
        curve(tax_years[2025], False, 0, 0, 1_000_000, 99)
    assert raised.value.messages == [
        "invalid value [99] for [step]: at most 10 001 points: a step of at least 100 "
        "expected from 0 to 1 000 000"]
    assert len(curve(tax_years[2025], False, 0, 0, 1_000_000, 100)["salary"]) == MAX_POINTS


def test_long_values_are_shortened(tax_years):
    with pytest.raises(InvalidInput) as raised:
        curve(tax_years[2025], False, 0, "9" * 1000, 10 ** 60, "x" * 51)
    values = [e.value for e in raised.value.errors]
    assert [e.field for e in raised.value.errors] == ["from", "to", "step"]
    assert values == ["9" * 49 + "…", "1" + "0" * 48 + "…", "x" * 49 + "…"]
    assert all(len(message) < 200 for message in raised.value.messages)


def test_every_bad_field_at_once(tax_years):
    with pytest.raises(InvalidInput) as raised:
        curve(tax_years[2021], "maybe", 21, 10, 0, 1, "course")
    assert errors(raised) == [("married", "maybe"), ("children", 21), ("to", 0),
                              ("year", 2021)]
    with pytest.raises(InvalidInput) as raised:
        curve(tax_years[2021], True, 0, 0, 10, 1, "lawful")
    assert errors(raised) == [("rules", "lawful")]
