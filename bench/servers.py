"""The servers a benchmark compares: started on loopback, pinned to the same CPUs, their
memory and CPU time read from /proc, stopped at the end whatever happens."""
import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pinned(command: list, cpus: str | None) -> list:
    """``command`` run on ``cpus`` (taskset's list, e.g. "0"), or anywhere when None."""
    return ["taskset", "-c", cpus, *command] if cpus else list(command)


class Server:
    """One server process: its name, address and the URL that says it is ready."""

    def __init__(self, name, command, port, ready_path, cwd=None, env=None, log_path=None):
        self.name, self.command, self.port = name, command, port
        self.ready_path, self.cwd, self.env, self.log_path = ready_path, cwd, env, log_path
        self.process = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=60.0):
        log = open(self.log_path or os.devnull, "ab")
        # taskset execs the server: the process we hold is the server itself.
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        url = f"http://{self.address}{self.ready_path}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: "
                                   f"see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout:.0f} s")

    def memory(self) -> dict:
        """Peak and current resident memory (MiB) of the server process."""
        fields = {}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    fields[key] = int(value.split()[0]) / 1024
        return {"peak_mib": fields.get("VmHWM"), "rss_mib": fields.get("VmRSS")}

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process, all its threads, has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            # Fields 14 and 15 (utime, stime), counted after the command's closing bracket.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextlib.contextmanager
def running(servers):
    """Start every server; stop them all on the way out, even after a failure."""
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
