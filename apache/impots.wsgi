"""mod_wsgi entry point of impots-pyramid: ``WSGIScriptAlias /impots /path/to/impots.wsgi``.

The ini file is the one named by the environment variable IMPOTS_INI, else the project's
production.ini (the folder above this one). Nothing here names a path of a particular
machine.

Where the variables come from: Apache's ``SetEnv`` only reaches each request's WSGI
environ, not ``os.environ`` while this file is loaded, so IMPOTS_INI and the application's
IMPOTS_* variables (README, Configuration) must be in the environment of Apache itself, which its
mod_wsgi daemon processes inherit. On Debian/Ubuntu that is /etc/apache2/envvars (sourced by
apache2ctl and the systemd unit), e.g. a line ``. /etc/impots/impots.env`` where that file
holds ``export IMPOTS_INI=/srv/impots/production.ini`` and the other ``export``s.

Several sites on one Apache (README): that environment is the same for every mod_wsgi
daemon process group, so with IMPOTS_SITES set to a folder, each group also reads the file
``$IMPOTS_SITES/<its group's name>.env`` (the same ``export NAME=value`` lines; quotes and
``#`` comments as in a shell, no ``$`` expansion), whose variables override Apache's: each
site its own database, Redis, secret, log folder, and ini if wanted.
"""
import os
import shlex

from pyramid.paster import get_app, setup_logging

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_INI = os.path.join(os.path.dirname(HERE), "production.ini")


def _user() -> str:
    try:
        import pwd
    except ImportError:  # Windows
        return os.environ.get("USERNAME", "?")
    return pwd.getpwuid(os.geteuid()).pw_name


def _site_variables() -> None:
    folder = os.environ.get("IMPOTS_SITES")
    if not folder:
        return
    try:
        import mod_wsgi
        group = mod_wsgi.process_group
    except (ImportError, AttributeError):
        group = ""
    if not group:
        raise RuntimeError(
            f"impots.wsgi: IMPOTS_SITES ({folder}) holds a file per mod_wsgi daemon process "
            f"group, but this application runs in none (embedded mode): give its site a "
            f"WSGIDaemonProcess and a WSGIProcessGroup")
    path = os.path.join(folder, group + ".env")
    try:
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                words = shlex.split(line, comments=True)
                if words[:1] == ["export"]:
                    words = words[1:]
                if not words:
                    continue
                if len(words) != 1 or "=" not in words[0]:
                    raise RuntimeError(f"impots.wsgi: {path}, line {number}: not a "
                                       f"NAME=value line")
                name, value = words[0].split("=", 1)
                os.environ[name] = value
    except OSError as exc:
        raise RuntimeError(
            f"impots.wsgi: the variables of daemon process group {group!r} are read from "
            f"{path} (IMPOTS_SITES/<group>.env), which user {_user()} cannot read: "
            f"{exc.strerror}") from None


def _ini_path() -> str:
    path = os.path.abspath(os.environ.get("IMPOTS_INI") or DEFAULT_INI)
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        user = _user()
        origin = ("from the environment variable IMPOTS_INI" if os.environ.get("IMPOTS_INI")
                  else "the default, as IMPOTS_INI is not set")
        # Raised at import: mod_wsgi logs it in Apache's error log and answers 500.
        raise RuntimeError(
            f"impots.wsgi: the configuration file {path} ({origin}) does not exist or is not "
            f"readable by user {user}: set IMPOTS_INI in Apache's environment "
            f"(/etc/apache2/envvars on Debian) to the path of production.ini")
    return path


_site_variables()
INI = _ini_path()
setup_logging(INI)
application = get_app(INI, "main")
