# diplowatch — `make demo` on a fresh machine, `make test` for the suite, `make up` for the UI.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo test test-slow up stop bench lint clean help

help:
	@echo "make demo   - install, run both DAGs over the bundled sample, show the warehouse"
	@echo "make test   - install and run the whole test suite"
	@echo "make up     - Airflow UI on http://localhost:8080 against the same warehouse"
	@echo "make bench  - the benchmark (docs/BENCHMARKS.md)"
	@echo "make lint   - ruff and mypy"
	@echo "make stop   - stop the embedded PostgreSQL server"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/diplowatch demo

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

up: install
	$(BIN)/diplowatch up

stop:
	$(BIN)/diplowatch db stop

bench: install
	$(BIN)/python -m diplowatch.bench

lint: install
	$(BIN)/ruff check plugins dags tests
	$(BIN)/mypy

clean:
	-$(BIN)/diplowatch db stop
	rm -rf .diplowatch .bench
