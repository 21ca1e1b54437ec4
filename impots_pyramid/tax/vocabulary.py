"""The words and bounds every interface shares, named once: the settings, the forms, the
OpenAPI document, the models, impots-batch and the engine all import them from here."""

MAX_CHILDREN = 20
MAX_SALARY = 1_000_000_000
# The longest number of digits a salary or a count may be written with (leading zeros
# allowed): more is refused before it is converted.
MAX_DIGITS = 12

RULE_NAMES = ("law", "course")
DEFAULT_RULES = "law"
# The course's rule set was written for this tax year only.
COURSE_TAX_YEAR = 2019

# How ``married`` may be written (any case, blanks ignored); answers always say yes or no.
MARRIED_WORDS = {"yes": True, "oui": True, "true": True, "1": True,
                 "no": False, "non": False, "false": False, "0": False}

# The course's French field names are accepted beside the English ones.
FIELD_ALIASES = {
    "married": ("married", "marié", "marie"),
    "children": ("children", "enfants"),
    "salary": ("salary", "salaire"),
    "year": ("year", "année", "annee"),
    "rules": ("rules",),
}

# The columns of a tax year that are single values (its scale, brackets and rates, is a
# list of slices): the data file, the database row and the API's answer share them.
TAX_YEAR_SCALARS = (
    "tax_year", "income_year", "qf_cap_per_half_part",
    "deduction_rate", "deduction_min", "deduction_max",
    "discount_ceiling_single", "discount_ceiling_couple", "discount_rate",
    "reduction_rate", "reduction_full_below", "reduction_zero_from",
    "reduction_per_half_part",
)


def yes_no(married: bool) -> str:
    return "yes" if married else "no"
