"""A real Apache with Debian's mod_wsgi serving the application at /impots.

Once per test session, the project is copied and pip-installed into a virtual environment
made with /usr/bin/python3 (the Python Debian's mod_wsgi is built for), in a temporary
folder under /tmp that www-data can read (Apache refuses to run its workers as root, and
pytest's own temporary folders are private to their owner). Then, once per database
(PostgreSQL, MariaDB), a scratch database is migrated with the installed
``initialize_impots_db production.ini`` and Apache is started in the foreground with a
configuration generated from httpd.conf.template: mod_wsgi in daemon mode, 2 processes of
4 threads, sessions in Redis.

The application's IMPOTS_* variables are exported in the environment of the apache2
process, which its daemon processes inherit: that is what /etc/apache2/envvars does on
Debian (SetEnv would only reach each request's WSGI environ). Logs are kept under
test-output/apache/<database>/.
"""
import dataclasses
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import redis
import requests

from tests import services

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUTPUT = REPO / "test-output" / "apache"
APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
SYSTEM_PYTHON = Path("/usr/bin/python3")  # the Python Debian's mod_wsgi is built for
RUN_AS = "www-data"
MOUNT = "/impots"
USER, PASSWORD = "admin", "admin"
SESSION_COOKIE = "impots_session"
READY_TIMEOUT = 60

# The start of the configuration of every Apache the tests run (string.Template syntax).
SERVER_HEAD = """\
ServerRoot "$server_root"
ServerName 127.0.0.1
PidFile "$run_dir/httpd.pid"
DefaultRuntimeDir "$run_dir"
Mutex file:$run_dir default
Define APACHE_LOG_DIR $log_dir
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
"""

# What the installed copy does not need (and must not drag along: the repository's venv).
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "test-output", "tests", "bench", "__pycache__", "*.pyc",
    "*.sqlite", "*.egg-info", ".pytest_cache", ".hypothesis", "build", "dist", "log")


def unavailable(message: str):
    if services.REQUIRE_SERVICES:
        pytest.fail(message + " [IMPOTS_REQUIRE_SERVICES=1]", pytrace=False)
    pytest.skip(message)


def require_apache():
    """Skip (or fail under IMPOTS_REQUIRE_SERVICES=1) when a part of the stack is missing."""
    if not os.access(APACHE, os.X_OK):
        unavailable(f"Apache not installed ({APACHE}): apt-get install apache2")
    if not (MODULES / "mod_wsgi.so").exists():
        unavailable(f"mod_wsgi not installed ({MODULES}/mod_wsgi.so): "
                    "apt-get install libapache2-mod-wsgi-py3")
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        unavailable(f"{SYSTEM_PYTHON} (the Python of Debian's mod_wsgi) not found: "
                    "apt-get install python3 python3-venv")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            unavailable(f"user {RUN_AS} missing: Apache started as root runs its workers as {RUN_AS}")


def run(command, timeout=300, **options):
    """Run a command; on failure, fail the test with its output."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            timeout=timeout, **options)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited with {result.returncode}:\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}", pytrace=False)
    return result


def as_app_user() -> dict:
    """subprocess options to run a command as the user Apache runs the application as."""
    if os.geteuid() != 0:
        return {}
    return {"user": RUN_AS, "group": RUN_AS, "extra_groups": []}


def give_to_app_user(path: Path):
    if os.geteuid() == 0:
        shutil.chown(path, RUN_AS, RUN_AS)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sessions_redis_url() -> str:
    """The tests' Redis server, another database number than the rest of the suite's (which
    empties its own), so that a concurrent run of the other tests keeps these sessions: the
    number just below it (14 for the default 15), so that runs given different numbers
    (IMPOTS_TEST_REDIS_URL) stay apart."""
    url = urllib.parse.urlsplit(services.REDIS_URL)
    number = int(url.path.strip("/") or 0)
    ours = url._replace(path=f"/{number - 1 if number > 0 else 1}").geturl()
    client = redis.Redis.from_url(ours, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        services.unavailable("redis", exc)
    finally:
        client.close()
    return ours


@dataclasses.dataclass
class Deployment:
    """The application installed as an administrator would: a copy of the project and a
    virtual environment made with /usr/bin/python3, readable by www-data."""
    root: Path
    app_dir: Path
    venv: Path

    @property
    def ini(self) -> Path:
        return self.app_dir / "production.ini"

    def command(self, name) -> Path:
        return self.venv / "bin" / name


def install_commands(app_dir, venv) -> list:
    """The README's install step (Deploying with Apache, step 2), with /srv/impots as
    ``app_dir`` and /srv/impots/venv as ``venv``."""
    return [[SYSTEM_PYTHON, "-m", "venv", venv],
            [venv / "bin" / "pip", "install", "-c", app_dir / "constraints.txt", app_dir]]


def site_environment(**variables) -> dict:
    """A clean environment (nothing of the test runner's Python leaks into mod_wsgi) with
    the application's variables, as /etc/apache2/envvars would export them."""
    environment = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "LANG": "C.UTF-8"}
    environment.update({name: str(value) for name, value in variables.items() if value is not None})
    return environment


class Apache:
    """apache2 -DFOREGROUND -f <conf generated from a template>, on a free loopback port."""

    def __init__(self, site: Path, environment: dict, template: str, **values):
        self.site = site
        self.environment = environment
        self.template = template
        self.values = values
        self.log_dir = site / "logs"
        self.run_dir = site / "run"
        for folder in (site, self.log_dir, self.run_dir):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o755)
        self.conf = site / "httpd.conf"
        self.process = None
        self.port = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The application's root: the mount point."""
        return self.base_url + MOUNT

    def write_conf(self, port: int):
        user = f"User {RUN_AS}\nGroup {RUN_AS}" if os.geteuid() == 0 else ""
        text = string.Template(self.template).substitute(
            server_root=self.site, run_dir=self.run_dir, log_dir=self.log_dir,
            modules=MODULES, port=port, user_directives=user, **self.values)
        self.conf.write_text(text)

    def start(self, ready_path="/health", expect_ready=True):
        for _attempt in range(3):  # another program may take the free port first
            self.port = free_port()
            self.write_conf(self.port)
            with open(self.log_dir / "apache-stdout.log", "ab") as output:
                self.process = subprocess.Popen(
                    [str(APACHE), "-DFOREGROUND", "-f", str(self.conf)], env=self.environment,
                    stdout=output, stderr=subprocess.STDOUT, cwd=self.site,
                    start_new_session=True)
            answer = self.wait_for_answer(ready_path, expect_ready)
            if answer is not None:
                return answer
            if "Address already in use" not in self.diagnostics():
                break
        pytest.fail(f"apache2 exited with code {self.process.returncode}:\n{self.diagnostics()}",
                    pytrace=False)

    def wait_for_answer(self, path, expect_ready):
        """Poll until HTTP 200 (or, with expect_ready false, any HTTP answer); None when
        Apache exited. An open port is not readiness: the application loads lazily."""
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return None
            try:
                response = requests.get(self.url + path, timeout=10, allow_redirects=False,
                                        headers={"Connection": "close"})
                if response.status_code == 200 or not expect_ready:
                    return response
                last = f"HTTP {response.status_code}: {response.text[:500]}"
            except requests.RequestException as exc:
                last = repr(exc)
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"Apache not ready: no HTTP 200 from {MOUNT}{path} within {READY_TIMEOUT} s "
                    f"(last: {last}):\n{self.diagnostics()}", pytrace=False)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: the parent stops its children, then exits
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def error_log(self) -> str:
        path = self.log_dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_log(self) -> str:
        path = self.log_dir / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def diagnostics(self) -> str:
        stdout = self.log_dir / "apache-stdout.log"
        text = stdout.read_text(errors="replace") if stdout.exists() else ""
        return f"--- {self.log_dir}/error.log ---\n{self.error_log()[-6000:]}\n--- stdout ---\n{text[-2000:]}"

    def daemon_pids(self) -> set:
        """The mod_wsgi daemon processes, as mod_wsgi logs them when they start (wsgi:info)."""
        return {int(pid) for pid in re.findall(
            r"mod_wsgi \(pid=(\d+)\): Starting process 'impots'", self.error_log())}

    def keep_logs(self, destination: Path):
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.conf, destination / "httpd.conf")
        shutil.copytree(self.log_dir, destination, dirs_exist_ok=True)


def load_template(name="httpd.conf.template") -> str:
    return (HERE / name).read_text()


@dataclasses.dataclass
class Site:
    """A running Apache serving the application with one database."""
    kind: str
    apache: Apache
    environment: dict
    deployment: Deployment
    app_log_dir: Path

    @property
    def url(self) -> str:
        return self.apache.url


def start_site(deployment, kind, database_url, redis_url, name=None) -> Site:
    site_dir = deployment.root / (name or kind)
    app_log_dir = site_dir / "app-logs"
    app_log_dir.mkdir(parents=True)
    give_to_app_user(app_log_dir)
    environment = site_environment(
        IMPOTS_INI=deployment.ini,
        IMPOTS_DATABASE_URL=database_url,
        IMPOTS_REDIS_URL=redis_url,
        IMPOTS_SESSION_SECRET=secrets.token_hex(32),
        IMPOTS_SECURE_COOKIES="false",  # plain HTTP on the loopback
        IMPOTS_LOG_DIR=app_log_dir,
    )
    # The administrator's step, run as the application's user so that the log file it
    # creates stays writable by the daemon processes.
    run([deployment.command("initialize_impots_db"), deployment.ini,
         "--user", USER, "--password", PASSWORD],
        env=environment, cwd=deployment.app_dir, **as_app_user())
    apache = Apache(site_dir, environment, load_template(),
                    venv=deployment.venv, app_dir=deployment.app_dir)
    apache.start()
    return Site(kind, apache, environment, deployment, app_log_dir)


def adapted_site_file(deployment, name: str, replacements: dict) -> str:
    """apache/``name`` as an administrator adapts it (the lines marked CHANGE): the
    deployment's folders, then ``replacements``; each must still be in the shipped file."""
    text = (deployment.app_dir / "apache" / name).read_text()
    replacements = {
        "Define IMPOTS_HOME /srv/impots": f"Define IMPOTS_HOME {deployment.app_dir}",
        "Define IMPOTS_VENV /srv/impots/venv": f"Define IMPOTS_VENV {deployment.venv}",
        **replacements,
    }
    for old, new in replacements.items():
        assert old in text, f"apache/{name} no longer has {old!r}"
        text = text.replace(old, new)
    if os.geteuid() != 0:  # only root may switch the daemon processes to www-data
        text = text.replace("user=www-data group=www-data", "")
    return text

