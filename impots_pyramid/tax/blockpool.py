"""impots-batch's blocks computed in other processes, so that it uses every idle CPU.

A block takes hundreds of numpy calls, each short: numpy lets go of Python's lock only
inside them, so two threads computed a million rows barely faster than one (1.0 s and
0.93-1.16 s on a 2-CPU machine), where two processes take 0.69-0.77 s. The processes are
forked from the console's own (cheap: its memory is shared until written), each keeping
its copy of the Batch (the header's layout, the tax years); a block's bytes go to one of
them and its output comes back as one bytes object, a few milliseconds of copying a
megabyte. Only a process with no other thread may fork safely: the web's upload page
computes in its own thread (one worker), never here.
"""
import ctypes
import math
import os
import signal
import time

MAX_WORKERS = 4  # the reading and writing, in the main process, stay one CPU's work

_batch = None  # in a worker process: the Batch whose blocks it computes
PR_SET_PDEATHSIG = 1  # prctl's (linux/prctl.h)


def idle_workers() -> int:
    """Processes to compute blocks with: one per CPU that no other process is running on
    now, at least one, at most MAX_WORKERS; one where processes cannot be forked. With
    a CPU busy elsewhere, a second worker made a run slower (0.74-0.88 s against
    0.68-0.78 s a million rows); idle, faster (0.56-0.60 s)."""
    if not hasattr(os, "fork"):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = _busy_elsewhere()
    if busy is None:  # no /proc: the last minute's load average, a CPU busy from 0.75
        try:
            busy = math.floor(os.getloadavg()[0] + 0.25)
        except (AttributeError, OSError):
            return 1
    return max(1, min(MAX_WORKERS, (cpus or 1) - busy))


def _busy_elsewhere(samples: int = 3):
    """Threads of other processes running or waiting for a CPU, the fewest of a few
    looks a millisecond apart (a process that only passes is not counted); None without
    Linux's /proc. Not the load average: it still counts, for a minute, the runs that
    have just ended (a script's previous impots-batch, say), and would leave a CPU idle."""
    counts = []
    for sample in range(samples):
        if sample:
            time.sleep(0.001)
        try:
            with open("/proc/loadavg", "rb") as loadavg:  # "0.41 1.62 2.04 2/123 4567"
                runnable = int(loadavg.read().split()[3].split(b"/")[0])
            ours = sum(_running(thread) for thread in os.listdir("/proc/self/task"))
        except (OSError, ValueError, IndexError):
            return None
        counts.append(runnable - ours)
    return max(min(counts), 0)


def _running(thread: str) -> bool:
    """Whether a thread of this process is running or waiting for a CPU (numpy's
    OpenBLAS threads are, for a moment after its import, as they wait for work)."""
    try:
        with open(f"/proc/self/task/{thread}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] == b"R"
    except (OSError, IndexError):  # (a thread that has ended)
        return False


def _adopt(batch, command: int):
    global _batch
    _batch = batch
    # Ctrl-C interrupts the main process, which stops the pool; not every worker too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with(command)


def _end_with(command: int) -> None:
    """Have the kernel end this worker when the command's process ends without stopping
    it (killed, say): blocked on its queue, which it holds open itself, the worker would
    otherwise wait forever. Linux only (prctl)."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError, TypeError):  # not Linux
        return
    if os.getppid() != command:  # it ended before prctl
        os._exit(1)


def _joined(output):
    pieces, failed, rows = output
    return [b"".join(pieces)], failed, rows


def _split_block(block, first_line):
    return _joined(_batch.split_block(block, first_line))


def _block(records, first_line):
    return _joined(_batch.block(records, first_line))


class BlockPool:
    """``workers`` processes computing blocks of ``batch``: each method returns a Future of
    what the Batch method of the same name returns (its pieces joined in one)."""

    def __init__(self, batch, workers: int):
        # Imported here: a run with one worker does without them (10 ms of its start).
        import concurrent.futures
        import multiprocessing

        self._executor = concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"),
            initializer=_adopt, initargs=(batch, os.getpid()))

    def split_block(self, block: bytes, first_line: int):
        return self._executor.submit(_split_block, block, first_line)

    def block(self, records, first_line: int):
        return self._executor.submit(_block, records, first_line)

    def shutdown(self):
        self._executor.shutdown(cancel_futures=True)
