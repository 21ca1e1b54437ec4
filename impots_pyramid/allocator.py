"""glibc's allocator, where the process has it: its settings (``mallopt``) and
``malloc_trim``, through ctypes. None of it elsewhere (musl, macOS, Windows).

Arrays larger than glibc's mmap threshold are mapped apart and unmapped when freed, and
the top of the heap is given back once the trim threshold is free there: each page given
back is a page fault when the next array takes it again. The web server (web.memory) and
impots-batch (scripts.batch) each choose their settings for what they allocate.
"""
import ctypes

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # mallopt's (malloc.h)


def _glibc():
    try:
        # The C library the interpreter already has loaded: no search of the disk
        # (ctypes.util.find_library runs ldconfig, 10 ms of impots-batch's start).
        libc = ctypes.CDLL(None)
        libc.malloc_trim, libc.mallopt  # noqa: B018 (glibc has both)
    except (OSError, AttributeError, TypeError):  # TypeError: Windows has no CDLL(None)
        return None
    return libc


LIBC = _glibc()
