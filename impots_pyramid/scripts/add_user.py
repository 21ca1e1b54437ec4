"""impots-add-user CONFIG_URI NAME [--password PW]: create a user or change its password."""
import argparse

from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from ..services.users import save_user
from .common import engine_for, resolve_password


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="impots-add-user", description="Create a user, or change its password.")
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    parser.add_argument("name", help="the user's login")
    parser.add_argument("--password", help="the password (else IMPOTS_USER_PASSWORD, else a prompt)")
    args = parser.parse_args(argv)
    if not args.name.strip() or len(args.name) > 64:
        parser.error(f"invalid user name [{args.name}]: 1 to 64 characters")
    password = resolve_password(args.password, args.name)
    engine = engine_for(args.config_uri)
    try:
        with Session(engine) as dbsession, dbsession.begin():
            outcome = save_user(dbsession, args.name, password)
    except (OperationalError, ProgrammingError) as exc:
        raise SystemExit(f"error: the database is not ready ({exc.orig}); "
                         f"run initialize_impots_db {args.config_uri} first")
    finally:
        engine.dispose()
    print(f"user {args.name}: {outcome}")
