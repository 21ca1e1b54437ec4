"""User names compared exactly on MySQL/MariaDB, as on PostgreSQL and SQLite.

The server's default collation (utf8mb4_general_ci) made "ADMIN" and "ädmin" the same
user name as "admin": each logged in as admin with its password, and each was counted
apart by the failed-login throttle. utf8mb4_bin compares code points; it still ignores
trailing spaces (PAD SPACE), which ``security.find_user`` checks in Python. Nothing to do
on the other back ends.

Going down fails if two names then collide (e.g. "Admin" and "admin").

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _set_login_collation(collation: str) -> None:
    if op.get_bind().dialect.name == "mysql":  # MariaDB too
        op.execute(f"ALTER TABLE users MODIFY login VARCHAR(64) {collation} NOT NULL")


def upgrade():
    _set_login_collation("CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")


def downgrade():
    _set_login_collation("")  # the table's default again
