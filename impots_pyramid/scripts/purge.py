"""impots-purge CONFIG_URI: delete the simulations of sessions idle for longer than
impots.session_timeout (their sessions have expired). Meant for cron."""
import argparse

from sqlalchemy.orm import Session

from .. import simulations
from ..models import get_engine
from .common import load_settings


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="impots-purge",
        description="Delete the simulations of expired sessions (idle for longer than "
                    "impots.session_timeout). Run it from cron, e.g. every hour.")
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)  # read once: logging, timeout, database
    timeout = settings["impots.session_timeout"]
    engine = get_engine(settings)
    try:
        with Session(engine) as dbsession, dbsession.begin():
            sessions, count = simulations.purge(dbsession, timeout)
    finally:
        engine.dispose()
    print(f"purged {count} simulation(s) of {sessions} expired session(s) "
          f"(idle for more than {timeout} s)")


if __name__ == "__main__":
    main()
