"""mod_wsgi from PyPI, the course's way (README, "mod_wsgi from PyPI"): `pip install mod_wsgi`
in the application's virtual environment (it compiles against Apache's apxs), then
`mod_wsgi-express start-server apache/impots.wsgi --mount-point /impots`, or
`mod_wsgi-express module-config` for a system Apache (the course's method on Windows,
checked here on Linux with Debian's Apache instead of Debian's mod_wsgi).

The virtual environment is made with the README's plain `pip install /srv/impots` (no
constraints file: the newest versions setup.py allows), then `pip install mod_wsgi`."""
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.apache.harness import (
    MOUNT, OUTPUT, RUN_AS, SYSTEM_PYTHON, Apache, as_app_user, free_port,
    give_to_app_user, load_template, run, site_environment, unavailable)
from tests.helpers import stop_process_group

pytestmark = [pytest.mark.apache, pytest.mark.redis]


def require_build_tools():
    if shutil.which("apxs") is None:
        unavailable("apxs not found: `pip install mod_wsgi` compiles against Apache's "
                    "development files: apt-get install apache2-dev")
    include = run([SYSTEM_PYTHON, "-c", "import sysconfig; print(sysconfig.get_path('include'))"])
    if not (Path(include.stdout.strip()) / "Python.h").exists():
        unavailable(f"Python.h of {SYSTEM_PYTHON} not found: apt-get install python3-dev")


@pytest.fixture(scope="module")
def express(deployment):
    """A virtual environment with the application and mod_wsgi from PyPI."""
    require_build_tools()
    venv = deployment.root / "express-venv"
    run([SYSTEM_PYTHON, "-m", "venv", venv])
    run([venv / "bin" / "pip", "install", deployment.app_dir])
    run([venv / "bin" / "pip", "install", "mod_wsgi"], timeout=600)
    run(["chmod", "-R", "a+rX", venv])
    return venv


@pytest.fixture(scope="module")
def environment(deployment, redis_url_for_sessions):
    """The application's variables, an SQLite database made by its user, migrated."""
    folder = deployment.root / "express-data"
    folder.mkdir()
    give_to_app_user(folder)
    variables = site_environment(
        IMPOTS_INI=deployment.ini,
        IMPOTS_DATABASE_URL=f"sqlite:///{folder / 'impots.sqlite'}",
        IMPOTS_REDIS_URL=redis_url_for_sessions,
        IMPOTS_SESSION_SECRET=secrets.token_hex(32),
        IMPOTS_SECURE_COOKIES="false",
        IMPOTS_LOG_DIR=folder)
    run([deployment.command("initialize_impots_db"), deployment.ini,
         "--user", "admin", "--password", "admin"],
        env=variables, cwd=deployment.app_dir, **as_app_user())
    return variables


def test_plain_install_console_scripts_run_quietly(express):
    """The plain `pip install /srv/impots` (no constraints): the same wheel-made scripts,
    nothing on stderr (no pkg_resources warning: setup.py holds setuptools below 80.9)."""
    for name in ("impots-batch", "initialize_impots_db", "impots-add-user", "impots-purge"):
        result = subprocess.run([str(express / "bin" / name), "--help"], capture_output=True,
                                text=True, env=site_environment(), timeout=60)
        assert result.returncode == 0 and result.stderr == "", f"{name}: {result.stderr}"


def wait_for_health(url, process, log: Path):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            answer = requests.get(url, timeout=10, headers={"Connection": "close"})
            if answer.status_code == 200:
                return answer
        except requests.RequestException:
            pass
        time.sleep(0.2)
    text = log.read_text(errors="replace") if log.exists() else "(no error log)"
    pytest.fail(f"no HTTP 200 from {url} (exit code {process.poll()}):\n{text[-4000:]}",
                pytrace=False)


def test_mod_wsgi_express_start_server_at_the_mount_point(deployment, express, environment):
    folder = deployment.root / "express-server"
    (folder / "logs").mkdir(parents=True)
    run(["chmod", "-R", "a+rwX", folder])
    port = free_port()
    command = [express / "bin" / "mod_wsgi-express", "start-server",
               deployment.app_dir / "apache" / "impots.wsgi", "--mount-point", MOUNT,
               # Beyond the README's command: a loopback port of the test's, its folders,
               # one small process, and the locale this machine has.
               "--host", "127.0.0.1", "--port", port, "--server-root", folder / "root",
               "--log-directory", folder / "logs", "--processes", "1", "--threads", "2",
               "--locale", "C.UTF-8"]
    if os.geteuid() == 0:
        command += ["--user", RUN_AS, "--group", RUN_AS]
    with open(folder / "express.log", "wb") as output:
        process = subprocess.Popen([str(part) for part in command], env=environment,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_for_health(base + MOUNT + "/health", process, folder / "logs" / "error_log")
        assert health.json() == {"database": "ok", "sessions": "ok"}
        assert requests.get(base + "/health", timeout=10).status_code == 404
        conf = (folder / "root" / "httpd.conf").read_text()
        # The module is the one pip built in the virtual environment, not Debian's.
        [load] = [line for line in conf.splitlines() if line.startswith("LoadModule wsgi_module")]
        assert f"{express}/lib/" in load, load
        error_log = (folder / "logs" / "error_log").read_text()
        assert "mod_wsgi/6." in error_log or "mod_wsgi/5." in error_log, error_log[-2000:]
        assert "Traceback" not in error_log
    finally:
        stop_process_group(process)
        destination = OUTPUT / "mod_wsgi-express"
        shutil.rmtree(destination, ignore_errors=True)
        shutil.copytree(folder / "logs", destination)


def test_module_config_loads_the_pypi_module_into_a_system_apache(deployment, express,
                                                                   environment):
    """`mod_wsgi-express module-config` prints the lines for Apache's own configuration
    (instead of Debian's mod_wsgi): LoadModule of the module pip built, WSGIPythonHome."""
    lines = run([express / "bin" / "mod_wsgi-express", "module-config"]).stdout.strip()
    assert lines.startswith("LoadModule wsgi_module "), lines
    assert f'WSGIPythonHome "{express}"' in lines
    template = load_template()
    debian_module = "LoadModule wsgi_module $modules/mod_wsgi.so"
    assert debian_module in template
    template = template.replace(debian_module, lines.replace("$", "$$"))
    apache = Apache(deployment.root / "module-config", environment, template,
                    venv=express, app_dir=deployment.app_dir)
    try:
        health = apache.start()
        assert health.json() == {"database": "ok", "sessions": "ok"}
        log = apache.error_log()
        assert "mod_wsgi/6." in log or "mod_wsgi/5." in log, log[-2000:]
        # (mod_wsgi 6 words it so; Debian's 4.9 says "Python home DIR.")
        assert f"Python home set to '{express}'" in log, log[-2000:]
    finally:
        apache.stop()
        apache.keep_logs(OUTPUT / "module-config")
