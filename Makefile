# Ampyre — one command for each job. `make` alone prints this help.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PYTHON := .venv/bin/python
export UV_LINK_MODE := copy

.PHONY: help setup demo serve test test-fast lint bench services browser clean

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --user --quiet uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

tests/thirdparty/node_modules/.package-lock.json: tests/thirdparty/package.json tests/thirdparty/package-lock.json
	npm ci --prefix tests/thirdparty --no-audit --no-fund --loglevel=error

setup: .venv/.synced tests/thirdparty/node_modules/.package-lock.json ## Install pinned Python and npm dependencies

demo: .venv/.synced ## Run Ampyre with demo data and simulated stations on SQLite (http://127.0.0.1:8180)
	.venv/bin/ampyre demo

services: ## Start PostgreSQL (and Redis) if they are not running
	scripts/ensure-services.sh

lint: .venv/.synced ## Lint (ruff), types (mypy strict) and import contracts (import-linter)
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy
	.venv/bin/lint-imports

browser: ## Install Debian's Chromium for the browser tests if it is missing
	scripts/ensure-chromium.sh

test: setup services browser lint ## Everything CI runs: lint, types, import contracts, all tests on SQLite and PostgreSQL
	.venv/bin/pytest -q -p no:cacheprovider

test-fast: .venv/.synced ## Unit tests only
	.venv/bin/pytest -q tests/unit

bench: .venv/.synced services ## Benchmarks on PostgreSQL (prints JSON; see docs/benchmarks.md)
	$(PYTHON) bench/run.py --scenario connections --stations 10000
	$(PYTHON) bench/run.py --scenario mixed --stations 10000 --rate 5000 --duration 60
	$(PYTHON) bench/rating.py --sessions 20000
	$(PYTHON) bench/rating_e2e.py --sessions 20000

clean: ## Remove the virtualenv, node modules and local databases
	rm -rf .venv tests/thirdparty/node_modules ampyre.db ampyre.db-*
