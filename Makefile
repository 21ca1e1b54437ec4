# Two commands: `make serve` (set up, migrate, serve on http://localhost:6543) and
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

install: $(VENV)/.installed
install-testing: $(VENV)/.installed-testing

# The first start creates the SQLite database and the development user admin/admin.
serve: install
	@if [ -f impots_pyramid.sqlite ]; then \
		$(BIN)/initialize_impots_db development.ini; \
	else \
		$(BIN)/initialize_impots_db development.ini --user admin --password admin; \
	fi
	$(BIN)/pserve development.ini

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
