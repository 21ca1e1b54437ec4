"""The service as the reliability tests run it: a real waitress server with 4 threads on
the loopback, Redis sessions, CSRF on.

    python -m tests.reliability.serve_app --port P --db URL --redis URL
"""
import argparse
import logging

import waitress

from impots_pyramid.web.logs import DEFAULT_FORMAT
from tests.helpers import new_app

THREADS = 4


def build_app(database_url: str, redis_url: str):
    return new_app(database_url, **{
        "session.type": "redis",
        "redis.sessions.url": redis_url,
        "impots.csrf": "true",
    })


def serve(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a migrated database")
    parser.add_argument("--redis", required=True, help="Redis URL for the sessions")
    options = parser.parse_args(argv)
    # Warnings and errors (with any traceback) go to the log file the tests read.
    logging.basicConfig(level=logging.WARNING, format=DEFAULT_FORMAT)
    waitress.serve(build_app(options.db, options.redis), host="127.0.0.1",
                   port=options.port, threads=THREADS)


if __name__ == "__main__":
    serve()
