# Fakturnik developer commands. Every target installs what it needs into .venv first.
PYTHON ?= $(shell bash scripts/pick-python.sh)
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED ?= $(abspath ../shared)
export FAKTURNIK_SCHEMA_DIR ?= $(SHARED)/ksef/faktury/schemy
export FAKTURNIK_SHARED_DIR ?= $(SHARED)
PYTEST_WORKERS ?= 2
# The venv's own tools are pinned (not "whatever is newest today").
PIP_VERSION ?= 26.3
SETUPTOOLS_VERSION ?= 84.2.1
LOCK ?= requirements.lock
FUZZ_EXAMPLES ?= 20000
FUZZ_SECONDS ?=
PIPQ := -q --disable-pip-version-check

.PHONY: demo test test-fast lint bench venv postgres clean lock install-locked audit fuzz

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIPQ) pip==$(PIP_VERSION) setuptools==$(SETUPTOOLS_VERSION)
	$(PY) -m pip install $(PIPQ) -e '.[all,dev]'
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
	@# the FA(3) tests once more with every throughput shortcut off (src/fakturnik/fa3/shortcuts.py)
	FAKTURNIK_NO_SHORTCUTS=1 $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -q tests/fa3

test-fast: $(VENV)/.installed
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not slow and not postgres" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(PY) scripts/lint_imports.py

bench: $(VENV)/.installed
	$(PY) -m bench.run

## Regenerate the lock file (every dependency of .[all,dev], pinned, with hashes) after a change
## to pyproject.toml: one command.
lock: $(VENV)/.installed
	$(PY) -m pip lock $(PIPQ) '.[all,dev]' -o pylock.toml
	$(PY) scripts/lock_requirements.py pylock.toml $(LOCK)
	rm -f pylock.toml

## A venv installed only from the lock file: exact versions, every file checked against its hash.
install-locked: $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIPQ) pip==$(PIP_VERSION) setuptools==$(SETUPTOOLS_VERSION)
	$(PY) -m pip install $(PIPQ) --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install $(PIPQ) --no-deps --no-build-isolation -e .
	touch $(VENV)/.installed

## Known vulnerabilities of the locked dependencies (needs the advisory database on the network).
audit: $(VENV)/.installed
	@$(PY) -m pip install $(PIPQ) pip-audit >/dev/null 2>&1 || true
	@$(VENV)/bin/pip-audit --version >/dev/null 2>&1 || { echo "make audit: pip-audit is not installed and could not be installed (no package index?)"; exit 2; }
	@out=$$($(VENV)/bin/pip-audit --strict --progress-spinner off -r $(LOCK) 2>&1); rc=$$?; \
	if [ $$rc -ne 0 ] && echo "$$out" | grep -qiE "connection|resolve|timed out|network|unreachable|HTTPSConnectionPool|ProxyError|could not be audited"; then \
		echo "make audit: the advisory database (PyPI's vulnerability API) is unreachable from here or does not"; \
		echo "know these packages; NOTHING WAS AUDITED. Run 'make audit' where pypi.org is reachable."; \
		echo "$$out" | tail -3; exit 3; \
	fi; echo "$$out"; exit $$rc

## Long fuzzing runs (the suite runs each fuzzer briefly): FUZZ_EXAMPLES per target, or FUZZ_SECONDS per
## target (a time-based run: e.g. make fuzz FUZZ_SECONDS=600); FUZZ_TARGET (json_form, json_text,
## fa3_xml_mutations, simulator_json) to pick one. Ends with a summary table per target.
fuzz: $(VENV)/.installed
	$(if $(FUZZ_SECONDS),FAKTURNIK_FUZZ_SECONDS=$(FUZZ_SECONDS),FAKTURNIK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES)) \
		$(PY) -m pytest -p no:xdist -p no:cacheprovider tests/hardening/test_fuzz.py \
		$(if $(FUZZ_TARGET),-k '$(FUZZ_TARGET)') -q --durations=0 \
		--timeout=$(if $(FUZZ_SECONDS),$(shell expr $(FUZZ_SECONDS) + 600),0) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
