"""A simulation's owner without a foreign key to session_owners.

PostgreSQL checked the owner of every stored simulation against session_owners, one
KEY SHARE lock on the owner's row per row: 40-60 % of the COPY of a 10,000-household
batch (bench/copyfk.py). The service already keeps the rule the key enforced: every
insert first takes the owner's number under its row's lock (no row: nothing is
inserted), and end-session and impots-purge delete the owner's row first, then its
simulations, in the same transaction (services.simulations), which is what the key's
ON DELETE CASCADE did. The downgrade deletes simulations whose owner is gone, then
restores the key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_simulations_owner_session_owners"


def upgrade():
    with op.batch_alter_table("simulations") as batch:  # SQLite: the table is remade
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")


def downgrade():
    op.execute(sa.text("DELETE FROM simulations WHERE NOT EXISTS (SELECT 1 FROM session_owners "
                       "WHERE session_owners.key = simulations.owner)"))
    with op.batch_alter_table("simulations") as batch:
        batch.create_foreign_key(FOREIGN_KEY, "session_owners", ["owner"], ["key"],
                                 ondelete="CASCADE")
