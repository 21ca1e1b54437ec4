"""A simulation's year without a foreign key to tax_years.

PostgreSQL checked the year of every stored simulation against tax_years, taking a KEY
SHARE lock on the year's row for each one: a large part of the COPY of a 10,000-household
batch (bench/copyfk.py), and a lock that every concurrent batch took on the same eight
rows. The service checks each year against the tax years it has read from that table
before it computes anything, and never deletes a tax year. The owner's key keeps its
foreign key: end-session and impots-purge rely on its ON DELETE CASCADE.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_simulations_year_tax_years"


def upgrade():
    with op.batch_alter_table("simulations") as batch:  # SQLite: the table is remade
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")


def downgrade():
    with op.batch_alter_table("simulations") as batch:
        batch.create_foreign_key(FOREIGN_KEY, "tax_years", ["year"], ["tax_year"])
