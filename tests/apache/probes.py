"""What the tests observe from outside the application: which mod_wsgi daemon process
served a request, without adding anything to the application.

In daemon mode, Apache's access log (%P) names the Apache child that proxied the request,
not the daemon process that ran it, and mod_wsgi logs nothing per request. But every
request of a session reads the session from Redis over the daemon process's own
connections (each process has its own pool). So: record Redis's MONITOR stream (each
command with the client's port) while a session runs, and map those ports to the daemon
processes through /proc (each process's socket inodes, /proc/net/tcp's local ports).
"""
import os
import re
import threading
import urllib.parse
from pathlib import Path

import redis

END_MARK = "impots-apache-tests-monitor-end"


def redis_port(url: str) -> int:
    return urllib.parse.urlsplit(url).port or 6379


def redis_db(url: str) -> int:
    return int(urllib.parse.urlsplit(url).path.strip("/") or 0)


def local_ports_to_pid(pids, remote_port: int) -> dict:
    """{local TCP port: pid} for the connections of ``pids`` to ``remote_port``."""
    inode_to_pid = {}
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                match = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(fd))
            except OSError:  # closed meanwhile
                continue
            if match:
                inode_to_pid[match.group(1)] = pid
    ports = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inode_to_pid and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                ports[int(local.rsplit(":", 1)[1], 16)] = inode_to_pid[inode]
    return ports


class RedisMonitor:
    """The commands Redis receives while the ``with`` block runs (MONITOR)."""

    def __init__(self, url: str):
        self.url = url
        self.commands = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._record, daemon=True)

    def _record(self):
        client = redis.Redis.from_url(self.url)
        try:
            with client.monitor() as monitor:
                self._ready.set()
                while True:
                    command = monitor.next_command()
                    if command["command"] == f"ECHO {END_MARK}":
                        return
                    self.commands.append(command)
        finally:
            self._ready.set()
            client.close()

    def __enter__(self):
        self._thread.start()
        assert self._ready.wait(10), "Redis MONITOR did not start"
        return self

    def __exit__(self, *exc_info):
        # Database 0: no SELECT of its own in the record of the monitored database.
        parts = urllib.parse.urlsplit(self.url)
        client = redis.Redis.from_url(urllib.parse.urlunsplit(parts._replace(path="/0")))
        try:
            client.echo(END_MARK)  # everything sent before it has been recorded
        finally:
            client.close()
        self._thread.join(10)

    def commands_by_pid(self, pids) -> dict:
        """{pid: [commands]} for the commands sent by ``pids`` in the monitored database."""
        ports = local_ports_to_pid(pids, redis_port(self.url))
        result = {pid: [] for pid in pids}
        for command in self.commands:
            if not command["client_port"].isdigit():  # e.g. a Lua script's own commands
                continue
            pid = ports.get(int(command["client_port"]))
            if pid is not None and command["db"] == redis_db(self.url):
                result[pid].append(command["command"])
        return result
