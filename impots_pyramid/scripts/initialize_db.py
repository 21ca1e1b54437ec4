"""initialize_impots_db CONFIG_URI [--user NAME [--password PW]]

Upgrades the database to the latest migration (schema and tax years), then creates or
updates a user when --user is given.
"""
import argparse

from sqlalchemy.orm import Session

from ..models import migrations
from ..services.users import save_user
from .common import engine_for, resolve_password


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="initialize_impots_db",
        description="Migrate the database to the latest schema and tax years; "
                    "optionally create or update a user.")
    parser.add_argument("config_uri", help="the ini file, e.g. development.ini")
    parser.add_argument("--user", help="a user to create, or whose password to change")
    parser.add_argument("--password", help="its password (else IMPOTS_USER_PASSWORD, else a prompt)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    engine = engine_for(args.config_uri)
    migrations.upgrade(engine)
    print(f"database {engine.url.render_as_string(hide_password=True)}: migrated to the latest revision")
    if args.user:
        password = resolve_password(args.password, args.user)
        with Session(engine) as dbsession, dbsession.begin():
            outcome = save_user(dbsession, args.user, password)
        print(f"user {args.user}: {outcome}")
    engine.dispose()
