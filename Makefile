# Unplugged: the two commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
export UNPLUGGED_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: demo test lint typecheck pytest bench loadtest eval train clean browser-deps lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install -q -c requirements.lock -e .
	touch $@

$(TSTAMP): pyproject.toml requirements.lock $(STAMP)
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	touch $@

## make demo: install, migrate, load the sandbox, serve on $$PORT (default 5000)
demo: $(STAMP)
	UNPLUGGED_DEMO=1 $(BIN)/unplugged demo
	UNPLUGGED_DEMO=1 $(BIN)/unplugged serve --host 127.0.0.1

## make test: lint, type-check and the whole suite (SQLite; then PostgreSQL + Redis when configured)
test: $(TSTAMP) browser-deps lint typecheck pytest

browser-deps:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

lint: $(TSTAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@# bandit's findings go to stdout; its notes on `nosec` in multi-line statements (stderr) are dropped
	$(BIN)/bandit -q -c pyproject.toml -r crm inbox models triage 2>/dev/null

typecheck: $(TSTAMP)
	$(BIN)/mypy models triage inbox crm

pytest: $(TSTAMP)
	env -u UNPLUGGED_TEST_DATABASE_URL -u UNPLUGGED_TEST_REDIS_URL $(BIN)/pytest -q -p no:cacheprovider
	@if [ -n "$$UNPLUGGED_TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$UNPLUGGED_TEST_DATABASE_URL) with Redis ($$UNPLUGGED_TEST_REDIS_URL)"; \
	  $(BIN)/pytest -q -p no:cacheprovider; \
	fi

## make bench: throughput figures, one per line as `name: value unit`
bench: $(TSTAMP)
	$(BIN)/python -m bench

## make loadtest: 50 agents and 50 webhooks/s for 60 s against gunicorn + PostgreSQL + Redis
loadtest: $(TSTAMP)
	$(BIN)/python -m bench.loadtest

## make bench-pg: the page and import figures of issue 19 against PostgreSQL at
## $$UNPLUGGED_BENCH_PG_URL (its schema is replaced; the million data set is built once)
.PHONY: bench-pg
bench-pg: $(TSTAMP)
	UNPLUGGED_BENCH_PG_URL=$${UNPLUGGED_BENCH_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/python -m bench.http_bench
	UNPLUGGED_BENCH_PG_URL=$${UNPLUGGED_BENCH_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/python -m bench.import_bench

## make eval: the classifier's figures on held-out data
eval: $(TSTAMP)
	$(BIN)/python -m triage evaluate

## make train: rebuild the shipped model from ../shared/data and triage/data
train: $(TSTAMP)
	$(BIN)/python -m triage train

## make lock: re-pin requirements.lock after changing pyproject.toml's dependencies
lock: $(BIN)/python
	PY=$(BIN)/python bash .ci/lock

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache *.egg-info
