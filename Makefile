# KronosCRM: `make run` starts the CRM, `make test` runs the whole suite. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint format typecheck clean help

help:
	@echo "make run    start KronosCRM on http://127.0.0.1:8000 (embedded SQLite, nothing else needed)"
	@echo "make test   run the whole test suite (add KRONOS_TEST_* URLs to also test real servers)"
	@echo "make lint   ruff and mypy (strict)"

run: $(VENV)/.installed-run
	$(BIN)/kronos serve

test: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "KronosCRM needs Python 3.11 or newer; '$(PYTHON)' is not. Try: make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the dependencies change, so a second `make run` starts in seconds.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	@echo "Installing KronosCRM into $(VENV) ..."
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "Installing KronosCRM and its development tools into $(VENV) ..."
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
