# govlake — the two commands are `make demo` and `make test`; see README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
GOVLAKE := .venv/bin/govlake
SIM := .venv/bin/govlake-sim

.PHONY: help setup up down status smoke demo generate ingest gold docs test lint unit bench reset

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup:  ## python env from uv.lock + JVM artifacts, Java and PostgreSQL checks (idempotent)
	@infra/scripts/bootstrap-python.sh
	@$(GOVLAKE) setup

up: setup  ## start PostgreSQL, Hive Metastore and Trino (+ the simulator's police API stand-in) on loopback
	@$(GOVLAKE) up
	@$(SIM) up

down:  ## stop exactly what `make up` started
	@if [ -x $(SIM) ]; then $(SIM) down; fi
	@if [ -x $(GOVLAKE) ]; then $(GOVLAKE) down; fi

status:  ## each service with port, pid, health and memory (and the stand-ins)
	@$(GOVLAKE) status; $(SIM) status

smoke: up  ## Spark writes Delta, Trino reads it: counts and checksums must match
	@$(GOVLAKE) smoke

# The demo city's seven days end yesterday: recent days, run through Airflow on purpose.
DEMO_START := $(shell date -u -d '7 days ago' +%F)

demo: up  ## set up, start, generate a 7-day city, let Airflow run it through gold, answer a question, print where to look
	@$(GOVLAKE) smoke
	@$(SIM) generate --sf 0.01 --days 7 --start $(DEMO_START)
	@$(GOVLAKE) airflow run --start $(DEMO_START) --days 7
	@$(GOVLAKE) ask demo-hongshan-streets-most-incidents
	@$(GOVLAKE) status
	@echo
	@$(GOVLAKE) info

generate: up  ## simulator: a synthetic city and its feeds (ARGS="--sf 0.1 --days 30")
	@$(SIM) generate $(or $(ARGS),--sf 0.01 --days 7)

ingest: up  ## bronze + silver for the generated city (ARGS="--start 2026-01-01 --days 7")
	@$(GOVLAKE) run $(or $(ARGS),--start 2026-01-01 --days 7)

gold: up  ## build the theme library (dbt build: seeds, models, tests) on what silver holds
	@$(GOVLAKE) dbt build

docs: up  ## generate and serve the dbt docs site (http://127.0.0.1:8580)
	@$(GOVLAKE) docs

lint:  ## ruff + the import-linter layer contracts
	@.venv/bin/python -m ruff check .
	@.venv/bin/lint-imports --no-cache

unit: setup  ## unit tests only (no services needed)
	@.venv/bin/python -m pytest -m "not integration"

test: setup  ## lint + unit + integration tests on the real services
	@infra/scripts/test.sh

bench: up  ## batch-latency scenarios and baselines → bench/results/ (ARGS="--scale full" adds SF0.1 and SF1)
	@.venv/bin/python bench/run.py $(ARGS)

reset: down  ## stop and delete all local state (database, metastore, warehouse, logs); keeps the download cache
	rm -rf .state
