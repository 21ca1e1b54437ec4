"""Big batches do not stay in the server: four sessions at once each send 10,000
households three times (calculate-taxes, stored) and read their list back, against the
real server (waitress, 4 threads, PostgreSQL, Redis). Its resident memory afterwards is
within MAX_GROWTH_MIB of what it was at rest.

What used to stay: each request in a reference cycle with its database session (its body,
parsed batch and answer waited for a full garbage collection), and glibc's per-thread
arenas holding each thread's largest request (web.memory): about 90 MiB more than at
rest after this test's batches (+20 to +23 with web.memory)."""
import json
import random
import threading
import time

import pytest

from impots_pyramid.web.memory import TRIM_DELAY
from tests.reliability.load import ActionClient, random_household

pytestmark = pytest.mark.reliability

SESSIONS = 4
BATCHES = 3
HOUSEHOLDS = 10_000
MAX_GROWTH_MIB = 30


def batch_body(seed: int) -> str:
    rng = random.Random(seed)
    return json.dumps([random_household(rng) for _ in range(HOUSEHOLDS)])


def counted(answer):
    """(True, how many rows) of a good answer; else what it said."""
    return (True, len(answer.data["response"])) if answer.ok else (False, answer.describe())


def send_batches(client: ActionClient, body: str, answers: list) -> None:
    for _ in range(BATCHES):
        answers.append(counted(client.calculate_batch(body)))
    answers.append(counted(client.list_simulations()))


def test_big_batches_give_their_memory_back(app_server):
    clients = [ActionClient(app_server.url, number) for number in range(SESSIONS)]
    for client in clients:
        assert all(answer.ok for answer in client.start())
        assert client.calculate("yes", 2, 55555).ok  # every thread has served once
    at_rest = app_server.rss_kib()
    bodies = [batch_body(number) for number in range(SESSIONS)]
    answers = [[] for _ in clients]
    threads = [threading.Thread(target=send_batches, args=(client, body, found))
               for client, body, found in zip(clients, bodies, answers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    time.sleep(TRIM_DELAY + 1.5)  # the server gives memory back once its batches stop
    after = app_server.rss_kib()

    expected = [(True, HOUSEHOLDS)] * BATCHES + [(True, 1 + BATCHES * HOUSEHOLDS)]
    assert answers == [expected] * SESSIONS
    growth = (after - at_rest) / 1024
    print(f"\nserver memory: {at_rest / 1024:.0f} MiB at rest, {after / 1024:.0f} MiB after "
          f"{SESSIONS} x {BATCHES} batches of {HOUSEHOLDS} households ({growth:+.0f} MiB)")
    assert growth < MAX_GROWTH_MIB, f"the server kept {growth:.0f} MiB of its batches"
