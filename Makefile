# Fakturnik developer commands. Every target installs what it needs into .venv first.
PYTHON ?= $(shell bash scripts/pick-python.sh)
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED ?= $(abspath ../shared)
export FAKTURNIK_SCHEMA_DIR ?= $(SHARED)/ksef/faktury/schemy
export FAKTURNIK_SHARED_DIR ?= $(SHARED)
PYTEST_WORKERS ?= 2

.PHONY: demo test test-fast lint bench venv postgres clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[all,dev]'
	touch $@

venv: $(VENV)/.installed

## The main job: the web app on SQLite with the embedded KSeF simulator, a demo company and user.
DEMO_DIR ?= $(HOME)/.local/share/fakturnik-demo
DEMO_PORT ?= 8000
demo: $(VENV)/.installed
	bash scripts/system-deps.sh runtime
	$(VENV)/bin/fakturnik serve --env local --demo --data-dir $(DEMO_DIR) --port $(DEMO_PORT)

## The whole suite (PostgreSQL is installed and started on demand by scripts/postgres.sh).
test: $(VENV)/.installed
	bash scripts/system-deps.sh
	. scripts/postgres.sh && $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

test-fast: $(VENV)/.installed
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not slow and not postgres" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(PY) scripts/lint_imports.py

bench: $(VENV)/.installed
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
