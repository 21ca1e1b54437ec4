"""The schema: tax years and their scales, users, session owners and simulations.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RATE = sa.Numeric(6, 4)


def upgrade():
    op.create_table(
        "tax_years",
        sa.Column("tax_year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("income_year", sa.Integer(), nullable=False),
        sa.Column("qf_cap_per_half_part", sa.Integer(), nullable=False),
        sa.Column("deduction_rate", RATE, nullable=False),
        sa.Column("deduction_min", sa.Integer(), nullable=False),
        sa.Column("deduction_max", sa.Integer(), nullable=False),
        sa.Column("discount_ceiling_single", sa.Integer(), nullable=False),
        sa.Column("discount_ceiling_couple", sa.Integer(), nullable=False),
        sa.Column("discount_rate", RATE, nullable=False),
        sa.Column("reduction_rate", RATE, nullable=True),
        sa.Column("reduction_full_below", sa.Integer(), nullable=True),
        sa.Column("reduction_zero_from", sa.Integer(), nullable=True),
        sa.Column("reduction_per_half_part", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("tax_year", name=op.f("pk_tax_years")),
    )
    op.create_table(
        "tax_brackets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lower_bound", sa.Integer(), nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.ForeignKeyConstraint(["tax_year"], ["tax_years.tax_year"], ondelete="CASCADE",
                                name=op.f("fk_tax_brackets_tax_year_tax_years")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_brackets")),
        sa.UniqueConstraint("tax_year", "position", name=op.f("uq_tax_brackets_tax_year")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_table(
        "session_owners",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_session_owners")),
    )
    op.create_index(op.f("ix_session_owners_last_seen"), "session_owners", ["last_seen"])
    op.create_table(
        "simulations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("married", sa.Boolean(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("salary", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("surcharge", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("reduction", sa.BigInteger(), nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rules", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"),
                  nullable=False),
        sa.ForeignKeyConstraint(["owner"], ["session_owners.key"], ondelete="CASCADE",
                                name=op.f("fk_simulations_owner_session_owners")),
        sa.ForeignKeyConstraint(["year"], ["tax_years.tax_year"],
                                name=op.f("fk_simulations_year_tax_years")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulations")),
        sa.UniqueConstraint("owner", "number", name=op.f("uq_simulations_owner")),
    )


def downgrade():
    op.drop_table("simulations")
    op.drop_index(op.f("ix_session_owners_last_seen"), table_name="session_owners")
    op.drop_table("session_owners")
    op.drop_table("users")
    op.drop_table("tax_brackets")
    op.drop_table("tax_years")
