"""explain(): the steps of the calculation, consistent with calculate() and with OpenFisca.

The unit tests need nothing but the engine. The tests marked ``openfisca`` compare every
explained amount with OpenFisca-France's variable of the same meaning (``EXPLAINED`` in
openfisca_reference.py) on 3,000 random households per tax year (random_households), plus
households whose tax is around the 61 € collection threshold and whose taxable income is
around the CEHR's bounds. Tolerances and their reasons:

- 1 € on every amount: OpenFisca keeps cents, or rounds a half euro to the even euro
  (numpy's ``around``) where the law (art. 1657) and we round it up; its CEHR is
  ``arrondi_fiscal`` (halves up) of a float product, which lands a hair under an exact half
  (3 % of 228,550 € is 6,856.50 €: 6,857 € for us, 6,856 € for OpenFisca).
- 2 € on the tax and what follows it for salaries ending in 5, whose deduction ends in
  ,50 € (TAX.md), and 1 € on the taxable income there.
- The collection threshold: OpenFisca leaves an assessment of exactly 61 € uncollected
  (``<=`` 61) where the law collects it (art. 1657, 1 bis: not collected when "inférieur à
  61 €"); and with its iai a euro under ours, 62 € can be 61 € for it. So ``payable.amount``
  may differ where one side is collected and the other is not, both totals being within
  the tolerance of 61 €; anywhere else it agrees like the other amounts.
- ``reduction``: OpenFisca's ``reduction_ss_condition_revenus`` is 20 % of the tax minus the
  décote not yet capped at the tax, negative where the décote exceeds it (ip_net then
  floors the tax at 0); the reduction granted is its positive part.
"""
import json

import numpy
import pytest
from hypothesis import given, settings, strategies as st

from impots_pyramid.tax import Household, calculate, calculate_many, load_tax_years
from impots_pyramid.tax.explain import explain
from impots_pyramid.tax.openfisca_reference import (
    EXPLAINED, random_households, reference_variables,
)
from impots_pyramid.tax.payable import PAYABLE_RULES, payable_rules

YEARS = sorted(load_tax_years())
RULED_YEARS = [("law", year) for year in YEARS] + [("course", 2019)]
HOUSEHOLDS_PER_YEAR = 3000
TOP_LEVEL_KEYS = {
    "year", "rules", "married", "children", "salary", "deduction", "taxable_income", "parts",
    "child_half_parts", "quotient", "brackets", "gross_tax", "tax_without_children", "cap",
    "cap_reached", "tax_after_cap", "surcharge", "discount", "reduction", "tax",
    "marginal_rate", "average_rate", "payable", "applied", "sentences",
}


def households(married, children, salary):
    return [Household(bool(m), int(c), int(s)) for m, c, s in zip(married, children, salary)]


def threshold_households(params, around=(59, 60, 61, 62, 63)):
    """For a few household types, the first salary (not ending in 5) of each tax in
    ``around``: the households at the collection threshold."""
    found = []
    salary = numpy.arange(0, 100_000)
    salary = salary[salary % 10 != 5]
    for married in (False, True):
        for children in (0, 1, 3):
            tax = calculate_many(params, numpy.full(len(salary), married),
                                 numpy.full(len(salary), children), salary)["tax"]
            for amount in around:
                hits = numpy.flatnonzero(tax == amount)
                if len(hits):
                    found.append(Household(married, children, int(salary[hits[0]])))
    return found


def cehr_households(params):
    """Households whose taxable income is around each bound of the CEHR, and 50 € above it
    (where 3 % makes an exact half euro)."""
    found = []
    for married in (False, True):
        rules = payable_rules(params.tax_year)
        scale = rules.cehr_couple if married else rules.cehr_single
        for bound, _ in scale:
            for offset in (-2, -1, 0, 1, 2, 50, 150):
                # Above the deduction's maximum: taxable income = salary - deduction_max.
                found.append(Household(married, 2, bound + offset + params.deduction_max))
    return found


# -- Unit tests: the explanation and the engine -------------------------------------------

@pytest.mark.parametrize("rules,year", RULED_YEARS)
def test_explanation_repeats_calculate(rules, year, tax_years):
    params = tax_years[year]
    sample = households(*random_households(numpy.random.default_rng(year), 1000, params))
    for household in sample + threshold_households(params) + cehr_households(params):
        explained = explain(household, params, rules)
        result = calculate(household, params, rules)
        assert set(explained) == TOP_LEVEL_KEYS
        assert (explained["tax"], explained["surcharge"], explained["discount"],
                explained["reduction"], explained["marginal_rate"], explained["parts"],
                explained["taxable_income"]) == (
            result.tax, result.surcharge, result.discount, result.reduction, result.rate,
            result.parts, result.taxable_income), household


@pytest.mark.parametrize("rules,year", RULED_YEARS)
def test_the_steps_hold_together(rules, year, tax_years):
    params = tax_years[year]
    sample = households(*random_households(numpy.random.default_rng(year + 1), 1000, params))
    for household in sample:
        e = explain(household, params, rules)
        assert e["salary"] - e["deduction"] == e["taxable_income"]
        assert e["parts"] == e["child_half_parts"] / 2 + (2 if household.married else 1)
        assert e["cap"] == params.qf_cap_per_half_part * e["child_half_parts"]
        # The slices: the quotient spread over them, their taxes adding up to the gross tax.
        slices = e["brackets"]
        assert [s["lower"] for s in slices] == list(params.brackets)
        assert [s["upper"] for s in slices] == list(params.brackets[1:]) + [None]
        assert sum(s["taxed_income"] for s in slices) == pytest.approx(e["quotient"], abs=0.03)
        per_part = sum(s["tax"] for s in slices)
        assert abs(per_part * e["parts"] - e["gross_tax"]) <= 1 + 0.005 * 5 * e["parts"]
        assert e["gross_tax"] <= e["tax_without_children"]
        assert e["cap_reached"] == (e["tax_after_cap"] > e["gross_tax"]) or (
            rules == "law" and abs(e["tax_after_cap"] - e["gross_tax"]) <= 1)
        assert e["average_rate"] == (e["tax"] / e["salary"] if e["salary"] else 0)
        if rules == "course":
            # The course works in whole euros throughout: the steps add up exactly.
            assert e["tax_after_cap"] == max(e["gross_tax"],
                                             e["tax_without_children"] - e["cap"])
            assert e["tax"] == e["tax_after_cap"] - e["discount"] - e["reduction"]
        else:
            # Each amount is rounded on its own, the tax once from unrounded figures.
            assert abs(e["tax_after_cap"] - max(e["gross_tax"],
                                                e["tax_without_children"] - e["cap"])) <= 1
            assert abs(e["tax_after_cap"] - e["gross_tax"] - e["surcharge"]) <= 1
            assert abs(max(e["tax_after_cap"] - e["discount"] - e["reduction"], 0)
                       - e["tax"]) <= 1
        assert e["applied"]["cap"] == e["cap_reached"]
        assert e["applied"]["discount"] == (e["discount"] > 0)


def test_the_explanation_is_json(tax_years):
    for rules, year in RULED_YEARS:
        e = explain(Household(True, 3, 1_234_567), tax_years[year], rules)
        assert json.loads(json.dumps(e)) == e
        assert e["married"] == "yes" and e["rules"] == rules and e["year"] == year


def test_a_worked_example(tax_years):
    """A single parent of three, 90,000 € in 2026: the cap binds."""
    e = explain(Household(False, 3, 90_000), tax_years[2026])
    assert (e["deduction"], e["taxable_income"], e["parts"], e["quotient"]) == (
        9000, 81000, 3.0, 27000.0)
    assert [s["taxed_income"] for s in e["brackets"]] == [11600, 15400, 0, 0, 0]
    assert [s["tax"] for s in e["brackets"]] == [0, 1694, 0, 0, 0]
    assert (e["gross_tax"], e["tax_without_children"], e["cap"]) == (5082, 17404, 4 * 1807)
    assert (e["cap_reached"], e["tax_after_cap"], e["surcharge"]) == (True, 10176, 5094)
    assert (e["discount"], e["reduction"], e["tax"], e["marginal_rate"]) == (0, 0, 10176, 0.3)
    assert e["payable"] == {"amount": 10176, "cehr": 0, "collected": True}
    assert e["applied"] == {"cap": True, "discount": False, "reduction": None,
                            "cehr": False, "collected": True}
    assert e["sentences"][0].startswith("Quotient familial cap reached")


def test_the_course_explains_its_own_steps(tax_years):
    """The course's 2019 tax for a couple with two children and 55,555 €: one euro under
    the law's, from its floors; its décote and reduction thresholds."""
    e = explain(Household(True, 2, 55_555), tax_years[2019], "course")
    law = explain(Household(True, 2, 55_555), tax_years[2019], "law")
    assert (e["gross_tax"], e["tax"], law["tax"]) == (2814, 2814, 2815)
    assert "not under 2 627 €" in e["sentences"][1]
    low = explain(Household(False, 0, 20_000), tax_years[2019], "course")
    assert low["applied"]["discount"] and low["applied"]["reduction"] == "full"
    assert low["tax"] == low["tax_after_cap"] - low["discount"] - low["reduction"]
    # The course's deduction is not limited to the salary.
    tiny = explain(Household(False, 0, 100), tax_years[2019], "course")
    assert (tiny["deduction"], tiny["taxable_income"], tiny["quotient"]) == (437, -337, 0)


@pytest.mark.parametrize("year", YEARS)
def test_the_collection_threshold(year, tax_years):
    params = tax_years[year]
    for household in threshold_households(params):
        e = explain(household, params)
        collected = e["tax"] >= 61
        assert e["payable"] == {"amount": e["tax"] if collected else 0, "cehr": 0,
                                "collected": collected}
        assert e["applied"]["collected"] == collected
        assert ("collection threshold: nothing is collected" in e["sentences"][-1]) == (
            0 < e["tax"] < 61)


@pytest.mark.parametrize("married,taxable_income,expected", [
    (False, 250_000, 0), (False, 250_033, 1), (False, 250_050, 2), (False, 300_000, 1500),
    (False, 500_000, 7500), (False, 600_000, 11_500), (True, 500_000, 0),
    (True, 600_000, 3000), (True, 1_000_000, 15_000), (True, 1_500_000, 35_000),
])
def test_the_cehr(married, taxable_income, expected, tax_years):
    for year in YEARS:
        params = tax_years[year]
        e = explain(Household(married, 0, taxable_income + params.deduction_max), params)
        assert e["taxable_income"] == taxable_income
        assert e["payable"]["cehr"] == expected
        assert e["payable"]["amount"] == e["tax"] + expected
        assert e["applied"]["cehr"] == (expected > 0)


def test_the_payable_rules_cover_every_tax_year():
    assert min(PAYABLE_RULES) <= YEARS[0]
    assert all(payable_rules(year).collection_threshold == 61 for year in YEARS)


def test_the_sentences_name_the_rules_that_applied(tax_years):
    reduced = explain(Household(False, 0, 20_000), tax_years[2020])
    assert [s.split(" ")[0] for s in reduced["sentences"]] == ["No", "Décote", "Low-income",
                                                               "589"]
    tapered = explain(Household(False, 0, 22_500), tax_years[2019])
    assert tapered["applied"]["reduction"] == "tapered"
    assert "tapered" in tapered["sentences"][2]
    nothing = explain(Household(True, 0, 0), tax_years[2024])
    assert nothing["sentences"][-2:] == [
        "No tax on the scale: no décote or reduction to take off.", "Nothing to pay."]
    rich = explain(Household(True, 1, 1_500_000), tax_years[2024])
    assert any(s.startswith("High-income contribution (CEHR) of 34 433 €")
               for s in rich["sentences"])


def test_course_rules_refuse_another_year(tax_years):
    from impots_pyramid.tax import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        explain(Household(False, 0, 30_000), tax_years[2021], "course")
    assert [e.field for e in raised.value.errors] == ["year"]


@settings(max_examples=300)
@given(st.sampled_from(RULED_YEARS), st.booleans(), st.integers(0, 20),
       st.one_of(st.integers(0, 300_000), st.integers(0, 1_000_000_000)))
def test_explanation_properties(ruled_year, married, children, salary):
    rules, year = ruled_year
    household = Household(married, children, salary)
    params = load_tax_years()[year]
    e = explain(household, params, rules)
    assert e["tax"] == calculate(household, params, rules).tax
    assert 0 <= e["average_rate"] <= max(params.rates)
    assert e["payable"]["amount"] in (0, e["tax"] + e["payable"]["cehr"])
    assert e["payable"]["collected"] == (e["payable"]["amount"] > 0)
    assert e["quotient"] == pytest.approx(max(e["taxable_income"], 0) / e["parts"], abs=0.01)


# -- OpenFisca-France ---------------------------------------------------------------------

def _ours(explanations, key):
    if key.startswith("payable."):
        return numpy.array([e["payable"][key[len("payable."):]] for e in explanations], float)
    return numpy.array([e[key] for e in explanations], float)


def _theirs(values, key):
    value = values[EXPLAINED[key]]
    if key == "payable.amount":
        return -value  # OpenFisca: negative for an amount to pay
    if key == "reduction":
        return numpy.maximum(value, 0)
    return value


def explained_differences(system, params, sample):
    """{key: |ours - OpenFisca's|} over ``sample``, and the salaries-ending-in-5 mask."""
    married = numpy.array([h.married for h in sample])
    children = numpy.array([h.children for h in sample])
    salary = numpy.array([h.salary for h in sample])
    values = reference_variables(system, params.income_year, married, children, salary,
                                 EXPLAINED.values())
    explanations = [explain(h, params) for h in sample]
    differences = {key: numpy.abs(_ours(explanations, key) - _theirs(values, key))
                   for key in EXPLAINED}
    totals = (_ours(explanations, "tax") + _ours(explanations, "payable.cehr"),
              values["iai"] + values["contribution_exceptionnelle_hauts_revenus"])
    return differences, salary % 10 == 5, totals


@pytest.mark.openfisca
@pytest.mark.parametrize("year", YEARS)
def test_explained_amounts_agree_with_openfisca(year, tax_years, openfisca_system):
    params = tax_years[year]
    sample = (households(*random_households(numpy.random.default_rng(year),
                                            HOUSEHOLDS_PER_YEAR, params))
              + threshold_households(params) + cehr_households(params))
    differences, half_euro, (ours, theirs) = explained_differences(
        openfisca_system, params, sample)
    tolerance = numpy.where(half_euro, 2, 1)
    threshold = payable_rules(year).collection_threshold
    # One side collects, the other not, both at the threshold (see the module docstring).
    at_threshold = (((ours >= threshold) != (theirs > threshold))
                    & (numpy.abs(ours - threshold) <= tolerance)
                    & (numpy.abs(theirs - threshold) <= tolerance))
    beyond = {}
    for key, difference in differences.items():
        allowed = tolerance if key != "parts" else 0
        bad = difference > allowed
        if key == "payable.amount":
            bad &= ~at_threshold
        if bad.any():
            beyond[key] = [(sample[i], float(difference[i])) for i in numpy.flatnonzero(bad)][:5]
    assert beyond == {}
    # The threshold households do meet OpenFisca's "<= 61" at exactly 61.
    assert (at_threshold & (ours == threshold)).any()


@pytest.mark.openfisca
@pytest.mark.parametrize("year", YEARS)
def test_payable_rules_are_openfisca_s(year, tax_years, openfisca_system):
    """The CEHR's scales and the collection threshold of payable.py are OpenFisca's."""
    parameters = openfisca_system.parameters(f"{tax_years[year].income_year}-01-01")
    tax = parameters.impot_revenu
    scales = tax.contributions_exceptionnelles.contribution_exceptionnelle_hauts_revenus
    rules = payable_rules(year)
    for ours, theirs in ((rules.cehr_single, scales.celibataire_ou_assimile),
                         (rules.cehr_couple, scales.maries_ou_pacses)):
        assert list(zip(theirs.thresholds, theirs.rates)) == [(0, 0)] + list(ours)
    assert tax.calcul_impot_revenu.recouvrement.min_avant_credits_impots == (
        rules.collection_threshold)
