"""Raw input into households: every error names the field and quotes the value."""
import pytest

from impots_pyramid.tax import Household, InvalidInput, parse_calculation, parse_household

YEARS = range(2019, 2027)
VALID = {"married": "yes", "children": "2", "salary": "55555"}


def errors(raw):
    with pytest.raises(InvalidInput) as raised:
        parse_household(raw)
    return {e.field: e.message for e in raised.value.errors}


@pytest.mark.parametrize("field", ["married", "children", "salary"])
def test_a_missing_field_is_named(field):
    raw = {k: v for k, v in VALID.items() if k != field}
    assert errors(raw) == {field: f"missing field [{field}]"}


def test_all_the_bad_fields_are_reported_together():
    assert set(errors({})) == {"married", "children", "salary"}


@pytest.mark.parametrize("field,value", [
    ("children", ""), ("children", "-1"), ("children", "3x"), ("children", "2.5"),
    ("children", "21"), ("children", "٣"),  # Arabic-Indic three: digits must be ASCII
    ("salary", ""), ("salary", "-5"), ("salary", "3x"), ("salary", "2.5"),
    ("salary", "1000000001"), ("salary", "99999999999999999999"), ("salary", "１２"),
    ("salary", "1e6"), ("salary", "1 000"), ("married", ""), ("married", "peut-être"),
    ("married", "2"), ("married", "y"),
])
def test_a_bad_value_is_quoted_with_its_field(field, value):
    message = errors({**VALID, field: value})[field]
    assert message.startswith(f"invalid value [{value}] for [{field}]: ")


def test_the_message_says_what_is_expected():
    assert errors({**VALID, "children": "25"}) == {
        "children": "invalid value [25] for [children]: a whole number from 0 to 20 expected"}
    assert errors({**VALID, "salary": "-1"}) == {
        "salary": "invalid value [-1] for [salary]: "
                  "a whole number of euros from 0 to 1 000 000 000 expected"}


@pytest.mark.parametrize("word,married", [
    ("yes", True), ("YES", True), (" Oui ", True), ("true", True), ("True", True),
    ("1", True), ("no", False), ("NON", False), (" false\t", False), ("0", False),
    ("Non", False),
])
def test_married_words_in_any_case_and_blanks(word, married):
    assert parse_household({**VALID, "married": word}).married is married


def test_the_limits_are_accepted_and_blanks_around_numbers_ignored():
    assert parse_household({"married": "no", "children": " 20 ", "salary": "1000000000"}) == (
        Household(False, 20, 1_000_000_000))
    assert parse_household({"married": "no", "children": "0", "salary": "0"}) == (
        Household(False, 0, 0))


def test_json_values_are_accepted_as_their_types():
    assert parse_household({"married": True, "children": 2, "salary": 30000.0}) == (
        Household(True, 2, 30000))
    assert set(errors({"married": 1, "children": 2.5, "salary": True})) == {
        "married", "children", "salary"}


def test_the_french_field_names_of_the_course():
    assert parse_household({"marié": "oui", "enfants": "3", "salaire": "50000"}) == (
        Household(True, 3, 50000))


def test_the_year_defaults_and_must_be_a_known_one():
    assert parse_calculation(VALID, YEARS, 2024).year == 2024
    assert parse_calculation({**VALID, "year": " "}, YEARS, 2024).year == 2024
    assert parse_calculation({**VALID, "year": "2019"}, YEARS, 2024).year == 2019
    with pytest.raises(InvalidInput) as raised:
        parse_calculation({**VALID, "year": "2030"}, YEARS, 2024)
    assert raised.value.messages == [
        "invalid value [2030] for [year]: a tax year among "
        "2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026 expected"]


def test_course_rules_for_another_year_name_the_year():
    with pytest.raises(InvalidInput) as raised:
        parse_calculation({**VALID, "year": "2020", "rules": "course"}, YEARS, 2019)
    assert raised.value.messages == [
        "invalid value [2020] for [year]: the course rules exist for tax year 2019 only"]


def test_unknown_rules_are_named():
    with pytest.raises(InvalidInput) as raised:
        parse_calculation({**VALID, "rules": "flat"}, YEARS, 2019)
    assert raised.value.messages == ["invalid value [flat] for [rules]: law or course expected"]
