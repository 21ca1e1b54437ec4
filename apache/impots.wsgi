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
"""
import os
import pwd

from pyramid.paster import get_app, setup_logging

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_INI = os.path.join(os.path.dirname(HERE), "production.ini")


def _ini_path() -> str:
    path = os.path.abspath(os.environ.get("IMPOTS_INI") or DEFAULT_INI)
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        user = pwd.getpwuid(os.geteuid()).pw_name
        origin = ("from the environment variable IMPOTS_INI" if os.environ.get("IMPOTS_INI")
                  else "the default, as IMPOTS_INI is not set")
        # Raised at import: mod_wsgi logs it in Apache's error log and answers 500.
        raise RuntimeError(
            f"impots.wsgi: the configuration file {path} ({origin}) does not exist or is not "
            f"readable by user {user}: set IMPOTS_INI in Apache's environment "
            f"(/etc/apache2/envvars on Debian) to the path of production.ini")
    return path


INI = _ini_path()
setup_logging(INI)
application = get_app(INI, "main")
