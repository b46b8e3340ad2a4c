# Two commands set everything up on a fresh machine with Python 3.11+:
#   make run   - virtualenv, install, migrate, demo data, serve on http://127.0.0.1:8000 (SQLite)
#   make test  - virtualenv if needed, lint, the layer contract, migration check, the whole test suite
#   make bench - the benchmark of issue 7 on PostgreSQL (builds its data sets the first time)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_SMALL_DB ?= postgres://postgres@127.0.0.1:5432/clinic_bench_small

.PHONY: run test lint install vendor clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# The demo's urgent alerts go to a made-up on-call address; the console email backend prints them.
DEMO_ENV := DEBUG=1 CLINIC_ALERT_EMAILS=$${CLINIC_ALERT_EMAILS:-oncall@clinic.example}

run: $(STAMP)
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Data sets: 20,000 patients, and 2,000 for the report's growth; each is built once and kept.
bench: $(STAMP)
	DATABASE_URL=$(BENCH_DB) $(BIN)/python bench/data.py --keep --patients 20000
	DATABASE_URL=$(BENCH_SMALL_DB) $(BIN)/python bench/data.py --keep --patients 2000
	status=0; \
	DATABASE_URL=$(BENCH_DB) $(BIN)/python bench/run.py --growth-database $(BENCH_SMALL_DB) || status=1; \
	DATABASE_URL=$(BENCH_DB) $(BIN)/python bench/run.py --http --duration 8 --rounds 2 || status=1; \
	exit $$status

vendor:
	bash static/vendor/refresh.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
