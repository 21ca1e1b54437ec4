"""The course's sixteen households: course rules exact on all five outputs, law rules
(tax year 2019) exact on the law_* columns."""
import pytest

from impots_pyramid.tax import OUTPUTS, Household, calculate, calculate_many
from tests.helpers import read_course_cases

CASES = read_course_cases()


def household(case):
    return Household(married=case["married"] == "yes", children=int(case["children"]),
                     salary=int(case["salary"]))


def expected(case, prefix):
    return {name: (float if name == "rate" else int)(case[f"{prefix}_{name}"])
            for name in OUTPUTS}


def test_the_file_has_the_sixteen_cases():
    assert len(CASES) == 16


@pytest.mark.parametrize("rules", ["course", "law"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['married']}-{c['children']}-{c['salary']}")
def test_one_household(case, rules, tax_years):
    result = calculate(household(case), tax_years[2019], rules)
    assert result.outputs() == expected(case, rules)


@pytest.mark.parametrize("rules", ["course", "law"])
def test_all_sixteen_at_once(rules, tax_years):
    figures = calculate_many(tax_years[2019], [c["married"] == "yes" for c in CASES],
                             [int(c["children"]) for c in CASES],
                             [int(c["salary"]) for c in CASES], rules)
    got = [{name: figures[name][i].item() for name in OUTPUTS} for i in range(len(CASES))]
    assert got == [expected(c, rules) for c in CASES]
