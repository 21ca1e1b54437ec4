"""Two sites on one Apache, as the course ran its PostgreSQL and MySQL versions: the shipped
apache/impots-sites.conf (two virtual hosts, a mod_wsgi daemon process group each), Apache's
environment naming only the ini and IMPOTS_SITES, and each group's own variables in
IMPOTS_SITES/<group>.env (README, "Several sites on one Apache"). Each site answers from its
own database: a user that exists in one only is refused by the other."""
import secrets
import shlex

import pytest
import requests

from tests import services
from tests.apache.harness import (
    OUTPUT, SERVER_HEAD, Apache, adapted_site_file, as_app_user, give_to_app_user, run, site_environment,
)

pytestmark = [pytest.mark.apache, pytest.mark.postgresql, pytest.mark.mysql, pytest.mark.redis]

HOSTS = {"impots-pg": "impots-pg.example.org", "impots-mysql": "impots-mysql.example.org"}
ONLY = {"impots-pg": "only-in-postgresql", "impots-mysql": "only-in-mariadb"}
PASSWORD = "s3cret-sites"
TAX = "/impots/api/tax-years/2019/tax?married=yes&children=2&salary=55555"

TEMPLATE = SERVER_HEAD + """\
LoadModule wsgi_module $modules/mod_wsgi.so
Listen 127.0.0.1:$port
$user_directives
ErrorLog "$log_dir/error.log"
LogLevel warn wsgi:info
LogFormat "%h %l %u %t \\"%r\\" %>s %O" combined
WSGISocketPrefix $run_dir/wsgi
Include $site_conf
"""


def sites_conf(deployment, port) -> str:
    """apache/impots-sites.conf as an administrator adapts it (the lines marked CHANGE)."""
    return adapted_site_file(deployment, "impots-sites.conf", {
        "<VirtualHost *:80>": f"<VirtualHost 127.0.0.1:{port}>",
        "processes=2": "processes=1",  # two sites on the test machine's CPUs
    })


def env_file(variables: dict) -> str:
    return "".join(f"export {name}={shlex.quote(str(value))}\n"
                   for name, value in variables.items())


@pytest.fixture(scope="module")
def sites(deployment, redis_url_for_sessions):
    folder = deployment.root / "two-sites"
    sites_dir = folder / "sites"
    sites_dir.mkdir(parents=True)
    with services.scratch_database("postgresql") as pg_url, \
            services.scratch_database("mysql") as mysql_url:
        own = {}
        for group, database_url in (("impots-pg", pg_url), ("impots-mysql", mysql_url)):
            log_dir = folder / f"{group}-logs"
            log_dir.mkdir()
            give_to_app_user(log_dir)
            # One Redis database for both here (sessions are keyed by random ids); the README
            # gives each site its own, since failed logins are counted per user name.
            own[group] = {"IMPOTS_DATABASE_URL": database_url,
                          "IMPOTS_REDIS_URL": redis_url_for_sessions,
                          "IMPOTS_SESSION_SECRET": secrets.token_hex(32),
                          "IMPOTS_SECURE_COOKIES": "false",
                          "IMPOTS_LOG_DIR": log_dir}
            (sites_dir / f"{group}.env").write_text(env_file(own[group]))
            # The site's own console commands: Apache's variables plus the site's file.
            for user in ("admin", ONLY[group]):
                run([deployment.command("initialize_impots_db"), deployment.ini,
                     "--user", user, "--password", PASSWORD],
                    env=site_environment(IMPOTS_INI=deployment.ini, **own[group]),
                    cwd=deployment.app_dir, **as_app_user())
        run(["chmod", "-R", "a+rX", sites_dir])
        # Apache's environment (/etc/apache2/envvars): the ini and the sites' folder only.
        environment = site_environment(IMPOTS_INI=deployment.ini, IMPOTS_SITES=sites_dir)
        apache = Apache(folder / "apache", environment, TEMPLATE,
                        site_conf=folder / "impots-sites.conf")
        original_write = apache.write_conf

        def write_conf(port):
            (folder / "impots-sites.conf").write_text(sites_conf(deployment, port))
            original_write(port)

        apache.write_conf = write_conf
        try:
            apache.start()  # a request without a known host name: the first site's
            yield apache, own
        finally:
            apache.stop()
            apache.keep_logs(OUTPUT / "two-sites")


def get(apache, group, path, **options):
    return requests.get(apache.base_url + path, headers={"Host": HOSTS[group],
                                                         "Connection": "close"},
                        timeout=30, **options)


@pytest.mark.parametrize("group", sorted(HOSTS))
def test_each_site_answers_from_its_own_database(sites, group):
    apache, _own = sites
    health = get(apache, group, "/impots/health")
    assert health.status_code == 200, apache.diagnostics()
    assert health.json() == {"database": "ok", "sessions": "ok"}
    mine = get(apache, group, TAX, auth=(ONLY[group], PASSWORD))
    assert mine.status_code == 200, mine.text
    assert mine.json()["tax"] > 0
    [other] = [user for name, user in ONLY.items() if name != group]
    theirs = get(apache, group, TAX, auth=(other, PASSWORD))
    assert theirs.status_code == 401, f"{other} (of the other site's database) got in"


def test_each_site_runs_in_its_own_daemon_processes_with_its_own_log(sites):
    apache, own = sites
    for group in HOSTS:
        get(apache, group, "/impots/health")
    logs = "".join(path.read_text(errors="replace") for path in apache.log_dir.glob("*.log"))
    for group in HOSTS:
        assert f"Starting process '{group}'" in logs, logs[-3000:]
        assert (own[group]["IMPOTS_LOG_DIR"] / "impots.log").exists()
    assert "Traceback" not in logs, logs[-3000:]
