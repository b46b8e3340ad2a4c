# Two commands set everything up on a fresh machine with Python 3.11+:
#   make run   - virtualenv, production requirements, migrate, demo data, serve on http://127.0.0.1:8000 (SQLite)
#   make test  - virtualenv if needed, dev requirements, lint, types, the layer contract, migration check, the suite
#   make bench - the benchmark of issue 7 on PostgreSQL (builds its data sets the first time)
#   make lock  - recompile requirements.txt and requirements-dev.txt (pinned, with hashes) from the .in files
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_SMALL_DB ?= postgres://postgres@127.0.0.1:5432/clinic_bench_small

.PHONY: run test lint types install install-dev lock vendor clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Every package is pinned with its hashes: pip refuses a file whose hash is not in the lock.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes

$(STAMP): requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	touch $(STAMP)

# The dev lock holds production's exact versions too (requirements-dev.in: -c requirements.txt).
$(DEV_STAMP): requirements-dev.txt requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $(DEV_STAMP) $(STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

# From PyPI alone, ignoring any local pip configuration (extra indexes, find-links), so that the hashes
# are those of the files PyPI serves. pip-tools is in requirements-dev.txt.
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--index-url https://pypi.org/simple --no-emit-index-url

lock: $(DEV_STAMP)
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# The demo's urgent alerts go to a made-up on-call address; the console email backend prints them.
DEMO_ENV := DEBUG=1 CLINIC_ALERT_EMAILS=$${CLINIC_ALERT_EMAILS:-oncall@clinic.example}

run: $(STAMP)
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 $(BIN)/mypy

# mypy with django-stubs over the domain rules and services ([tool.mypy] in pyproject.toml lists them).
types: $(DEV_STAMP)
	DEBUG=1 $(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Data sets: 20,000 patients, and 2,000 for the report's growth; each is built once and kept.
bench: $(DEV_STAMP)
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
