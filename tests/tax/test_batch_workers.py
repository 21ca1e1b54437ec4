"""impots-batch's worker processes: how many it chooses, that they do the work, and that
Ctrl-C stops them all. (The same bytes with one worker and with two: test_batch_blocks.)"""
import contextlib
import io
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

from impots_pyramid.scripts import batch
from impots_pyramid.scripts.batch import main
from impots_pyramid.tax import blockpool
from tests.helpers import installed_command, stop_process_group

ROW = b"yes,2,55555\n"
BLOCK_ROWS = (1 << 20) // len(ROW) + 1  # a megabyte: a block of its own


CPUS = len(os.sched_getaffinity(0))
two_cpus = pytest.mark.skipif(CPUS < 2, reason="needs two CPUs")


def workers_once_settled(expected, seconds=2.0):
    """idle_workers(), asked until it says ``expected`` (a process of the machine's own
    may be running for a moment) or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while (chosen := blockpool.idle_workers()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return chosen


@two_cpus
def test_a_cpu_busy_elsewhere_is_left_to_its_process():
    every = min(CPUS, blockpool.MAX_WORKERS)
    spinning = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        assert workers_once_settled(CPUS - 1) == CPUS - 1
    finally:
        spinning.kill()
        spinning.wait()
    assert workers_once_settled(every) == every


@two_cpus
def test_runs_that_have_ended_leave_every_cpu_to_the_next(monkeypatch):
    """A script running impots-batch again and again leaves a load average near 1 for a
    minute after: the CPUs are idle all the same, and the next run takes them all."""
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 1.0, 0.6))
    every = min(CPUS, blockpool.MAX_WORKERS)
    assert workers_once_settled(every) == every


@pytest.mark.parametrize("cpus, load, expected", [
    (2, 0.1, 2),  # an idle 2-CPU machine: both
    (2, 0.7, 2),  # what a run a few seconds ago leaves in the average: both still
    (2, 0.8, 1),  # one of them (mostly) busy
    (2, 3.0, 1),  # busier than it has CPUs: still one
    (8, 1.0, blockpool.MAX_WORKERS),  # many idle: no more than MAX_WORKERS
    (1, 0.0, 1),
])
def test_without_proc_one_worker_per_cpu_the_load_average_leaves_idle(monkeypatch, cpus, load,
                                                                       expected):
    monkeypatch.setattr(blockpool, "_busy_elsewhere", lambda: None)  # (not Linux)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert blockpool.idle_workers() == expected


def waiting_for_input(pid: int) -> bool:
    """Whether the process has loaded numpy's OpenBLAS and sleeps (on its input)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/stat", "rb") as stat:
        return "openblas" in maps.read() and stat.read().rsplit(b")", 1)[1].split()[0] == b"S"


@two_cpus
def test_the_command_runs_no_blas_threads():
    """numpy's OpenBLAS would start a thread per CPU, which spin a while as numpy loads:
    CPU that the workers need. The command asks it for none (its main thread only)."""
    run = subprocess.Popen([installed_command("impots-batch"), "--workers", "1"],
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        run.stdin.write(b"married,children,salary\n" + ROW)
        run.stdin.flush()
        deadline = time.monotonic() + 30
        while not waiting_for_input(run.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_input(run.pid)
        assert len(os.listdir(f"/proc/{run.pid}/task")) == 1
    finally:
        run.kill()
        run.wait()
        run.stdin.close()


def test_one_worker_where_processes_cannot_be_forked(monkeypatch):
    monkeypatch.delattr(os, "fork")
    assert blockpool.idle_workers() == 1


@pytest.mark.parametrize("value", ["0", "33", "two", "-1", "x" * 100])
def test_workers_option_bounds(value, tmp_path, capsys):
    assert main(["--workers", value, str(tmp_path / "in.csv")]) == 2
    err = capsys.readouterr().err
    assert "argument --workers" in err and "from 1 to 32" in err and len(err) < 300


@pytest.mark.parametrize("block_bytes, pools", [(None, 0), (50, 1)])
def test_worker_processes_only_for_more_than_one_block(monkeypatch, tmp_path, block_bytes,
                                                        pools):
    """A file of one block is computed in the process itself: forking workers for it
    would only cost their start (30-50 ms)."""
    started = []

    class Counted(blockpool.BlockPool):
        def __init__(self, *arguments):
            started.append(self)
            super().__init__(*arguments)

    monkeypatch.setattr(blockpool, "BlockPool", Counted)
    if block_bytes:
        monkeypatch.setattr(batch, "BLOCK_BYTES", block_bytes)
    path = tmp_path / "in.csv"
    path.write_bytes(b"married,children,salary\n" + ROW * 10)
    assert main(["--workers", "2", str(path), str(tmp_path / "out.csv")]) == 0
    assert len(started) == pools
    assert (tmp_path / "out.csv").read_bytes().count(b"\nyes,2,55555,") == 10


def _children(pid):
    """Processes whose parent is ``pid``."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@contextlib.contextmanager
def running_on_open_pipe(blocks: int, stdout, stderr):
    """impots-batch with two workers, in a process group of its own, reading ``blocks``
    blocks of rows from a pipe that stays open; stopped on the way out if still running."""
    run = subprocess.Popen([installed_command("impots-batch"), "--workers", "2", "--year", "2024"],
                           stdin=subprocess.PIPE, stdout=stdout, stderr=stderr,
                           start_new_session=True)
    try:
        run.stdin.write(b"married,children,salary\n" + ROW * (blocks * BLOCK_ROWS))
        run.stdin.flush()
        yield run
    finally:
        stop_process_group(run)
        run.stdin.close()


def ended(group: int, seconds: float = 10) -> bool:
    """Whether every process of ``group`` ends within ``seconds``; those left are killed."""
    deadline = time.monotonic() + seconds
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _group_alive(group):
        return True
    os.killpg(group, signal.SIGKILL)
    return False


def _group_alive(group):
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_compute_and_ctrl_c_stops_them_all(tmp_path):
    """Rows sent on a pipe that stays open: two worker processes compute the blocks (their
    rows reach the output); Ctrl-C (SIGINT to the terminal's process group) ends the
    run by that signal (a shell's 130), with no traceback and no process left behind."""
    out = tmp_path / "out.csv"
    with open(out, "wb") as output, open(tmp_path / "err.txt", "wb") as errors:
        with running_on_open_pipe(5, output, errors) as run:
            deadline = time.monotonic() + 30
            # the first block is written once four more have been handed out
            while out.stat().st_size < 1_000_000 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert out.read_bytes().count(b"\nyes,2,55555,") >= 25_000
            assert len(_children(run.pid)) == 2
            os.killpg(run.pid, signal.SIGINT)
            assert run.wait(timeout=30) == -signal.SIGINT
    assert (tmp_path / "err.txt").read_bytes() == b""
    assert ended(run.pid), "a worker outlived the run"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl: Linux only")
def test_workers_end_when_the_command_is_killed(tmp_path):
    """``kill -9`` of the command (no chance to stop its workers): the workers, blocked on
    their queue, end too instead of waiting forever."""
    with open(tmp_path / "out.csv", "wb") as output:
        with running_on_open_pipe(3, output, subprocess.DEVNULL) as run:
            deadline = time.monotonic() + 30
            while len(_children(run.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(_children(run.pid)) == 2
            os.kill(run.pid, signal.SIGKILL)
            run.wait(timeout=30)
    assert ended(run.pid), "the workers outlived the command"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_workers_are_forked_with_no_other_thread_running(monkeypatch, tmp_path):
    """A progress bar on a terminal starts no thread (tqdm's monitor would be running
    when the workers are forked). The test's process may have threads of its own (other
    tests' servers): only those the run started count."""
    threads = []
    original = blockpool.BlockPool.__init__
    before = set(threading.enumerate())

    def started(self, *arguments):
        threads.append(sorted(t.name for t in set(threading.enumerate()) - before))
        original(self, *arguments)

    monkeypatch.setattr(blockpool.BlockPool, "__init__", started)
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(batch, "BLOCK_BYTES", 1 << 12)
    path = tmp_path / "in.csv"
    path.write_bytes(b"married,children,salary\n" + ROW * 2000)
    assert main(["--workers", "2", str(path), str(tmp_path / "out.csv")]) == 0
    assert "100%" in sys.stderr.getvalue()
    assert threads == [[]]
