# KronosCRM: `make run` starts the CRM, `make test` runs the whole suite. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint format typecheck clean help web web-dev web-test web-lint

help:
	@echo "make run    start KronosCRM on http://127.0.0.1:8000 (embedded SQLite, nothing else needed)"
	@echo "make test   run the whole test suite (add KRONOS_TEST_* URLs to also test real servers)"
	@echo "make lint   ruff and mypy (strict), and the web app's eslint and tsc"
	@echo "make web-dev  the web app with hot reload on http://127.0.0.1:5173 (API: make run, on :8000)"

# The Python install and the web app's (npm ci, then the build) run side by side: a first start waits for the
# longer of the two, not for both.
run:
	@$(MAKE) --no-print-directory -j2 --output-sync=line $(VENV)/.installed-run web
	$(BIN)/kronos serve

# After pytest: the web app's component tests (Vitest) and end-to-end tests (Playwright, headless Chromium).
test: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory web-test

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@$(MAKE) --no-print-directory web-lint

# -- web app (frontend/): npm from the registry only; browsers are never downloaded -------------------------
WEB := frontend
NPM ?= npm
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
WEB_SOURCES := $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/index.html $(WEB)/vite.config.ts \
	$(WEB)/tsconfig.json $(WEB)/tsconfig.app.json $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null)
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v $(NPM) >/dev/null 2>&1 && echo yes)

# Build the app when its sources changed; without Node.js the API still starts (and says so).
web:
ifeq ($(HAVE_NODE),yes)
	@$(MAKE) --no-print-directory $(WEB)/dist/index.html
else
	@echo "make: Node.js/npm not found, so the web app is not built; the API still runs (/docs)."
	@echo "      Install Node.js 20.19+ (https://nodejs.org) and run make again to get the web app at /."
endif

# npm ci installs exactly the lock file and never changes it (the lock holds every platform's optional
# binaries of esbuild, rollup, tailwind and lightningcss). No `npm install` fallback: it rewrites the lock, so a
# fresh clone ended up with a modified tracked file. If npm ci refuses, the lock is out of date: fix it in git.
$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && $(NPM) ci --no-audit --no-fund
	@touch $@

# vite build only: the type check (tsc -b, 2/3 of `npm run build`'s time) is `make lint`'s and CI's job, not
# something a start should wait for.
$(WEB)/dist/index.html: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	cd $(WEB) && $(NPM) run build:app
	@touch $@

web-dev: $(WEB)/node_modules/.installed
	cd $(WEB) && $(NPM) run dev

web-test: $(WEB)/node_modules/.installed
	@$(MAKE) --no-print-directory $(WEB)/dist/index.html
	cd $(WEB) && $(NPM) test
	cd $(WEB) && $(NPM) run e2e

web-lint:
ifeq ($(HAVE_NODE),yes)
	@$(MAKE) --no-print-directory $(WEB)/node_modules/.installed
	cd $(WEB) && $(NPM) run lint
else
	@echo "make: Node.js/npm not found: skipping the web app's lint."
endif

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
