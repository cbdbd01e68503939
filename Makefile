# Two commands do all set-up on a fresh machine with Python 3.11+:
#   make run   — install into .venv and start the bot in the terminal (SQLite, network data loaded)
#   make test  — install into .venv (with test tools), check the import layering, run the suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint bench pg

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

run: install
	$(BIN)/norcrin-bot chat

pg:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start) || \
	  echo "PostgreSQL is not running on 127.0.0.1:5432; the postgres tests will say so"
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && break; sleep 1; done

# Byte-compile first: with PYTHONDONTWRITEBYTECODE set (as on CI) every CLI process the tests start
# would otherwise compile the project from source again. Tests run on every core, plus one
# worker for the time tests spend waiting (pytest-xdist; tests/conftest.py).
test: install-test pg
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m compileall -q bot commands integrations storage
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto

lint: install-test
	$(BIN)/ruff check bot commands integrations storage tests bench
	$(BIN)/lint-imports --no-cache

bench: install
	$(BIN)/python bench/ask_latency.py
	$(BIN)/python bench/long_input.py
