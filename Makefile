# Two commands: `make serve` (set up, migrate, serve on http://localhost:6543, or PORT) and
# `make test` (set up with the testing extra, run the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: serve test bench install install-testing constraints clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The dependencies at the versions of constraints.txt, the ones deployed (README), on
# Python 3.11+ (what its numpy and SQLAlchemy need); on 3.10, the newest setup.py allows.
CONSTRAINTS = $(shell $(BIN)/python -c 'import sys; print("-c constraints.txt" if sys.version_info >= (3, 11) else "")' 2>/dev/null)

$(VENV)/.installed: $(BIN)/python setup.py pyproject.toml constraints.txt
	$(BIN)/pip install -q $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-testing: $(VENV)/.installed
	$(BIN)/pip install -q $(CONSTRAINTS) -e ".[testing]"
	touch $@

# An editable install leaves the package's bytecode to be written at its first import,
# which never happens where PYTHONDONTWRITEBYTECODE is set: every command would compile the
# package as it starts (20-30 ms of impots-batch's). Written here, kept up to date by each make.
install: $(VENV)/.installed
	@$(BIN)/python -m compileall -q impots_pyramid
install-testing: install $(VENV)/.installed-testing

# Refuses a port that is taken (e.g. by another `make serve`) with a message, not pserve's
# traceback: every address `localhost` names must be free.
define CHECK_PORT
import errno, socket, sys
port = int(sys.argv[1])
for family, kind, proto, _, address in socket.getaddrinfo("localhost", port, type=socket.SOCK_STREAM):
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                sys.exit(f"make serve: port {port} is taken (another make serve?): stop what "
                         f"listens on it, or choose another port: make serve PORT={port + 1}")
endef
export CHECK_PORT

# `make serve PORT=8000`: another port than 6543. The first start creates the SQLite
# database and the development user admin/admin.
PORT ?= 6543
serve: install
	@$(BIN)/python -c "$$CHECK_PORT" $(PORT)
	@if [ -f impots_pyramid.sqlite ]; then \
		$(BIN)/initialize_impots_db development.ini; \
	else \
		$(BIN)/initialize_impots_db development.ini --user admin --password admin; \
	fi
	$(BIN)/pserve development.ini http_port=$(PORT)

test: install-testing
	$(BIN)/pytest $(PYTEST_ARGS)

# Our service, the Flask peer and a Pyramid "hello" side by side (see README, Benchmarks).
BENCH_ARGS ?=
bench: install
	$(BIN)/python bench/compare.py $(BENCH_ARGS)

# Pin the runtime dependencies at the versions of $(VENV), e.g. after `$(BIN)/pip install -U
# SOMETHING` and a `make test` that passes.
constraints: install
	$(BIN)/python -m tests.test_constraints > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) *.egg-info test-output .pytest_cache
