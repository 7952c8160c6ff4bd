# The two commands a new user needs: `make run` and `make test`.
# Both create .venv with the first python3 >= 3.11 they find and install what they need.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint typecheck unit bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "parlor needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/parlor serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Two workers, each taking whole files (module-scoped servers start once): the suite waits
# on servers and clients far more than it computes. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2

unit: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck unit

# The edit-test loop: lint, types, and every test not marked slow (no real
# parlor serve under load, no browser, no state machines), without coverage.
# `make test` stays whole: it is what CI runs.
test-fast: lint typecheck
	$(BIN)/pytest -m "not slow" --no-cov -q

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/house_ops.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage var/test-*
