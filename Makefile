# Torget. Two commands set everything up: `make run` and `make test` (see README.md).
# Python 3.11: `python3.11` when it is on PATH, else `python3` (checked below).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
BENCH ?=
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench install messages browser-deps clean

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	  echo "Torget needs Python 3.11 (found: $(PYTHON)); set PYTHON=/path/to/python3.11."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	$(BIN)/python -m torget.core.i18n compile

## make run: install, migrate var/torget.sqlite3, load Eksempel kommune, serve on 127.0.0.1:$(PORT)
run: install messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demo
	@echo "Torget: http://127.0.0.1:$(PORT)/  (Ctrl+C stops the server and the worker)"
	$(BIN)/python -m torget.core.serve --port $(PORT)

## make test: lint, types and the whole suite (SQLite; PostgreSQL when TORGET_TEST_DATABASE_URL is set)
test: install messages browser-deps lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check config torget tests bench conftest.py
	$(BIN)/ruff format --check config torget tests bench conftest.py
	$(BIN)/python manage.py makemigrations --check --dry-run

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	TORGET_DATABASE_URL="$(TORGET_TEST_DATABASE_URL)" $(BIN)/pytest

browser-deps:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium (/usr/bin/chromium): run 'sudo apt-get install chromium'."; exit 1; fi; }

## make bench [BENCH=name]: run the benchmarks in bench/, writing bench/results/<name>.json
bench: install messages
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) var/static
