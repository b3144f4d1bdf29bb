# Two commands set up everything on a fresh machine:
#   make run    install into .venv, create demo data, serve http://127.0.0.1:8000/
#   make test   install into .venv and run the whole test suite (SQLite, then PostgreSQL on two
#               throwaway servers that .ci/test-postgres starts and removes again)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_ENV := DJANGO_SETTINGS_MODULE=config.settings.test
# Both suites run on every core, at most two (pytest-xdist): the suite must stay under 20 minutes
# on a 2-core machine. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 2 ] && n=2; echo $$n)
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS)
# The PostgreSQL suite, on two throwaway clusters in a folder of this run's own, removed again
# however pytest ends (EXIT trap; an interrupt exits through it too); the exit status is pytest's.
TEST_POSTGRESQL = run=var/test-postgres/run-$$$$; \
	trap 'bash .ci/test-postgres stop "$$run"' EXIT; trap 'exit 130' INT TERM; \
	bash .ci/test-postgres start "$$run" && set -a && . "$$run/env" && set +a && \
	$(TEST_ENV) HMS_TEST_BACKEND=postgresql $(PYTEST)

.PHONY: run test test-sqlite test-postgresql lint install clean

$(STAMP): requirements/base.txt requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $(STAMP)

install: $(STAMP)

# manage.py uses config.settings.local unless DJANGO_SETTINGS_MODULE says otherwise.
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py migrate_hospitals --no-progress
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py icd10_index
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	bash .ci/browser-setup
	$(TEST_ENV) HMS_TEST_BACKEND=sqlite $(PYTEST)
	$(TEST_POSTGRESQL)

test-sqlite: $(STAMP)
	bash .ci/browser-setup
	$(TEST_ENV) HMS_TEST_BACKEND=sqlite $(PYTEST)

test-postgresql: $(STAMP)
	$(TEST_POSTGRESQL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
