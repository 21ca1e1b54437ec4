"""constraints.txt: the version of every runtime dependency, for reproducible deployments
(`pip install -c constraints.txt /srv/impots`, README) and for the development venv
(`make install`), so that a server runs the versions the suite ran on.

`make constraints` (``python -m tests.test_constraints``) rewrites it from the virtual
environment's versions, keeping the pins of what only another platform or Python installs
(colorama on Windows, legacy-cgi from Python 3.13, async-timeout before 3.11.3).
"""
import ast
import importlib.metadata
import itertools
import sys
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"

# Where the pinned versions must install: Debian 12's /usr/bin/python3 (3.11.2, the Python of
# its mod_wsgi), later Pythons, Linux and Windows (the course's mod_wsgi-express).
PYTHONS = ("3.11.2", "3.12.3", "3.13.5", "3.14.0")
PLATFORMS = ({"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
             {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"})
ENVIRONMENTS = [
    {**default_environment(), **platform, "python_full_version": python,
     "python_version": ".".join(python.split(".")[:2]), "implementation_name": "cpython",
     "platform_python_implementation": "CPython"}
    for python, platform in itertools.product(PYTHONS, PLATFORMS)]


def setup_requirements() -> list:
    """setup.py's install_requires (its ``requires`` list), read without running setup()."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) == "requires" for target in node.targets):
            return [Requirement(text) for text in ast.literal_eval(node.value)]
    raise AssertionError("setup.py no longer has a `requires` list")


def applies(requirement: Requirement, extras) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**environment, "extra": extra})
               for environment in ENVIRONMENTS for extra in (extras or {""}))


def runtime_dependencies() -> dict:
    """Every distribution that installing the package may bring, on any supported Python
    and platform: canonical name -> the version installed here (None if not installed,
    e.g. what only Windows needs). Dependencies of dependencies come from the metadata
    of what is installed in this environment."""
    found, walked = {}, set()
    pending = [(requirement, set(requirement.extras)) for requirement in setup_requirements()]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if (name, frozenset(extras)) in walked:
            continue
        walked.add((name, frozenset(extras)))
        try:
            distribution = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            found.setdefault(name, None)
            continue
        found[name] = distribution.version
        for text in distribution.requires or []:
            dependency = Requirement(text)
            if applies(dependency, extras):
                pending.append((dependency, set(dependency.extras)))
    return found


def read_pins(path=CONSTRAINTS) -> dict:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            [specifier] = requirement.specifier
            assert specifier.operator == "==", f"constraints.txt: {line} is not a pin (==)"
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_every_runtime_dependency_is_pinned():
    missing = sorted(set(runtime_dependencies()) - set(read_pins()))
    assert not missing, (f"not pinned in constraints.txt: {missing} (`make constraints` pins "
                         "them at this environment's versions)")


def test_nothing_pinned_that_the_package_does_not_install():
    extra = sorted(set(read_pins()) - set(runtime_dependencies()))
    assert not extra, f"constraints.txt pins what the package no longer needs: {extra}"


def test_pins_satisfy_setup_py():
    pins = read_pins()
    for requirement in setup_requirements():
        version = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), \
            f"constraints.txt pins {requirement.name}=={version}, outside setup.py's {requirement}"


def test_setuptools_is_held_below_the_version_whose_pkg_resources_warns():
    """pyramid (2.1) imports pkg_resources, which setuptools installs: from setuptools 80.9
    that import prints a UserWarning ("pkg_resources is deprecated as an API") on every
    console command and in Apache's error log at every start; 82 removes it. Python 3.12+
    venvs have no setuptools of their own, so pip installs the newest allowed."""
    [requirement] = [r for r in setup_requirements() if r.name == "setuptools"]
    assert not requirement.specifier.contains("80.9.0"), requirement
    assert Version(read_pins()["setuptools"]) < Version("80.9")


def constraints_text(old: dict) -> str:
    """constraints.txt at this environment's versions (for `make constraints`)."""
    lines = list(itertools.takewhile(lambda line: line.startswith("#"),
                                     CONSTRAINTS.read_text().splitlines()))
    for name, version in sorted(runtime_dependencies().items()):
        version = version or old.get(name)
        if version is None:
            raise SystemExit(f"{name} is not installed here and not pinned yet: pin it by hand")
        lines.append(f"{name}=={version}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(constraints_text(read_pins() if CONSTRAINTS.exists() else {}))
