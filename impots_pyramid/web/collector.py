"""Python's garbage collector in a server process: what start-up made is set aside.

The libraries and the application leave about 140,000 objects that live as long as the
process. Every full collection walked them all: a pause of every thread of about 90 ms,
once every few thousand calculations (bench/RESULTS.md, session 11), where the peers'
smaller processes pause for less. With ``impots.gc_freeze`` (production.ini and
development.ini set it), once the application is made, a collection clears start-up's
garbage and ``gc.freeze`` moves the rest to the permanent generation, which collections
skip. Off by default: a process that makes many applications (the tests) would keep each
one's garbage for good.
"""
import gc

from pyramid.events import ApplicationCreated


def freeze_start_up(event) -> None:
    gc.collect()
    gc.freeze()


def includeme(config):
    if config.get_settings()["impots.gc_freeze"]:
        config.add_subscriber(freeze_start_up, ApplicationCreated)
