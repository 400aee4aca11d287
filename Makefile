# Sales-intel Cloud Functions: local workflow. Everything runs from .venv, created on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WAREHOUSE ?= duckdb:///.local/warehouse.duckdb
PORT ?= 8080
SCALE ?= 1
SEED ?= 7
export WAREHOUSE

.PHONY: venv demo test lint typecheck unit sandbox serve sql schema build bench clean

venv: $(STAMP)

# Reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m tools.demo --seed $(SEED) --scale $(SCALE)

test: lint typecheck unit

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Each function folder is checked on its own: its modules are top-level in the deployed bundle.
typecheck: $(STAMP)
	$(VENV)/bin/mypy shared tools sandbox
	@for d in $(wildcard functions/*/); do \
	  echo "mypy $$d"; (cd $$d && MYPYPATH=$(CURDIR) $(CURDIR)/$(VENV)/bin/mypy --config-file $(CURDIR)/pyproject.toml \
	    --cache-dir $(CURDIR)/.mypy_cache/$$(basename $$d) .) || exit 1; \
	done

unit: $(STAMP)
	$(PY) -m pytest -n 2 tests

sandbox: $(STAMP)
	$(PY) -m sandbox --seed $(SEED) --scale $(SCALE)

serve: $(STAMP)
	@test -n "$(FN)" || (echo "usage: make serve FN=<cloud name, e.g. salesforce-sync> [PORT=8080]"; exit 2)
	$(PY) -m tools.serve --function $(FN) --port $(PORT) --seed $(SEED) --scale $(SCALE)

sql: $(STAMP)
	@test -n "$(Q)" || (echo 'usage: make sql Q="select count(*) from etl_runs"'; exit 2)
	$(PY) -m tools.sql "$(Q)"

schema: $(STAMP)
	$(PY) -m tools.schema

build: $(STAMP)
	$(PY) -m tools.build

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf build .local .mypy_cache .ruff_cache
