# Two commands from a fresh clone: `make run` (gateway + sandbox) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
CHROMIUM ?= /usr/bin/chromium

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
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: dev lint $(CHROMIUM)
	$(BIN)/pytest

# The browser tests drive the system's Chromium (Playwright never downloads a browser): installed
# from Debian when absent.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

bench: dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
