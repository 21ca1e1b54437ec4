"""The entry points: one household, or whole arrays of them, with a named rule set."""
import dataclasses

import numpy

from . import course, law
from .arith import SCALAR, VECTOR
from .households import Household, check_rules_for_year

RULE_SETS = {"law": law.compute, "course": course.compute}
OUTPUTS = ("tax", "surcharge", "discount", "reduction", "rate")


@dataclasses.dataclass(frozen=True, slots=True)
class TaxResult:
    tax: int
    surcharge: int
    discount: int
    reduction: int
    rate: float
    parts: float
    taxable_income: int

    def outputs(self) -> dict:
        """The five outputs of the action API."""
        return {name: getattr(self, name) for name in OUTPUTS}


def calculate(household: Household, params, rules: str = "law") -> TaxResult:
    """The tax of one household for the tax year ``params`` under ``rules``."""
    check_rules_for_year(rules, params.tax_year)
    figures = RULE_SETS[rules](SCALAR, params, household.married, household.children,
                               household.salary)
    return TaxResult(**figures)


def calculate_many(params, married, children, salary, rules: str = "law") -> dict:
    """Vectorised: arrays in (bools, ints, ints), a dict of arrays out, same figures.

    The keys are TaxResult's fields; amounts are int64 arrays, rate and parts floats.
    """
    check_rules_for_year(rules, params.tax_year)
    married = numpy.asarray(married, dtype=bool)
    children = numpy.asarray(children, dtype=numpy.int64)
    salary = numpy.asarray(salary, dtype=numpy.int64)
    figures = RULE_SETS[rules](VECTOR, params, married, children, salary)
    shape = salary.shape
    # Scalars (e.g. a rate that is the same for every household) become whole arrays.
    return {name: numpy.broadcast_to(value, shape).copy() if numpy.ndim(value) == 0 else value
            for name, value in figures.items()}


def calculate_batch(calculations, tax_years) -> list:
    """The figures of many Calculations (household, year, rules), in order, as dicts of
    plain Python numbers: one vectorised call per (year, rules) group."""
    groups = {}
    for index, calculation in enumerate(calculations):
        groups.setdefault((calculation.year, calculation.rules), []).append(index)
    figures = [None] * len(calculations)
    for (year, rules), indices in groups.items():
        households = [calculations[i].household for i in indices]
        result = calculate_many(tax_years[year], [h.married for h in households],
                                [h.children for h in households],
                                [h.salary for h in households], rules)
        columns = {name: values.tolist() for name, values in result.items()}
        for position, index in enumerate(indices):
            figures[index] = {name: values[position] for name, values in columns.items()}
    return figures
