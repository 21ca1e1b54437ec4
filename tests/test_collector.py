"""impots.gc_freeze: once the application is made, start-up's objects are set aside from
the garbage collector, whose full collections (a pause of every thread) then walk only
what came after. Off by default: a process that makes many applications, like this one,
would keep each one's garbage."""
import gc

import pytest

from tests.helpers import new_app


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's objects back within the collector's reach


def test_with_gc_freeze_a_full_collection_walks_only_what_came_after(sqlite_url, unfrozen):
    new_app(sqlite_url, **{"impots.gc_freeze": "true"})
    frozen = gc.get_freeze_count()
    assert frozen > 50_000  # the libraries' and the application's long-lived objects
    assert len(gc.get_objects()) < frozen / 10  # what a full collection still walks


def test_by_default_nothing_is_set_aside(sqlite_url, unfrozen):
    new_app(sqlite_url)
    assert gc.get_freeze_count() == 0
