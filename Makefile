# Exchange: `make run` sets everything up and serves the site; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
export FLASK_APP := app.py

.PHONY: run test setup migrate demo serve lint format messages bench bench-load clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## setup: virtual environment, dependencies, compiled message catalogs
setup: $(STAMP)
	$(BIN)/flask exchange translations compile

## migrate: bring the database (DATABASE_URL, default SQLite in instance/) to the newest schema
migrate: setup
	$(BIN)/flask db upgrade

## demo: load the demo institutes and accounts (idempotent), then build/catch up the search index
demo: migrate
	$(BIN)/flask exchange demo
	$(BIN)/flask exchange search sync

## run: set up, migrate, load demo data and serve on http://$(HOST):$(PORT)
run: demo
	@echo "Exchange is starting on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## serve: production-style serving with gunicorn ($(WORKERS) workers)
serve: migrate
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) app:app

## test: set up, then run the whole suite (browser journeys too when chromium is present)
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## messages: extract new strings into the catalogs (then translate the Korean ones)
messages: setup
	$(BIN)/flask exchange translations update

bench: setup
	$(BIN)/python bench/http_bench.py

## bench-load: two gunicorn servers on one fresh PostgreSQL database, mixed load (bench/README.md)
bench-load: setup
	$(BIN)/python bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
