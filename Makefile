# Kenes: `make run` runs the bot, `make test` runs every check. Both set up
# what they need first; `make setup` does only the set-up.

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest locales catalogs migrate nlu bench clean

setup: $(STAMP) catalogs migrate nlu

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

catalogs: $(STAMP)
	$(BIN)/pybabel -q compile -d locales -D messages

migrate: $(STAMP)
	$(BIN)/python -m bot db upgrade

nlu: $(STAMP)
	$(BIN)/python -m bot nlu setup

run: setup
	$(BIN)/python -m bot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -q

test: setup lint typecheck pytest

# Editors and developers: refresh the catalogs after changing interface strings.
locales: $(STAMP)
	$(BIN)/pybabel -q extract -k _ -k __ --no-location -o locales/messages.pot bot
	$(BIN)/pybabel -q update -i locales/messages.pot -d locales -D messages --width 100 --ignore-obsolete

bench: setup
	$(BIN)/python -m bench.e2e

clean:
	rm -rf $(VENV) models var .mypy_cache .ruff_cache .pytest_cache
