# trendscout: the two commands of the Quick start, plus lint.
#
#   make demo   create .venv, install, run the bundled demo and serve it in Datasette
#   make test   install, add the system packages tests need (when possible), run pytest
#   make lint   ruff check and format check
#
# The virtual environment lives in .venv; the project is installed into it with uv
# (editable, with the test extras) and re-installed only when pyproject.toml changes.

SHELL := /bin/bash
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
UV := $(VENV)/bin/uv
INSTALLED := $(VENV)/.trendscout-installed
DEMO_ARGS ?=
PYTEST_ARGS ?=

# The first Python 3.11+ on the PATH (override with `make PYTHON=/path/to/python3.12 ...`).
ifndef PYTHON
PYTHON := $(shell for p in python3 python3.13 python3.12 python3.11; do \
	if command -v $$p >/dev/null 2>&1 && \
	   $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	   echo $$p; break; fi; done)
endif

.DEFAULT_GOAL := help
.PHONY: help install demo test lint

help:
	@echo "make demo   create .venv, install, run the demo and serve it (Ctrl-C stops)"
	@echo "make test   install, add system packages tests need, run the whole test suite"
	@echo "make lint   ruff check and ruff format --check"

$(VENV_PYTHON):
	@if [ -z "$(PYTHON)" ]; then \
		echo "trendscout needs Python 3.11 or newer; none found on the PATH." >&2; \
		echo "Install one, or run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)" >&2; \
		exit 2; fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	@$(PYTHON) -m venv $(VENV) || { \
		echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt-get install python3-venv" >&2; \
		rm -rf $(VENV); exit 2; }

$(UV): $(VENV_PYTHON)
	@echo "Installing uv into $(VENV)"
	@$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check uv

$(INSTALLED): pyproject.toml $(UV)
	@echo "Installing trendscout and its dependencies into $(VENV)"
	@$(UV) pip install --quiet --compile-bytecode --python $(VENV_PYTHON) -e '.[test]'
	@touch $(INSTALLED)

install: $(INSTALLED)

demo: $(INSTALLED)
	$(VENV)/bin/trendscout demo $(DEMO_ARGS)

test: $(INSTALLED)
	@bash scripts/install-test-deps.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
