# Facilitator: `make run` to serve, `make test` to run the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve venv install install-test test test-postgres lint bench bench-scale clean wheel translations

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

# Re-extract the product's words into facilitator/translations/messages.pot, merge them into every
# language's catalogue and compile them (docs/translating.md). A new language: make translations NEW_LANG=xx
TRANSLATIONS := facilitator/translations
translations: install-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext -k lazy_ngettext:1,2 -k ngettext_noop:1,2 -c TRANSLATORS: \
		--add-location=file --sort-output --no-wrap --project=Facilitator -o $(TRANSLATIONS)/messages.pot .
	@if [ -n "$(NEW_LANG)" ]; then $(BIN)/pybabel init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $(NEW_LANG) --no-wrap; fi
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics
