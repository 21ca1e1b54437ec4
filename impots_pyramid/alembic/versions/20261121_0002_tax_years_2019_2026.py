"""Load tax years 2019 to 2026 (incomes 2018 to 2025) from the package's data file.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from impots_pyramid.alembic.tax_year_data import delete_years, insert_years

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

YEARS = list(range(2019, 2027))


def upgrade():
    insert_years(YEARS)


def downgrade():
    delete_years(YEARS)
