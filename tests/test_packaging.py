"""What an administrator runs to install the application, as the README says it: the build
backend pip finds, and the README's install commands being the ones tests/apache runs."""
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.apache.conftest import install_commands

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_pyproject_names_a_pep517_build_backend():
    """Without it, Debian 12's pip (23.0.1) takes the legacy `setup.py install` when the
    venv has no `wheel`, and the console scripts it writes die in pkg_resources."""
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    assert build["build-backend"] == "setuptools.build_meta"
    assert any(requirement.startswith("setuptools") for requirement in build["requires"])


def test_readme_install_commands_are_the_ones_the_apache_tests_run():
    """tests/apache installs the application with these commands, /srv/impots being its
    temporary folder: the README must say the same, no option more or less."""
    for command in install_commands(Path("/srv/impots"), Path("/srv/impots/venv")):
        line = " ".join(str(part) for part in command)
        assert f"sudo {line}\n" in README, f"the README no longer says: sudo {line}"


@pytest.mark.parametrize("path", [
    "venv/bin/python",      # Deploying: /srv/impots/venv, in the checkout
    "log/impots.log",       # production.ini's log folder next to it (Databases, Deploying)
    ".venv/bin/python",     # make serve
    "impots_pyramid.sqlite",
    "constraints.txt.new",  # make constraints, interrupted
])
def test_what_the_readme_steps_make_is_ignored_by_git(path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "--quiet", path])
    assert result.returncode == 0, f"{path} (made by the README's own steps) is not in .gitignore"
