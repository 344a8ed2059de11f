# The two set-up commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Tests and the worker talk to the local services unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ecommerce
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
# pytest-xdist workers (one per CPU); each has its own test database and Redis db.
TEST_WORKERS ?= auto

.PHONY: help install lock run manage worker cron test fuzz lint format migrate bench clean

help:
	@echo "make run     install, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test    install and run the whole suite against PostgreSQL and Redis"
	@echo "make manage  ARGS=\"createsuperuser\": any manage.py command"
	@echo "make lint    ruff check and format check, mypy, import-linter contracts"
	@echo "make lock    re-compile the hashed lock files (requirements/*.lock) from requirements/*.txt"
	@echo "make worker  RQ worker for every queue (needs REDIS_URL)"
	@echo "make cron    the periodic jobs' scheduler (needs REDIS_URL and a worker)"
	@echo "make bench   load-test the production configuration (gunicorn, PostgreSQL, Redis, RQ)"

# Idempotent: the venv is rebuilt only when a lock file changes. Installs are
# hash-checked: requirements/dev.lock pins every package, transitive ones
# included, with the sha256 of each of its files (make lock writes it).
install: $(VENV)/.installed

$(VENV)/.installed: requirements/dev.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	touch $@

# Re-compiles the lock files from the inputs (requirements/*.txt, exact pins of
# the direct dependencies) against PyPI: each lock keeps the versions of the
# one below it (production <- dev <- bench), so tests run what is deployed.
# tests/test_requirements_lock.py fails while a lock is out of date.
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform linux --index-url https://pypi.org/simple --custom-compile-command "make lock"

lock: install
	$(UV_COMPILE) requirements/production.txt -o requirements/production.lock
	$(UV_COMPILE) requirements/dev.txt -c requirements/production.lock -o requirements/dev.lock
	$(UV_COMPILE) requirements/bench.txt -c requirements/dev.lock -o requirements/bench.lock

# Embedded defaults: SQLite, a file cache shared by every process of this
# checkout, synchronous jobs, DEBUG on, product media in media/ served by the
# app itself. The settings read .env (written once, git-ignored), so a
# manage.py command typed by hand runs like the server.
run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	MEDIA_URL=$${MEDIA_URL:-http://$(HOST):$(PORT)/media/} \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)

.env:
	printf '%s\n' \
		'# Written by make run for local development (git-ignored); settings read it.' \
		'# Variables set in the environment win. Delete it for production defaults.' \
		'DEBUG=1' > $@

# Any manage.py command with the project's venv: make manage ARGS="createsuperuser".
manage: install .env
	$(BIN)/python manage.py $(ARGS)

worker: install
	@test -n "$$REDIS_URL" || { echo "REDIS_URL is not set: without Redis, jobs run inline"; exit 1; }
	$(BIN)/python manage.py rqworker $$($(BIN)/python -c "from ecommerce.config import RQ_QUEUE_NAMES as q; print(' '.join(q))") --with-scheduler

# Schedules the periodic jobs (settings.PERIODIC_JOBS: expire pending orders,
# re-queue lost charges, purge idempotency keys and expired tokens, sweep media)
# with django-rq's rqcron on ecommerce/jobs/cron.py; a worker runs them. One per deployment.
cron: install
	@test -n "$$REDIS_URL" || { echo "REDIS_URL is not set: periodic jobs need Redis"; exit 1; }
	$(BIN)/python manage.py rqcron ecommerce.jobs.cron

migrate: install .env
	$(BIN)/python manage.py migrate --noinput

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Deeper fuzzing than make test's bounded run: schemathesis against a live
# gunicorn (tests/fuzz/), FUZZ_EXAMPLES examples per operation and identity.
fuzz: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} \
	$(BIN)/pytest -m fuzz tests/fuzz $(PYTEST_ARGS)

# mypy's Django plugin imports the settings: DEBUG=1 (the development key, SQLite,
# no service needed) and ENV_FILE empty (never a developer's .env), whatever the shell has.
MYPY = DEBUG=1 ENV_FILE= $(BIN)/mypy

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY)
	$(BIN)/lint-imports

# The benchmark: production settings on PostgreSQL and Redis (BENCH_DATABASE_URL,
# BENCH_REDIS_URL; defaults: database ecommerce_bench, Redis db 9), driven by wrk.
# Results go to bench/results/. BENCH_ARGS passes options (--scenarios, --duration).
bench: $(VENV)/.bench-installed
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q && apt-get install -y -q wrk; } \
		|| { echo "wrk is required: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

$(VENV)/.bench-installed: $(VENV)/.installed requirements/bench.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/bench.lock
	touch $@

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache staticfiles .cache
