# Hinting Lab: `make run` starts the lab, `make test` runs every test.
# Both create the virtual environment in .venv when it is missing.

SHELL := /bin/bash
# The venv's interpreter: the distribution's Python 3.11+ when there is one
# (Debian builds it with PGO and LTO: the model runs ~10% faster than on a
# plain source build such as pyenv's), else the first python3 on PATH.
# `make PYTHON=/path/to/python3 ...` chooses another.
PYTHON ?= $(shell for p in /usr/bin/python3 python3; do \
            $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-core test-app test-browser test-js lint bench chromium node redis clean

$(PY):
	@test -n "$(PYTHON)" || { echo "make: Hinting Lab needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/.deps
	$(PIP) install --quiet -e '.[test]'
	@touch $@

run: $(VENV)/.deps
	$(PY) -m app --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright cannot download one here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "make: installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Debian's redis-server for the multi-process tests (each test run starts its own on a free port).
redis:
	@if [ ! -x /usr/bin/redis-server ]; then \
	  echo "make: installing Debian's redis-server for the multi-process tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi

# Node.js runs the front end's unit tests (node --test).
node:
	@if ! command -v node >/dev/null; then \
	  echo "make: installing Debian's nodejs for the front-end unit tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null; \
	fi

lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check .

test-core: $(VENV)/.test-deps
	$(PY) -m pytest -q tests/core

test-app: $(VENV)/.test-deps redis
	$(PY) -m pytest -q tests/app

# Browser tests run in their own pytest process: a live sync Playwright and
# asyncio-based tests do not mix in one interpreter (shared/guides/TESTING.md).
test-browser: $(VENV)/.test-deps chromium
	$(PY) -m pytest -q tests/browser

test-js: node
	node --test static/js/tests/

test: lint test-js redis
	$(PY) -m pytest -q tests --ignore=tests/browser
	$(MAKE) --no-print-directory test-browser

bench: $(VENV)/.deps
	$(PY) bench/core_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
