"""tax.columns.parse_columns against parse_calculation, row by row: the same households,
years and rules for the good rows, the same rows bad, with the same messages."""
import random

import numpy
import pytest

from impots_pyramid.tax import InvalidInput, RULE_SETS, parse_calculation
from impots_pyramid.tax.columns import RULES_CODE, TextColumn, parse_columns
from impots_pyramid.tax.households import RULE_NAMES

YEARS = list(range(2019, 2027))
PIECES = ["yes", "no", "oui", "non", "true", "false", "1", "0", "YES", "Non", "TrUe", "FALSE",
          "y", "nope", "0", "7", "20", "21", "55555", "1000000000", "1000000001", "999999999999",
          "0000000000001", "012", "2019", "2020", "2026", "2018", "law", "course", "COURSE",
          "Law", "-1", "+1", "1.0", "3x", "1e3", "", " ", "\t", "\x0b", "\x1c", "\xa0",
          "\u2003", "\uff11", "\u0661", "\u212a", "İ", "é", "\x00", "\x11", "'", "12 34"]


def cell(rnd):
    return "".join(rnd.choice(PIECES) for _ in range(rnd.choice([1, 1, 1, 2, 3])))


def reference(raw, default_year, default_rules):
    try:
        return parse_calculation(raw, YEARS, default_year, default_rules)
    except InvalidInput as exc:
        return "; ".join(exc.messages)


@pytest.mark.parametrize("seed", range(6))
def test_every_row_as_parse_calculation_has_it(seed):
    rnd = random.Random(seed)
    rows = 3000
    fields = ["married", "children", "salary"] + (["year"] if seed % 2 else []) + (
        ["rules"] if seed % 3 else [])
    values = {f: [cell(rnd) if rnd.random() < 0.5 else rnd.choice(PIECES) for _ in range(rows)]
              for f in fields}
    default_year, default_rules = (2019, "course") if seed % 4 == 1 else (2024, "law")
    parsed = parse_columns(**{f: TextColumn.from_strings(v) for f, v in values.items()},
                           known_years=YEARS, default_year=default_year,
                           default_rules=default_rules)
    for row in range(rows):
        expected = reference({f: values[f][row] for f in fields}, default_year, default_rules)
        if isinstance(expected, str):
            assert parsed.bad[row] and parsed.messages(row) == expected, row
            continue
        assert not parsed.bad[row], (row, {f: values[f][row] for f in fields})
        got = (bool(parsed.married[row]), int(parsed.children[row]), int(parsed.salary[row]),
               int(parsed.year[row]), RULE_NAMES[parsed.rules[row]])
        household = expected.household
        assert got == (household.married, household.children, household.salary,
                       expected.year, expected.rules), row


def test_the_usual_rows_need_no_per_row_path():
    married = ["yes", "NO", " oui ", "False", "1", "0\t"] * 50
    children = ["0", "2", " 20", "007"] * 75
    salary = ["0", "55555", "1000000000", " 437 "] * 75
    parsed = parse_columns(TextColumn.from_strings(married), TextColumn.from_strings(children),
                           TextColumn.from_strings(salary), known_years=YEARS, default_year=2024)
    assert parsed.slow == 0 and not parsed.bad.any()
    assert parsed.salary.tolist()[:4] == [0, 55555, 1_000_000_000, 437]


def test_values_that_are_not_text_take_the_per_row_path():
    parsed = parse_columns(TextColumn.from_strings([True, "yes", None]),
                           TextColumn.from_strings([2, 2.0, "1"]),
                           TextColumn.from_strings([55555, "1", "1"]),
                           known_years=YEARS, default_year=2019)
    assert parsed.bad.tolist() == [False, False, True]
    assert parsed.messages(2) == "missing field [married]"
    assert parsed.children.tolist()[:2] == [2, 2] and parsed.slow == 3


def test_rules_codes_follow_rule_names():
    assert [RULES_CODE[name] for name in RULE_NAMES] == list(range(len(RULE_NAMES)))
    assert set(RULE_NAMES) == set(RULE_SETS)
    assert numpy.dtype(numpy.int8).type(len(RULE_NAMES))  # they fit
