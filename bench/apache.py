"""The flow under the production server: our apache/impots.wsgi and the Flask peers, each
under its own Apache with Debian's mod_wsgi in daemon mode, the same processes and threads.

Used by compare.py (``--apache``, on when apache2 and mod_wsgi are installed). The approach
is tests/apache/harness.py's: the project copied and pip-installed into a virtual
environment made with /usr/bin/python3 (the Python Debian's mod_wsgi is built for), in a
folder www-data can read (/tmp/impots-bench-apache: the virtual environments are made once
and kept, the project's code is copied and reinstalled on every run); each Apache in the
foreground (``apache2 -DFOREGROUND -f``) with a generated configuration, on a free
loopback port, pinned with taskset (its daemon processes inherit the CPUs). Ours runs with
production.ini as shipped (logging to files, the access log on INFO), its variables in
Apache's environment as /etc/apache2/envvars would put them; the peers get theirs the same
way, through a two-line .wsgi file each.
"""
import os
import secrets
import shutil
import signal
import string
import subprocess
import time
import urllib.request
from pathlib import Path

from .servers import free_port, pinned

APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
SYSTEM_PYTHON = Path("/usr/bin/python3")
RUN_AS = "www-data"
ROOT = Path(__file__).resolve().parent.parent
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "test-output", "tests", "bench", "__pycache__", "*.pyc",
    "*.sqlite", "*.egg-info", ".pytest_cache", ".hypothesis", "build", "dist", "log")

CONF = """\
ServerRoot "$site"
ServerName 127.0.0.1
PidFile "$site/run/httpd.pid"
DefaultRuntimeDir "$site/run"
Mutex file:$site/run default
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule wsgi_module $modules/mod_wsgi.so
Listen 127.0.0.1:$port
$user
ErrorLog "$site/logs/error.log"
LogLevel warn
WSGISocketPrefix $site/run/wsgi
WSGIRestrictEmbedded On
WSGIDaemonProcess $name python-home=$venv processes=$processes threads=$threads \\
    display-name=%{GROUP} home=$home lang=C.UTF-8 locale=C.UTF-8
WSGIProcessGroup $name
WSGIApplicationGroup %{GLOBAL}
WSGIPassAuthorization On
WSGIScriptAlias / $script
<Directory "$script_dir">
    Require all granted
</Directory>
"""

PEER_WSGI = """\
import sys
sys.path.insert(0, {folder!r})
from app import app as application
"""


def available() -> bool:
    return (os.access(APACHE, os.X_OK) and (MODULES / "mod_wsgi.so").exists()
            and os.access(SYSTEM_PYTHON, os.X_OK))


def _run(command, **options):
    subprocess.run([str(part) for part in command], check=True, capture_output=True,
                   timeout=900, **options)


def _venv(venv: Path, requirements: list, marker_text: str) -> None:
    marker = venv / ".installed"
    if marker.exists() and marker.read_text() == marker_text:
        return
    if venv.exists():
        shutil.rmtree(venv)
    _run([SYSTEM_PYTHON, "-m", "venv", venv])
    _run([venv / "bin" / "pip", "install", "-q", *requirements])
    marker.write_text(marker_text)


def deploy(root: Path, peers: Path) -> dict:
    """Our code and the peers' installed under ``root`` (virtual environments kept)."""
    root.mkdir(parents=True, exist_ok=True)
    app_dir = root / "app"
    if app_dir.exists():
        shutil.rmtree(app_dir)
    shutil.copytree(ROOT, app_dir, ignore=COPY_IGNORE)
    constraints = (ROOT / "constraints.txt").read_text()
    _venv(root / "venv", ["-c", app_dir / "constraints.txt", app_dir], constraints)
    # The code changes from run to run: reinstalled without touching its dependencies.
    _run([root / "venv" / "bin" / "pip", "install", "-q", "--no-deps", "--force-reinstall",
          app_dir])
    requirements = peers / "flask_durable" / "requirements.txt"
    _venv(root / "peer-venv", ["-r", requirements], requirements.read_text())
    peers_copy = root / "peers"
    if peers_copy.exists():
        shutil.rmtree(peers_copy)
    shutil.copytree(peers, peers_copy, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("flask_seed", "flask_durable"):
        (peers_copy / f"{name}.wsgi").write_text(PEER_WSGI.format(
            folder=str(peers_copy / name)))
    _run(["chmod", "-R", "a+rX", root])
    return {"root": root, "app": app_dir, "venv": root / "venv",
            "peer_venv": root / "peer-venv", "peers": peers_copy}


class ApacheServer:
    """One Apache serving one application; the compare.py Server interface (name,
    address, start, stop, cpu_seconds, memory), its figures those of all its processes."""

    def __init__(self, name, site: Path, venv: Path, script: Path, home: Path, env: dict,
                 cpus, processes: int, threads: int, ready_path: str):
        self.name, self.site, self.env, self.cpus = name, site, env, cpus
        self.ready_path, self.process, self.port = ready_path, None, free_port()
        if site.exists():
            shutil.rmtree(site)
        for folder in (site, site / "logs", site / "run", site / "app-logs"):
            folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            for folder in (site / "app-logs",):
                shutil.chown(folder, RUN_AS, RUN_AS)
        user = f"User {RUN_AS}\nGroup {RUN_AS}" if os.geteuid() == 0 else ""
        (site / "httpd.conf").write_text(string.Template(CONF).substitute(
            site=site, modules=MODULES, port=self.port, user=user, name=name.replace(" ", "_"),
            venv=venv, processes=processes, threads=threads, home=home, script=script,
            script_dir=script.parent))
        _run(["chmod", "-R", "a+rX", site])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=60.0):
        environment = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "LANG": "C.UTF-8", **self.env}
        with open(self.site / "logs" / "stdout.log", "ab") as output:
            self.process = subprocess.Popen(
                pinned([str(APACHE), "-DFOREGROUND", "-f", str(self.site / "httpd.conf")],
                       self.cpus), env=environment, stdout=output, stderr=subprocess.STDOUT,
                cwd=self.site, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://{self.address}{self.ready_path}",
                                            timeout=10) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        error_log = self.site / "logs" / "error.log"
        raise RuntimeError(f"{self.name} under Apache not ready: see {error_log}")

    def _pids(self) -> list:
        """The apache2 processes and mod_wsgi's daemons: the session the parent leads."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[3]) == self.process.pid:  # field 6: the session id
                    found.append((int(entry), fields))
        return found

    def cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        return sum(int(f[11]) + int(f[12]) for _, f in self._pids()) / ticks

    def memory(self) -> dict:
        """The largest daemon process's peak and current resident memory (MiB)."""
        best = {"peak_mib": 0.0, "rss_mib": 0.0}
        for pid, _ in self._pids():
            try:
                with open(f"/proc/{pid}/status") as status:
                    fields = dict(line.split(":", 1) for line in status if ":" in line)
            except OSError:
                continue
            peak = int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
            if peak > best["peak_mib"]:
                best = {"peak_mib": peak,
                        "rss_mib": int(fields.get("VmRSS", "0 kB").split()[0]) / 1024}
        return best

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # the parent stops its children
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def servers(options, deployment) -> list:
    """Ours, the course peer and the durable peer, each under its Apache."""
    site = deployment["root"] / "sites"
    common = dict(cpus=options.server_cpus, processes=options.apache_processes,
                  threads=options.apache_threads)
    ours = ApacheServer(
        "ours", site / "ours", deployment["venv"], deployment["app"] / "apache" / "impots.wsgi",
        deployment["app"], {
            "IMPOTS_INI": str(deployment["app"] / "production.ini"),
            "IMPOTS_DATABASE_URL": options.database_url,
            "IMPOTS_REDIS_URL": options.redis_url,
            "IMPOTS_SESSION_SECRET": secrets.token_hex(32),
            "IMPOTS_SECURE_COOKIES": "false",
            "IMPOTS_LOG_DIR": str(site / "ours" / "app-logs")},
        ready_path="/health", **common)
    peer = ApacheServer(
        "peer", site / "peer", deployment["peer_venv"],
        deployment["peers"] / "flask_seed.wsgi", deployment["peers"] / "flask_seed",
        {"REDIS_URL": options.peer_redis_url, "SECRET_KEY": secrets.token_hex(32),
         # its tax parameters' SQLite file, where www-data may write it
         "TAX_DB_URL": f"sqlite:///{site / 'peer' / 'app-logs' / 'taxdata.sqlite'}"},
        ready_path="/hello", **common)
    durable = ApacheServer(
        "durable", site / "durable", deployment["peer_venv"],
        deployment["peers"] / "flask_durable.wsgi", deployment["peers"] / "flask_durable",
        {"REDIS_URL": options.durable_redis_url, "DB_URL": options.durable_database_url,
         "SECRET_KEY": secrets.token_hex(32),
         "TAX_DB_URL": f"sqlite:///{site / 'durable' / 'app-logs' / 'taxdata.sqlite'}"},
        ready_path="/hello", **common)
    return [ours, peer, durable]
