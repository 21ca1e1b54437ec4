"""The income-tax calculation: pure Python and numpy, no web framework, no database.

>>> from impots_pyramid.tax import Household, calculate, load_tax_years
>>> calculate(Household(married=True, children=2, salary=55555), load_tax_years()[2019]).tax
2815
"""
from .engine import OUTPUTS, RULE_SETS, TaxResult, calculate, calculate_batch, calculate_many
from .households import (
    Calculation, FieldError, Household, InvalidInput, parse_calculation, parse_household,
    parse_rules, parse_year,
)
from .parameters import TaxYearParameters, latest_tax_year, load_tax_years, read_rows

__all__ = [
    "OUTPUTS", "RULE_SETS", "TaxResult", "calculate", "calculate_batch", "calculate_many",
    "Calculation", "FieldError", "Household", "InvalidInput", "parse_calculation",
    "parse_household", "parse_rules", "parse_year",
    "TaxYearParameters", "latest_tax_year", "load_tax_years", "read_rows",
]
