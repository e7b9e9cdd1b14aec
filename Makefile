# Two commands from a fresh clone: `make run` (gateway + sandbox) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
CHROMIUM ?= /usr/bin/chromium
REDIS_SERVER ?= /usr/bin/redis-server

.PHONY: run test lint bench install dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: pip runs again only when pyproject.toml changed (or the venv is new).
install: $(VENV)/.installed-run
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

dev: $(VENV)/.installed-dev
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/plivo-blocks serve --sandbox --host $(HOST) --port $(PORT)

lint: dev
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/mypy

# The suite in two parts: everything else on every core at once (pytest-xdist), then the tests
# whose assertions measure real time (marked wallclock: the gateway's pacing, timeouts, crash and
# load runs) alone, so that the other tests' load cannot make them late. Plain `pytest` runs all.
test: dev lint $(CHROMIUM) $(REDIS_SERVER)
	$(BIN)/pytest -n auto -m "not wallclock"
	$(BIN)/pytest -m wallclock

# The browser tests drive the system's Chromium (Playwright never downloads a browser): installed
# from Debian when absent.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The idempotency and pacing tests start a real Redis (Debian's redis-server on a free loopback
# port): installed when absent.
$(REDIS_SERVER):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null

# The Node compatibility suite's pinned npm packages (tests/compat/node): installed with `npm ci`
# when node_modules is missing or older than the lock file; npm itself from Debian when missing.
NODE_COMPAT := tests/compat/node
.PHONY: node-deps
node-deps: $(NODE_COMPAT)/node_modules/.package-lock.json
$(NODE_COMPAT)/node_modules/.package-lock.json: $(NODE_COMPAT)/package.json $(NODE_COMPAT)/package-lock.json
	@command -v npm >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)
	cd $(NODE_COMPAT) && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@
test: node-deps

bench: dev
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
