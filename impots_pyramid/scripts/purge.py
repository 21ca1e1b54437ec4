"""impots-purge CONFIG_URI: delete the simulations of sessions idle for longer than
impots.session_timeout (their sessions have expired). Meant for cron."""
import argparse

from sqlalchemy.orm import Session

from ..models import get_engine
from ..services import simulations
from ..services.simulations import TOUCH_INTERVAL
from ..web.sessions import refresh_window
from .common import load_settings


def idle_limit(timeout: int) -> int:
    """Seconds after a session's recorded activity past which it has surely expired: its
    activity is recorded at most once a ``TOUCH_INTERVAL``, and a session (cookie or
    Redis) outlives its last request by up to its ``refresh_window``."""
    return timeout + TOUCH_INTERVAL + refresh_window(timeout)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="impots-purge",
        description="Delete the simulations of expired sessions (idle for longer than "
                    "impots.session_timeout). Run it from cron, e.g. every hour.")
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)  # read once: logging, timeout, database
    limit = idle_limit(settings["impots.session_timeout"])
    engine = get_engine(settings)
    try:
        with Session(engine) as dbsession, dbsession.begin():
            sessions, count = simulations.purge(dbsession, limit)
    finally:
        engine.dispose()
    print(f"purged {count} simulation(s) of {sessions} expired session(s) "
          f"(idle for more than {limit} s)")


if __name__ == "__main__":
    main()
