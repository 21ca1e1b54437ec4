"""`make serve` as a new user runs it: `make serve PORT=...` serves on that port, and a
second `make serve` on a port in use says so instead of pserve's traceback.

The Makefile runs in a copy of the project with a stand-in for its .venv: this test's own
environment (links to its python, pserve and initialize_impots_db, marked installed), so
that make installs nothing.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import stop_process_group

ROOT = Path(__file__).resolve().parents[1]
FILES = ("Makefile", "development.ini", "setup.py", "pyproject.toml", "constraints.txt",
         "README.md")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def project(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make not installed")
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    here = Path(sys.executable).parent
    (venv / "bin" / "python").symlink_to(sys.executable)
    for command in ("pserve", "initialize_impots_db"):
        (venv / "bin" / command).symlink_to(here / command)
    time.sleep(0.01)
    (venv / ".installed").touch()  # newer than setup.py & co: make installs nothing
    return tmp_path


def make_serve(project, port, **options):
    environment = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for name in [name for name in environment if name.startswith("IMPOTS_")]:
        del environment[name]
    return subprocess.Popen(["make", "--no-print-directory", "serve", f"PORT={port}",
                             f"VENV={project / 'venv'}"],
                            cwd=project, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            **options)


def test_make_serve_on_the_port_given_then_refuses_it_when_taken(project):
    port = free_port()
    first = make_serve(project, port)
    try:
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and first.poll() is None:
            try:
                answer = requests.get(f"http://localhost:{port}/health", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, (
            f"make serve PORT={port} did not serve: {first.poll()}\n"
            f"{first.stdout.read() if first.poll() is not None else ''}")
        assert answer.json() == {"database": "ok", "sessions": "ok"}

        second = make_serve(project, port)
        output, _ = second.communicate(timeout=60)
        assert second.returncode != 0
        assert f"make serve: port {port} is taken" in output, output
        assert f"make serve PORT={port + 1}" in output
        assert "Traceback" not in output, output
        assert "migrated" not in output, "the port is checked before anything else runs"
    finally:
        stop_process_group(first)


def test_readme_documents_make_serve_port():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make serve PORT=" in readme
