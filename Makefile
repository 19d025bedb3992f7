# Facilitator: `make run` to serve, `make test` to run the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve venv install install-test test test-postgres lint bench bench-scale clean wheel

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

run: install
	$(BIN)/facilitator init
	$(BIN)/facilitator serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite again with every app fixture on PostgreSQL (a fresh schema per test). The browser tests
# and the scale-out tests (marked `services`) already ran in `make test` and are not repeated.
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
test-postgres: install-test
	FACILITATOR_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest --ignore=tests/e2e -m "not services" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check facilitator tests bench

bench: install-test
	$(BIN)/python bench/bench_network.py

bench-scale: install-test
	$(BIN)/python bench/bench_scale.py

wheel: $(BIN)/python
	$(BIN)/pip wheel --no-deps -w dist .

clean:
	rm -rf $(VENV) build dist *.egg-info test-results
