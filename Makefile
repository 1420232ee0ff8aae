# 考核流: `make run` serves the demo, `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install migrate bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/flask --app wsgi db upgrade

run: migrate
	$(BIN)/flask --app wsgi bootstrap
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# The suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set.
test: install
	$(BIN)/python -m pytest -q -rs
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL) =="; \
		KAOHE_TEST_DB=postgresql $(BIN)/python -m pytest -q -rs; \
	fi

bench: install
	$(BIN)/python bench/transition_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
