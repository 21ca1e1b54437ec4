"""Load tax years from the package's data file, for the data migrations.

A migration names the years it adds, so that a later migration adding a new year's row
of the same file does not collide with an earlier one.
"""
import sqlalchemy as sa
from alembic import op

from impots_pyramid.tax import load_tax_years
from impots_pyramid.tax.vocabulary import TAX_YEAR_SCALARS

tax_years = sa.table("tax_years", *(sa.column(name) for name in TAX_YEAR_SCALARS))
tax_brackets = sa.table(
    "tax_brackets", sa.column("tax_year"), sa.column("position"), sa.column("lower_bound"),
    sa.column("rate"))


def insert_years(years):
    data = load_tax_years()
    missing = sorted(set(years) - set(data))
    if missing:
        raise RuntimeError(f"tax years {missing} are not in the package's data file")
    for year in years:
        row = data[year].as_dict()
        brackets, rates = row.pop("brackets"), row.pop("rates")
        op.bulk_insert(tax_years, [row])
        op.bulk_insert(tax_brackets, [
            {"tax_year": year, "position": i, "lower_bound": bound, "rate": rate}
            for i, (bound, rate) in enumerate(zip(brackets, rates))])


def delete_years(years):
    op.execute(tax_brackets.delete().where(tax_brackets.c.tax_year.in_(years)))
    op.execute(tax_years.delete().where(tax_years.c.tax_year.in_(years)))
