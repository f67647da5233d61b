# pepy's commands. `make` alone lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8080
HOST ?= 127.0.0.1

.DEFAULT_GOAL := help
.PHONY: help setup run test lint format db-upgrade import-yesterday backfill bench-import

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("pepy needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the pinned dependencies

run: $(STAMP) ## Serve the API on http://127.0.0.1:8080 (embedded PostgreSQL and demo data unless PEPY_DATABASE_URL is set)
	$(BIN)/pepy serve --host $(HOST) --port $(PORT) --demo

test: $(STAMP) ## Run the whole test suite against a real PostgreSQL
	$(BIN)/pytest

lint: $(STAMP) ## Check formatting and lint with ruff
	$(BIN)/ruff format --check pepy tests
	$(BIN)/ruff check pepy tests

format: $(STAMP) ## Format and fix with ruff
	$(BIN)/ruff format pepy tests
	$(BIN)/ruff check --fix pepy tests

db-upgrade: $(STAMP) ## Apply pending database migrations
	$(BIN)/pepy db upgrade

import-yesterday: $(STAMP) ## Import yesterday (UTC) from the configured source
	$(BIN)/pepy import day

backfill: $(STAMP) ## Import START..END (YYYY-MM-DD), resumable: make backfill START=2026-01-01 END=2026-01-31
	@test -n "$(START)" -a -n "$(END)" || { echo "usage: make backfill START=YYYY-MM-DD END=YYYY-MM-DD"; exit 2; }
	$(BIN)/pepy import range --start $(START) --end $(END) --skip-existing

bench-import: $(STAMP) ## Benchmark the import: a production-scale day through the loader, and the files source on 10M raw rows
	$(BIN)/python -m pepy.infrastructure.bench.import_bench
