"""A tax year's parameters: a small immutable value built from one row of data.

The rows come from the data file shipped in the package (``impots_pyramid/data/
tax_years.csv``) or from the database, which a migration fills from that same file.
Nothing here is a constant of the law: adding a tax year is a data change.
"""
import csv
import dataclasses
import functools
import io
import pkgutil
from fractions import Fraction
from typing import Iterable, Mapping, Optional

DATA_PACKAGE = "impots_pyramid.data"
DATA_FILE = "tax_years.csv"

# Columns of the data file, in order; also the keys of ``as_dict``.
COLUMNS = (
    "tax_year", "income_year", "brackets", "rates", "qf_cap_per_half_part",
    "deduction_rate", "deduction_min", "deduction_max",
    "discount_ceiling_single", "discount_ceiling_couple", "discount_rate",
    "reduction_rate", "reduction_full_below", "reduction_zero_from",
    "reduction_per_half_part",
)
_REDUCTION_COLUMNS = COLUMNS[-4:]


@dataclasses.dataclass(frozen=True)
class TaxYearParameters:
    """Everything the rule sets need to know about one tax year."""

    tax_year: int
    income_year: int
    brackets: tuple  # lower bound of each slice of the quotient, ascending, from 0
    rates: tuple  # rate of each slice, same order
    qf_cap_per_half_part: int
    deduction_rate: float
    deduction_min: int
    deduction_max: int
    discount_ceiling_single: int
    discount_ceiling_couple: int
    discount_rate: float
    reduction_rate: Optional[float] = None  # None: the year has no low-income reduction
    reduction_full_below: Optional[int] = None
    reduction_zero_from: Optional[int] = None
    reduction_per_half_part: Optional[int] = None

    def __post_init__(self):
        if len(self.brackets) != len(self.rates) or not self.brackets:
            raise ValueError(f"tax year {self.tax_year}: brackets and rates differ in length")
        if self.brackets[0] != 0 or list(self.brackets) != sorted(set(self.brackets)):
            raise ValueError(f"tax year {self.tax_year}: brackets must rise from 0")
        present = [getattr(self, name) is not None for name in _REDUCTION_COLUMNS]
        if any(present) and not all(present):
            raise ValueError(f"tax year {self.tax_year}: reduction columns are partly empty")

    @property
    def has_reduction(self) -> bool:
        return self.reduction_rate is not None

    @functools.cached_property
    def deduction_fraction(self) -> Fraction:
        """The deduction rate as an exact fraction (0.1 -> 1/10), for exact rounding."""
        return Fraction(str(self.deduction_rate)).limit_denominator(10**6)

    @classmethod
    def from_row(cls, row: Mapping) -> "TaxYearParameters":
        """Build from a mapping of column name to text (a CSV row) or to values."""
        def number(name, kind):
            value = row.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                return None
            return kind(value)

        def series(name, kind):
            value = row[name]
            if isinstance(value, str):
                value = value.split("|")
            return tuple(kind(v) for v in value)

        return cls(
            tax_year=int(row["tax_year"]),
            income_year=int(row["income_year"]),
            brackets=series("brackets", int),
            rates=series("rates", float),
            qf_cap_per_half_part=int(row["qf_cap_per_half_part"]),
            deduction_rate=float(row["deduction_rate"]),
            deduction_min=int(row["deduction_min"]),
            deduction_max=int(row["deduction_max"]),
            discount_ceiling_single=int(row["discount_ceiling_single"]),
            discount_ceiling_couple=int(row["discount_ceiling_couple"]),
            discount_rate=float(row["discount_rate"]),
            reduction_rate=number("reduction_rate", float),
            reduction_full_below=number("reduction_full_below", int),
            reduction_zero_from=number("reduction_zero_from", int),
            reduction_per_half_part=number("reduction_per_half_part", int),
        )

    def as_dict(self) -> dict:
        """The columns of the data file, brackets and rates as lists (JSON-ready)."""
        return {name: (list(v) if isinstance(v := getattr(self, name), tuple) else v)
                for name in COLUMNS}


def read_rows(lines: Iterable[str]) -> list:
    """Parse the data file's CSV text into parameter objects, sorted by tax year."""
    years = [TaxYearParameters.from_row(row) for row in csv.DictReader(lines)]
    return sorted(years, key=lambda p: p.tax_year)


@functools.lru_cache(maxsize=1)
def load_tax_years() -> dict:
    """The tax years of the packaged data file, as {tax_year: TaxYearParameters}."""
    # pkgutil, not importlib.resources: the same loader's data, without the 8 ms that
    # importing importlib.resources (tempfile, shutil, random) adds to impots-batch's start.
    text = pkgutil.get_data(DATA_PACKAGE, DATA_FILE).decode("utf-8")
    return {p.tax_year: p for p in read_rows(io.StringIO(text, newline=""))}


def latest_tax_year() -> int:
    return max(load_tax_years())
