"""Private servers for the reliability tests, each on a free loopback port, in a temporary
folder, stopped at the end: Redis and PostgreSQL (which the tests kill and restart, so
they must never be the shared ones on 6379 and 5432) and the service under test (waitress
in a subprocess, see serve_app.py).

A missing binary skips the tests with a message saying what to install, or fails them
under IMPOTS_REQUIRE_SERVICES=1, like tests/services.py.
"""
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa

from tests import services

REPO = Path(__file__).resolve().parents[2]
POSTGRES_USER = "postgres"  # PostgreSQL refuses to run as root: its commands run as this
START_TIMEOUT = 30


def unavailable(message: str):
    if services.REQUIRE_SERVICES:
        pytest.fail(message + " [IMPOTS_REQUIRE_SERVICES=1]", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(probe, what: str, timeout: float = START_TIMEOUT, diagnostics=lambda: ""):
    """Call ``probe`` until it returns something true; fail with its last error otherwise."""
    deadline = time.monotonic() + timeout
    last = "never answered"
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except Exception as exc:  # not up yet: any error means "try again"
            last = repr(exc)
        time.sleep(0.05)
    pytest.fail(f"{what} not ready within {timeout} s (last: {last})\n{diagnostics()}",
                pytrace=False)


def tail(path: Path, size: int = 4000) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return f"--- {path} (end) ---\n{text[-size:]}"


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


class PrivateRedis:
    """redis-server in the foreground, no persistence: after a kill it comes back empty,
    as a crashed cache does."""

    def __init__(self, folder: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            unavailable("redis-server not found: apt-get install redis-server")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "redis.log"
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            return client.ping()
        finally:
            client.close()

    def start(self) -> None:
        """Start it on its port (the same one after a kill: clients reconnect to it)."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.ping, f"redis-server on port {self.port}",
                   diagnostics=lambda: tail(self.log))

    def kill(self) -> None:
        """SIGKILL: the outage as it happens, no goodbye to the clients, data lost."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)


def postgres_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda path: int(Path(path).parent.name)
                        if Path(path).parent.name.isdigit() else 0)
    for candidate in reversed(candidates):
        if all(os.access(Path(candidate) / name, os.X_OK) for name in ("initdb", "pg_ctl")):
            return Path(candidate)
    unavailable("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
                "apt-get install postgresql")


class PrivatePostgres:
    """A throwaway PostgreSQL cluster: initdb in a temporary folder, trust authentication,
    loopback TCP on a free port, no fsync (the data dies with the test run anyway).

    Run as root (containers), its commands run as the postgres user, which must own the
    cluster's folder and be able to reach it (the parents are 0755)."""

    def __init__(self, folder: Path):
        self.bin_dir = postgres_bin_dir()
        self.as_postgres = []
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(POSTGRES_USER)
            except KeyError:
                unavailable(f"user {POSTGRES_USER} missing: PostgreSQL refuses to run as root")
            self.as_postgres = ["runuser", "-u", POSTGRES_USER, "--"]
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data = folder / "data"
        self.sockets = folder / "sockets"
        self.sockets.mkdir(exist_ok=True)
        self.log = folder / "postgres.log"
        if self.as_postgres:
            for path in (self.folder, self.sockets):
                os.chown(path, account.pw_uid, account.pw_gid)
        self.port = free_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command, timeout: float = 60) -> str:
        result = subprocess.run([*self.as_postgres, *map(str, command)], capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            pytest.fail(f"{' '.join(map(str, command))} exited with {result.returncode}:\n"
                        f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}\n{tail(self.log)}",
                        pytrace=False)
        return result.stdout

    def init(self) -> None:
        self._run(self.bin_dir / "initdb", "-D", self.data, "-A", "trust", "-U", POSTGRES_USER,
                  "-E", "UTF8", "--no-sync")
        settings = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.sockets}'",
            "fsync": "off",
            "synchronous_commit": "on",  # an acknowledged commit survives a server crash
            "full_page_writes": "off",
            "max_connections": 50,
        }
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# tests/reliability\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self) -> None:
        """Start the cluster (again after a stop: same port, same data)."""
        self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-l", self.log, "-w",
                  "-t", START_TIMEOUT, "start")

    def stop(self, mode: str = "fast") -> None:
        """``immediate``: the server quits at once, as in a crash (it recovers on start)."""
        self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def running(self) -> bool:
        result = subprocess.run([*self.as_postgres, str(self.bin_dir / "pg_ctl"), "-D",
                                 str(self.data), "status"], capture_output=True, timeout=30)
        return result.returncode == 0

    def create_database(self, name: str) -> str:
        admin = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {name}"))
        finally:
            admin.dispose()
        return self.url(name)


class AppServer:
    """The service under test: ``python -m tests.reliability.serve_app`` (waitress, 4
    threads) on a free loopback port; its output goes to a log file shown on failures."""

    def __init__(self, folder: Path, database_url: str, redis_url: str):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "server.log"
        self.database_url = database_url
        self.redis_url = redis_url
        self.port = None
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> None:
        for _attempt in range(3):  # another program may take the free port first
            self.port = free_port()
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "tests.reliability.serve_app",
                     "--port", str(self.port), "--db", self.database_url,
                     "--redis", self.redis_url],
                    cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            outcome = wait_until(self._ready_or_exited, f"the server on port {self.port} "
                                 "(/health)", diagnostics=lambda: tail(self.log))
            if outcome == "ready":
                return
            if "address already in use" not in self.log_text().lower():
                break
        pytest.fail(f"the server exited with {self.process.returncode}\n{tail(self.log)}",
                    pytrace=False)

    def _ready_or_exited(self):
        if self.process.poll() is not None:
            return "exited"
        return requests.get(self.url + "/health", timeout=5).status_code == 200 and "ready"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_kib(self) -> int:
        """Resident memory of the server process (VmRSS, in KiB)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError(f"no VmRSS in /proc/{self.pid}/status")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)
