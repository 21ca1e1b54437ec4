"""Memory given back to the system after big requests (glibc's allocator only).

A batch of 10,000 households, or the list of a session's simulations, allocates tens of
MB that are freed when its request ends. glibc keeps freed memory in the arena it came
from, one arena per thread that allocated at once (up to 8 per CPU), so every server
thread's largest request stayed in the process for good: about 190 MB after the
benchmark's batches, against 113 MB at rest. Two arenas at most, a fixed threshold above
which blocks are mapped apart (and unmapped when freed), and ``malloc_trim`` once big
requests have stopped for TRIM_DELAY seconds give it back
(tests/reliability/test_batch_memory.py: +87 MiB after its batches without them, +13 to
+15 with them). Not after each big request: the next one would take every page back from
the kernel, fault by fault (a 10,000-household batch cost 1.8 times its CPU that way).
Elsewhere (musl, macOS, Windows) nothing is done.
"""
import ctypes
import ctypes.util
import threading
import time

from pyramid.tweens import INGRESS

M_ARENA_MAX, M_MMAP_THRESHOLD = -8, -3  # mallopt's parameters (malloc.h)
MAX_ARENAS = 2
MMAP_THRESHOLD = 256 << 10
TRIM_AFTER_BYTES = 1 << 20  # a request whose body or answer is larger is big
TRIM_DELAY = 1.0  # seconds without a big request


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 (glibc has both)
    except (OSError, AttributeError):
        return None
    return libc


LIBC = _glibc()


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
    config.add_tween("impots_pyramid.web.memory.memory_trim_tween_factory", under=INGRESS)
