"""A soak: 16 concurrent keep-alive connections, each its own logged-in session, run the
calculate-tax flow against the real server for 60 s (IMPOTS_SOAK_SECONDS to iterate
locally). Zero errors, the server's memory stable, every simulation accounted for."""
import collections
import os
import time

import pytest

from tests.reliability.load import Load, describe_unexpected

pytestmark = pytest.mark.reliability

CONNECTIONS = 16
SOAK_SECONDS = float(os.environ.get("IMPOTS_SOAK_SECONDS", "60"))
# The first seconds fill what a long-lived process fills once: imports done lazily, the
# connection pools (database, Redis) growing to the concurrency, caches (tax years,
# compiled SQL, templates), the allocator's arenas. Growth measured from there is a leak.
WARM_UP_SECONDS = min(5.0, SOAK_SECONDS / 4)
MAX_MEMORY_GROWTH = 0.10


def test_soak_16_connections_no_errors_stable_memory_every_simulation_kept(app_server):
    load = Load(app_server.url, CONNECTIONS)
    load.log_in()  # before the clock: the soak is calculations only
    with load:
        started = time.monotonic()
        time.sleep(WARM_UP_SECONDS)
        memory_after_warm_up = app_server.rss_kib()
        time.sleep(max(0.0, started + SOAK_SECONDS - time.monotonic()))
        memory_at_end = app_server.rss_kib()
        load.stop()
        elapsed = time.monotonic() - started
        listed = {client.client.number: client.client.list_simulations()
                  for client in load.clients}

    calculations = [answer for answer in load.answers if answer.sent >= started]
    requests_per_second = len(calculations) / elapsed
    growth = (memory_at_end - memory_after_warm_up) / memory_after_warm_up
    print(f"\nsoak: {len(calculations)} calculate-tax requests in {elapsed:.1f} s over "
          f"{CONNECTIONS} connections: {requests_per_second:.0f} req/s; server memory "
          f"{memory_after_warm_up / 1024:.1f} MiB after {WARM_UP_SECONDS:.0f} s, "
          f"{memory_at_end / 1024:.1f} MiB at the end ({growth:+.1%})")

    errors = [answer for answer in calculations
              if not (answer.action == "calculate-tax" and answer.ok)]
    assert not errors, describe_unexpected(errors)
    assert calculations, "no calculation at all during the soak"
    assert growth < MAX_MEMORY_GROWTH, \
        f"server memory grew by {growth:.1%} (from {memory_after_warm_up} KiB after the " \
        f"warm-up to {memory_at_end} KiB), more than {MAX_MEMORY_GROWTH:.0%}"

    # Every answered simulation is stored, numbered 1..N per session, none extra.
    for client in load.clients:
        number = client.client.number
        answered = [answer.data["response"] for answer in client.calculated()]
        answer = listed[number]
        assert answer.ok, answer.describe()
        stored = answer.data["response"]
        assert [simulation["id"] for simulation in stored] == list(range(1, len(answered) + 1)), \
            f"session {number}: {len(answered)} calculations answered, stored ids " \
            f"{summarize_ids([simulation['id'] for simulation in stored])}"
        assert sorted(answered, key=lambda simulation: simulation["id"]) == stored, \
            f"session {number}: the stored simulations differ from the answers"


def summarize_ids(ids: list) -> str:
    """The ids, gaps and duplicates named, without printing thousands of numbers."""
    expected = set(range(1, len(ids) + 1))
    duplicates = sorted(number for number, count in collections.Counter(ids).items()
                        if count > 1)[:10]
    return (f"{len(ids)} ids, missing {sorted(expected - set(ids))[:10]}, "
            f"unexpected {sorted(set(ids) - expected)[:10]}, duplicated {duplicates}")
