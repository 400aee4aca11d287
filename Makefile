# Sales-intel Cloud Functions: local workflow. Everything runs from .venv, created on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080
SCALE ?= 1
SEED ?= 7
# WAREHOUSE is not defaulted here: unset, the tools read it from .env, else use duckdb:///.local/warehouse.duckdb
# (shared/settings.py); given on the command line or in the environment, it wins over .env.

ZETASQL := tools/sqlcheck/node_modules/.installed
# checkov pins packaging and pydantic apart from requirements-dev.txt, so it has a venv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# The bench's peer entity resolver, Splink, brings its own DuckDB: a venv of its own, for `make bench` only.
SPLINK_VENV := .venv-splink
SPLINK_STAMP := $(SPLINK_VENV)/.installed
# The report's browser test opens the page in Debian's chromium, installed on first use where apt-get can (root, as
# in CI); where it cannot, the test is skipped and says why.
CHROMIUM_STAMP := $(VENV)/.chromium

.PHONY: venv demo test lint typecheck unit sqlcheck checkov sandbox serve sql schema report build bench bench-each reliability clean

venv: $(STAMP)

# Reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# BigQuery's SQL analyzer (ZetaSQL, pinned in tools/sqlcheck/package-lock.json) and its Python gRPC stubs.
$(ZETASQL): tools/sqlcheck/package.json tools/sqlcheck/package-lock.json $(STAMP)
	cd tools/sqlcheck && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(PY) -m tools.sqlcheck.zetasql --generate
	touch $@

demo: $(STAMP)
	$(PY) -m tools.demo --seed $(SEED) --scale $(SCALE)

test: lint typecheck unit sqlcheck checkov reliability

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Each function folder is checked on its own: its modules are top-level in the deployed bundle.
typecheck: $(STAMP)
	$(VENV)/bin/mypy shared tools sandbox
	@for d in $(wildcard functions/*/); do \
	  echo "mypy $$d"; (cd $$d && MYPYPATH=$(CURDIR) $(CURDIR)/$(VENV)/bin/mypy --config-file $(CURDIR)/pyproject.toml \
	    --cache-dir $(CURDIR)/.mypy_cache/$$(basename $$d) .) || exit 1; \
	done

unit: $(STAMP) $(ZETASQL) $(CHROMIUM_STAMP)
	$(PY) -m pytest -n 2 tests

$(CHROMIUM_STAMP): | $(STAMP)
	@if command -v chromium >/dev/null 2>&1; then touch $@; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium (for the report's browser test)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium >/dev/null; } && touch $@ || echo "chromium could not be installed: the browser test will skip"; \
	else echo "no chromium (as root: apt-get install chromium): the report's browser test will skip"; fi

# Q and FILE reach the tools byte for byte, through the environment: make never expands them and the shell
# never reads them as code (BigQuery writes table names in backticks; regexes and JSON paths hold `$`).
unexport Q FILE
sql sqlcheck: export SQL_QUERY = $(value Q)
sqlcheck: export SQL_FILE = $(value FILE)
sql: export SQL_FORMAT = $(value FORMAT)
sql: export SQL_WIDTH = $(value WIDTH)

# Every SQL text through BigQuery's analyzer, then DuckDB's answers compared with BigQuery's reference engine.
sqlcheck: $(STAMP) $(ZETASQL)
	$(PY) -m tools.sqlcheck $${SQL_FILE:+--file="$$SQL_FILE"} $${SQL_QUERY:+--sql="$$SQL_QUERY"}

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(SPLINK_STAMP): bench/requirements-splink.txt
	test -x $(SPLINK_VENV)/bin/python || $(PYTHON) -m venv $(SPLINK_VENV)
	$(SPLINK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-splink.txt
	touch $@

# Offline policy scan of terraform/: nothing downloaded from or sent to a platform, no update check.
# A skipped check is justified next to its resource (# checkov:skip=ID: reason).
checkov: $(CHECKOV_STAMP)
	env -u BC_API_KEY CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE \
	  $(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact -d terraform

sandbox: $(STAMP)
	$(PY) -m sandbox --seed $(SEED) --scale $(SCALE)

serve: $(STAMP)
	@test -n "$(FN)" || (echo "usage: make serve FN=<cloud name, e.g. salesforce-sync> [PORT=8080]"; exit 2)
	$(PY) -m tools.serve --function $(FN) --port $(PORT) --seed $(SEED) --scale $(SCALE)

sql: $(STAMP)
	@test -n "$$SQL_QUERY" || { echo 'usage: make sql Q="select count(*) from etl_runs" [FORMAT=table|vertical|json] [WIDTH=40, 0: no limit]'; exit 2; }
	@$(PY) -m tools.sql --format="$${SQL_FORMAT:-table}" --width="$${SQL_WIDTH:-40}" -- "$$SQL_QUERY"

schema: $(STAMP)
	$(PY) -m tools.schema

# One self-contained HTML page from the warehouse's views, read-only: WAREHOUSE as for `make sql`, OUT the file.
report: $(STAMP)
	$(PY) -m tools.report --out "$(or $(OUT),.local/report.html)"

build: $(STAMP)
	$(PY) -m tools.build

# Every function under injected crashes, warehouse and source faults, time budgets, duplicate deliveries and
# hostile input, against a clean run, plus a scan for leaked secrets (part of `make test`).
# FUNCTIONS=a,b and SCENARIOS=x,y narrow it.
reliability: $(STAMP)
	$(PY) -m tools.reliability --jobs 2 --seed 11 --scale $(SCALE) $(if $(FUNCTIONS),--functions $(FUNCTIONS)) \
	  $(if $(SCENARIOS),--scenarios $(SCENARIOS))

# One report of every function's benchmark (medians of 3 runs, each bench in its own process): bench/report.md.
# RUNS=n, LATENCY_MS=ms, ONLY=a,b and QUICK=1 (tiny sizes) narrow it; MERGE=bench/report.json keeps the figures
# of the functions left out from an earlier report. bench-each runs each bench on its own.
bench: $(STAMP) $(SPLINK_STAMP)
	$(PY) bench/report.py --runs $(or $(RUNS),3) --latency-ms $(or $(LATENCY_MS),30) $(if $(ONLY),--only $(ONLY)) \
	  $(if $(QUICK),--quick) $(if $(MERGE),--merge $(MERGE))

bench-each: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf build .local .mypy_cache .ruff_cache tools/sqlcheck/node_modules
