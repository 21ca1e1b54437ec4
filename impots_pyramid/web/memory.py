"""Memory given back to the system after big requests (glibc's allocator only).

A batch of 10,000 households, or the list of a session's simulations, allocates tens of
MB that are freed when its request ends. glibc keeps freed memory in the arena it came
from, one arena per thread that allocated at once (up to 8 per CPU), so every server
thread's largest request stayed in the process for good: about 190 MB after the
benchmark's batches, against 113 MB at rest. Two arenas at most, a fixed threshold above
which blocks are mapped apart (and unmapped when freed), and ``malloc_trim`` once big
requests have stopped for TRIM_DELAY seconds give it back, and nothing in between: each
page given back is a page fault when the next batch takes it again.

Measured on one 10,000-household batch served again and again (its server CPU) and on
tests/reliability/test_batch_memory.py (memory over the server's at rest):

| settings                                     | CPU per batch | memory after  |
| none (glibc's own)                           | 139 ms        | +87 MiB       |
| mmap threshold 256 KiB                       | 213-223 ms    | +13 to +15    |
| mmap threshold 1 MiB (these)                 | 156-173 ms    | +20 to +23    |
| mmap threshold 32 MiB                        | 133-138 ms    | +31 to +33    |
| malloc_trim after each big request, 256 KiB  | 1.8 times     |               |

Elsewhere (musl, macOS, Windows) nothing is done.
"""
import threading
import time

from pyramid.tweens import INGRESS

from ..allocator import LIBC, M_ARENA_MAX, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD

MAX_ARENAS = 2
MMAP_THRESHOLD = 1 << 20  # the table above: the middle of speed and memory
TRIM_THRESHOLD = 1 << 30  # never by free() itself: DelayedTrim does it
TRIM_AFTER_BYTES = 1 << 20  # a request whose body or answer is larger is big
TRIM_DELAY = 1.0  # seconds without a big request


class DelayedTrim:
    """``malloc_trim`` in a thread of its own, TRIM_DELAY seconds after the last call of
    ``soon`` (a burst of batches is trimmed once, at its end). The thread starts with the
    first big request, in the process that serves it (after any fork)."""

    def __init__(self, delay: float = TRIM_DELAY):
        self.delay = delay
        self.due = None
        self.condition = threading.Condition()
        self.thread = None

    def soon(self) -> None:
        with self.condition:
            self.due = time.monotonic() + self.delay
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="malloc-trim",
                                               daemon=True)
                self.thread.start()
            self.condition.notify()

    def _run(self) -> None:
        while True:
            with self.condition:
                while self.due is None or time.monotonic() < self.due:
                    self.condition.wait(None if self.due is None
                                        else self.due - time.monotonic())
                self.due = None
            LIBC.malloc_trim(0)  # ctypes lets the other threads run meanwhile


def _big(length) -> bool:
    return length is not None and length > TRIM_AFTER_BYTES


def memory_trim_tween_factory(handler, registry):
    trim = DelayedTrim()

    def memory_trim_tween(request):
        response = None
        try:
            response = handler(request)
            return response
        finally:
            if _big(request.content_length) or (response is not None
                                                and _big(response.content_length)):
                trim.soon()

    return memory_trim_tween


def includeme(config):
    if LIBC is None:
        return
    LIBC.mallopt(M_ARENA_MAX, MAX_ARENAS)  # before the server's threads allocate
    # A fixed threshold: glibc otherwise raises it to the largest block freed (up to 32
    # MB), and a batch's bodies and answers then come from the heap and stay there.
    LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    # Fixing one threshold fixes the other at 128 KiB: a thread's arena would be given
    # back whenever that much is free at its top, and faulted in again by the next batch.
    LIBC.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    config.add_tween("impots_pyramid.web.memory.memory_trim_tween_factory", under=INGRESS)
