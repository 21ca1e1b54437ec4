"""Memory given back to the system after big requests (glibc's allocator only).

A batch of 10,000 households, or the list of a session's simulations, allocates tens of
MB that are freed when its request ends. glibc keeps freed memory in the arena it came
from, one arena per thread that allocated at once (up to 8 per CPU), so every server
thread's largest request stayed in the process for good: about 190 MB after the
benchmark's batches, against 113 MB at rest. Two arenas at most, a fixed threshold above
which blocks are mapped apart (and unmapped when freed), and ``malloc_trim`` after a
request whose body or answer passed TRIM_AFTER_BYTES give it back
(tests/reliability/test_batch_memory.py: +87 MiB after its batches without them, +17 to
+22 with them). Elsewhere (musl, macOS, Windows) nothing is done.
"""
import ctypes
import ctypes.util

from pyramid.tweens import INGRESS

M_ARENA_MAX, M_MMAP_THRESHOLD = -8, -3  # mallopt's parameters (malloc.h)
MAX_ARENAS = 2
MMAP_THRESHOLD = 256 << 10
TRIM_AFTER_BYTES = 1 << 20


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 (glibc has both)
    except (OSError, AttributeError):
        return None
    return libc


LIBC = _glibc()


def _big(length) -> bool:
    return length is not None and length > TRIM_AFTER_BYTES


def memory_trim_tween_factory(handler, registry):
    def memory_trim_tween(request):
        response = None
        try:
            response = handler(request)
            return response
        finally:
            # What the request parsed and computed is freed by now; its body and its
            # answer are all that it still holds.
            if _big(request.content_length) or (response is not None
                                                and _big(response.content_length)):
                LIBC.malloc_trim(0)

    return memory_trim_tween


def includeme(config):
    if LIBC is None:
        return
    LIBC.mallopt(M_ARENA_MAX, MAX_ARENAS)  # before the server's threads allocate
    # A fixed threshold: glibc otherwise raises it to the largest block freed (up to 32
    # MB), and a batch's bodies and answers then come from the heap and stay there.
    LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    config.add_tween("impots_pyramid.web.memory.memory_trim_tween_factory", under=INGRESS)
