"""Raw input (form fields, CSV cells, JSON values) into typed, validated households.

Every error names the field and quotes the value as received, and all the errors of one
input are reported together.
"""
import dataclasses
import re
from typing import Iterable, Mapping

from .vocabulary import (  # noqa: F401 (re-exported: the engine's vocabulary)
    COURSE_TAX_YEAR, DEFAULT_RULES, FIELD_ALIASES, MARRIED_WORDS, MAX_CHILDREN, MAX_DIGITS,
    MAX_SALARY, RULE_NAMES,
)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


@dataclasses.dataclass(frozen=True)
class FieldError:
    field: str
    value: object  # as received; None when the field is missing
    detail: str

    @property
    def message(self) -> str:
        if self.value is None:
            return f"missing field [{self.field}]"
        return f"invalid value [{self.value}] for [{self.field}]: {self.detail}"

    def as_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "detail": self.message}


class InvalidInput(ValueError):
    """One or more fields are wrong; ``errors`` lists them all."""

    def __init__(self, errors: Iterable[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(self.messages))

    @property
    def messages(self) -> list:
        return [e.message for e in self.errors]


@dataclasses.dataclass(frozen=True, slots=True)
class Household:
    married: bool
    children: int
    salary: int


@dataclasses.dataclass(frozen=True, slots=True)
class Calculation:
    """A household with the tax year and rule set to compute it with."""

    household: Household
    year: int
    rules: str


def field_value(raw: Mapping, field: str):
    """The value of ``field`` under any of its accepted names, or None."""
    for name in FIELD_ALIASES[field]:
        value = raw.get(name)
        if value is not None:
            return value
    return None


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _display(value):
    """A value as it is quoted in a message: text as typed, numbers as JSON has them."""
    return value if isinstance(value, (str, int, float, bool)) else repr(value)


def parse_married(value, field="married") -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = MARRIED_WORDS.get(value.strip().lower())
        if word is not None:
            return word
    raise InvalidInput([FieldError(field, _display(value), "yes or no expected")])


def parse_integer(value, field, low, high, what="a whole number") -> int:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif (isinstance(value, str) and _DIGITS.fullmatch(value.strip())
          and len(value.strip()) <= MAX_DIGITS):
        number = int(value.strip())
    if number is None or not low <= number <= high:
        raise InvalidInput([FieldError(field, _display(value),
                                       f"{what} from {_grouped(low)} to {_grouped(high)} expected")])
    return number


def _parse_children(value) -> int:
    return parse_integer(value, "children", 0, MAX_CHILDREN)


def _parse_salary(value) -> int:
    return parse_integer(value, "salary", 0, MAX_SALARY, "a whole number of euros")


HOUSEHOLD_PARSERS = {"married": parse_married, "children": _parse_children,
                     "salary": _parse_salary}


def parse_household(raw: Mapping) -> Household:
    """Validate the three fields of a household; raise InvalidInput naming every bad one."""
    values, errors = {}, []
    for field, parse in HOUSEHOLD_PARSERS.items():
        value = field_value(raw, field)
        if value is None:
            errors.append(FieldError(field, None, "missing"))
            continue
        try:
            values[field] = parse(value)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return Household(**values)


def parse_year(value, known_years: Iterable[int]) -> int:
    years = sorted(known_years)
    try:
        year = parse_integer(value, "year", 0, 9999)
    except InvalidInput:
        year = None
    if year not in years:
        listed = ", ".join(str(y) for y in years)
        raise InvalidInput([FieldError("year", _display(value), f"a tax year among {listed} expected")])
    return year


def parse_rules(value) -> str:
    if isinstance(value, str) and value.strip().lower() in RULE_NAMES:
        return value.strip().lower()
    raise InvalidInput([FieldError("rules", _display(value), " or ".join(RULE_NAMES) + " expected")])


def check_rules_for_year(rules: str, year: int, raw_year=None) -> None:
    """The course's rules exist for its tax year only; the error names ``year``."""
    if rules == "course" and year != COURSE_TAX_YEAR:
        raise InvalidInput([FieldError(
            "year", _display(raw_year if raw_year is not None else year),
            f"the course rules exist for tax year {COURSE_TAX_YEAR} only")])


def parse_calculation(raw: Mapping, known_years: Iterable[int], default_year: int,
                      default_rules: str = DEFAULT_RULES) -> Calculation:
    """Household, year and rules from one input; every bad field reported at once."""
    errors = []
    household = year = rules = None
    try:
        household = parse_household(raw)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    raw_year = field_value(raw, "year")
    if raw_year is None or (isinstance(raw_year, str) and not raw_year.strip()):
        year, raw_year = default_year, None
    else:
        try:
            year = parse_year(raw_year, known_years)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    raw_rules = field_value(raw, "rules")
    try:
        rules = default_rules if raw_rules in (None, "") else parse_rules(raw_rules)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if year is not None and rules is not None:
        try:
            check_rules_for_year(rules, year, raw_year)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return Calculation(household, year, rules)

