# pepy's commands. `make` alone lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8080
HOST ?= 127.0.0.1
# Line and branch coverage of pepy/ that `make test` holds: the measured figure, rounded down (README, Tests).
COVERAGE_FLOOR := 95
# The compose plugin if the docker CLI has it, else the standalone docker-compose.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo 'docker compose' || echo docker-compose)
INVENTORY ?= ansible/inventory/example
VAULT_PASSWORD_FILE ?= ansible/vault-password.demo
# Ansible's tools run from ansible/ (for its ansible.cfg) and find each other on PATH.
ANSIBLE := cd ansible && PATH="$(CURDIR)/$(BIN):$$PATH"

.DEFAULT_GOAL := help
.PHONY: help setup run test lint format db-upgrade import-yesterday backfill bench-import bench-api bench-instructions bench-replica soak compose-up compose-down deploy

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml tests/browser/package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit("pepy needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -e '.[dev]'
	@# The tests validate docker-compose.yml with a compose tool; Debian packages the standalone one.
	@docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; \
	  else echo "warning: install docker-compose (Debian: apt-get install docker-compose) to validate docker-compose.yml"; fi
	@# The browser tests (tests/browser) drive Debian's Chromium through its driver, and run axe-core from npm.
	@# Only what is missing: Node.js from another source (NodeSource) brings its own npm, which Debian's conflicts with.
	@missing="$$(command -v chromium >/dev/null || echo chromium) $$(command -v chromedriver >/dev/null || echo chromium-driver) \
	  $$(command -v npm >/dev/null || echo npm)"; \
	  if [ -n "$$(echo $$missing)" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else echo "warning: install $$missing (Debian: apt-get install $$missing) for the browser tests"; fi; \
	  fi
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the pinned dependencies

# Workers are not recycled in development, so granian has no respawn to warn about (net.ipv4.tcp_migrate_req).
run: $(STAMP) ## Serve the API on http://127.0.0.1:8080 (embedded PostgreSQL and demo data unless PEPY_DATABASE_URL is set)
	PEPY_WORKER_LIFETIME=$${PEPY_WORKER_LIFETIME:-0} $(BIN)/pepy serve --host $(HOST) --port $(PORT) --demo

test: $(STAMP) ## Run the whole test suite against a real PostgreSQL; report coverage, fail under COVERAGE_FLOOR
	$(BIN)/pytest --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

lint: $(STAMP) ## Check formatting and lint with ruff; check the Ansible playbooks (syntax, ansible-lint, offline)
	$(BIN)/ruff format --check pepy tests
	$(BIN)/ruff check pepy tests
	$(ANSIBLE) ansible-playbook --syntax-check site.yml
	$(ANSIBLE) ANSIBLE_VAULT_PASSWORD_FILE=vault-password.demo ansible-lint --offline

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

bench-api: $(STAMP) ## Benchmark the API under its server with wrk (loads 100k projects x 120 days into pepy_api_bench first)
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	$(BIN)/python -m pepy.infrastructure.bench.api_bench $(BENCH_ARGS)

bench-instructions: $(STAMP) ## Count the app's instructions per request with callgrind (on pepy_api_bench, which bench-api loads): repeatable where seconds are not
	@command -v valgrind >/dev/null || apt-get install -y valgrind || sudo apt-get install -y valgrind
	$(BIN)/python -m pepy.infrastructure.bench.instructions $(BENCH_ARGS)

bench-replica: $(STAMP) ## Benchmark the API served from a hot standby while its primary imports a production-scale day, then with the primary stopped (starts its own primary and standby)
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	$(BIN)/python -m pepy.infrastructure.bench.replica_bench $(BENCH_ARGS)

soak: $(STAMP) ## Soak the API for 10 minutes (not in CI): mixed Zipf traffic, a re-import part of the time, RSS per worker
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	$(BIN)/python -m pepy.infrastructure.bench.soak $(SOAK_ARGS)

compose-up: ## Build the image and start PostgreSQL, the API (http://127.0.0.1:8080) and the scheduler with Docker Compose
	$(COMPOSE) -p pepy up --build --detach

compose-down: ## Stop the Compose services (the database volume stays)
	$(COMPOSE) -p pepy down

deploy: $(STAMP) ## Deploy with Ansible: make deploy INVENTORY=ansible/inventory/production VAULT_PASSWORD_FILE=... [ARGS=--check]
	$(ANSIBLE) ansible-playbook -i "$(abspath $(INVENTORY))" --vault-password-file "$(abspath $(VAULT_PASSWORD_FILE))" site.yml $(ARGS)
