"""The deployment itself: the application answers under /impots and only there, the
loader and the production settings refuse a broken setup with a message an administrator
can act on, and the shipped site file apache/impots.conf runs (HTTP and HTTPS)."""
import json
import shutil
import subprocess
import urllib.parse

import pytest
import requests
from packaging.utils import canonicalize_name

from tests.apache.harness import (
    MOUNT, OUTPUT, SERVER_HEAD, Apache, adapted_site_file, free_port, give_to_app_user,
    load_template, run, site_environment,
)
from tests.test_constraints import read_pins

pytestmark = pytest.mark.apache


def test_installed_package_has_every_file_of_the_source(deployment):
    """pip install (what an administrator runs) ships everything the application reads:
    migrations, templates, static files, data, catalogs (setup.py and MANIFEST.in)."""
    source = deployment.app_dir / "impots_pyramid"
    [installed] = deployment.venv.glob("lib/python3*/site-packages/impots_pyramid")
    missing = sorted(
        str(path.relative_to(source)) for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and not (installed / path.relative_to(source)).exists())
    assert not missing, f"not in the installed package: {missing}"


CONSOLE_SCRIPTS = ("impots-batch", "initialize_impots_db", "impots-add-user", "impots-purge")


def test_console_scripts_of_the_plain_pip_install(deployment):
    """The README's plain `pip install /srv/impots` with Debian's own pip (23.0.1) builds a
    wheel through pyproject.toml's backend: the scripts import their module directly.
    Without pyproject.toml that pip takes the legacy `setup.py install`, whose scripts load
    through pkg_resources and die with DistributionNotFound ('zope.sqlalchemy'). Nothing
    on stderr either: no deprecation warning of pkg_resources (which pyramid imports)."""
    for name in CONSOLE_SCRIPTS:
        script = deployment.command(name)
        assert "pkg_resources" not in script.read_text(), f"{name}: a legacy (egg) script"
        result = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                                env=site_environment(), timeout=60)
        assert result.returncode == 0, f"{name} --help: {result.stderr[-3000:]}"
        assert result.stdout.startswith("usage:"), result.stdout
        assert result.stderr == "", f"{name} --help wrote to stderr:\n{result.stderr}"
    check = run([deployment.command("pip"), "check"])
    assert "No broken requirements found" in check.stdout


def test_every_installed_dependency_at_its_pinned_version(deployment):
    """`pip install -c constraints.txt` (README): what the server runs is what was tested;
    nothing installed that constraints.txt does not pin."""
    pins = read_pins(deployment.app_dir / "constraints.txt")
    listed = run([deployment.command("pip"), "list", "--format=json"])
    installed = {canonicalize_name(item["name"]): item["version"]
                 for item in json.loads(listed.stdout)}
    installed.pop("pip")
    assert installed.pop("impots-pyramid") == "0.1.0"
    differ = {name: (version, pins.get(name)) for name, version in installed.items()
              if pins.get(name) != version}
    assert not differ, f"installed (and pinned) versions differ: {differ}"


def test_health_under_the_mount_point(site, http):
    response = http.get(site.url + "/health")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "sessions": "ok"}


def test_nothing_outside_the_mount_point(site, http):
    assert http.get(site.apache.base_url + "/health").status_code == 404


def test_root_redirects_under_the_mount_point(site, http):
    response = http.get(site.url + "/", allow_redirects=False)
    assert response.status_code == 302
    location = urllib.parse.urlsplit(response.headers["Location"])
    assert location.netloc == f"127.0.0.1:{site.apache.port}"
    assert location.path == MOUNT + "/init-session/html"


def test_both_daemon_processes_started_with_the_system_python(site):
    log = site.apache.error_log()
    assert len(site.apache.daemon_pids()) == 2, log[-3000:]
    assert f"Python home {site.deployment.venv}." in log


def test_application_log_file_in_impots_log_dir(site, http):
    http.get(site.url + "/health")
    assert (site.app_log_dir / "impots.log").exists()


def broken_site(deployment, name, **variables):
    """Apache with the same deployment but the given environment; returns the first answer
    to /impots/health and the error log."""
    apache = Apache(deployment.root / name, site_environment(**variables), load_template(),
                    venv=deployment.venv, app_dir=deployment.app_dir)
    try:
        response = apache.start(expect_ready=False)
        return response, apache.error_log()
    finally:
        apache.stop()
        apache.keep_logs(OUTPUT / name)


def test_loader_says_when_the_ini_does_not_exist(deployment):
    missing = deployment.root / "nowhere" / "production.ini"
    response, log = broken_site(deployment, "missing-ini", IMPOTS_INI=missing)
    assert response.status_code == 500
    assert f"impots.wsgi: the configuration file {missing} (from the environment variable " \
           "IMPOTS_INI) does not exist" in log


def test_production_refuses_to_start_without_a_session_secret(deployment):
    log_dir = deployment.root / "no-secret-logs"
    log_dir.mkdir()
    give_to_app_user(log_dir)
    response, log = broken_site(deployment, "no-secret", IMPOTS_INI=deployment.ini,
                                IMPOTS_DATABASE_URL="sqlite:///unused.sqlite",
                                IMPOTS_LOG_DIR=log_dir)
    assert response.status_code == 500
    assert "impots.environment is production but no session secret is set" in log


@pytest.fixture(scope="module")
def certificate(deployment):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed: no certificate for the HTTPS virtual host")
    folder = deployment.root / "tls"
    folder.mkdir(exist_ok=True)
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=impots.example.org", "-keyout", folder / "key.pem",
         "-out", folder / "cert.pem"])
    run(["chmod", "-R", "a+rX", folder])
    return folder / "cert.pem", folder / "key.pem"


def shipped_site_conf(deployment, certificate, http_port, https_port) -> str:
    """apache/impots.conf with what its comments tell an administrator to change."""
    cert, key = certificate
    return adapted_site_file(deployment, "impots.conf", {
        "/etc/ssl/certs/ssl-cert-snakeoil.pem": str(cert),
        "/etc/ssl/private/ssl-cert-snakeoil.key": str(key),
        # Debian's ports.conf listens on *:80 and *:443; here, loopback ports.
        "<VirtualHost *:80>": f"<VirtualHost 127.0.0.1:{http_port}>",
        "<VirtualHost *:443>": f"<VirtualHost 127.0.0.1:{https_port}>",
    })


SHIPPED_TEMPLATE = SERVER_HEAD + """\
LoadModule alias_module $modules/mod_alias.so
LoadModule socache_shmcb_module $modules/mod_socache_shmcb.so
LoadModule ssl_module $modules/mod_ssl.so
LoadModule wsgi_module $modules/mod_wsgi.so
Listen 127.0.0.1:$port
Listen 127.0.0.1:$https_port
$user_directives
ErrorLog "$log_dir/error.log"
LogLevel warn wsgi:info
WSGISocketPrefix $run_dir/wsgi
Include $site_conf
"""


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_shipped_site_file_serves_http_and_https(site, deployment, certificate):
    """apache/impots.conf as an administrator adapts it: HTTP redirects to HTTPS, and the
    application answers over HTTPS at /impots with Secure cookies."""
    if site.kind != "postgresql":
        pytest.skip("the site file does not depend on the database: checked with PostgreSQL")
    https_port = free_port()
    environment = dict(site.environment)
    environment.pop("IMPOTS_SECURE_COOKIES")  # production.ini's default: Secure cookies
    folder = deployment.root / f"shipped-{site.kind}"
    apache = Apache(folder, environment, SHIPPED_TEMPLATE, https_port=https_port,
                    site_conf=folder / "impots.conf")
    # The virtual hosts name the ports, known only once Apache picks its own.
    original_write = apache.write_conf

    def write_conf(port):
        (folder / "impots.conf").write_text(
            shipped_site_conf(deployment, certificate, port, https_port))
        original_write(port)

    apache.write_conf = write_conf
    try:
        first = apache.start(expect_ready=False)
        # HTTP: everything goes to HTTPS, on the site's name.
        assert first.status_code == 301
        assert first.headers["Location"] == "https://impots.example.org/impots/health"
        https = f"https://127.0.0.1:{https_port}{MOUNT}"
        with requests.Session() as client:
            client.headers["Host"] = "impots.example.org"
            # The test's self-signed certificate (per request: REQUESTS_CA_BUNDLE would
            # override a session-wide setting).
            health = client.get(https + "/health", verify=False)
            assert health.status_code == 200, apache.diagnostics()
            started = client.get(https + "/init-session/json", verify=False)
            assert started.status_code == 200
            cookie = started.headers["Set-Cookie"]
            assert "secure" in cookie.lower() and "httponly" in cookie.lower()
            assert "samesite=lax" in cookie.lower()
    finally:
        apache.stop()
        apache.keep_logs(OUTPUT / f"shipped-{site.kind}")
