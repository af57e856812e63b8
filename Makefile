# Rally: `make run` serves the app on SQLite with the demo campaign; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
# Debian packages WeasyPrint needs (Pango, HarfBuzz) and fonts: Latin, Arabic and Hebrew (Noto),
# CJK (Noto CJK); fontconfig's fc-match finds the font files the delivery PDF's list is drawn in.
# Pillow's wheels carry libraqm but load FriBiDi from the system: without libfribidi0 the
# Arabic share images are not laid out right to left (Pango pulls it in too, said here anyway).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfribidi0 fontconfig fonts-noto-core fonts-dejavu-core fonts-noto-cjk
# Debian's Chromium for the browser tests (driven by Playwright, which downloads no browser).
TEST_SYSTEM_PACKAGES := chromium
# wrk drives the benchmark.
BENCH_SYSTEM_PACKAGES := wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test system-packages migrate load-campaigns worker outbox-worker translations translations-compile lint bench bench-smoke bench-embed docs docs-build clean

# The web server and a jobs worker together (Procfile, run by honcho), as in production.
# Emailed links (printed in the console without SMTP) point at where this serves, unless
# BASE_URL is set.
run: $(VENV)/.installed-run system-packages translations-compile migrate load-campaigns
	HOST=$(HOST) PORT=$(PORT) BASE_URL="$${BASE_URL:-http://$(HOST):$(PORT)}" PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

# On every core (pytest-xdist), each worker with its own PostgreSQL database and Redis db
# (tests/conftest.py); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-test system-packages
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(TEST_SYSTEM_PACKAGES)"
	$(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses=8 $(PYTEST_ARGS)

# Running needs only the package; the test tools come with `make test`.
$(VENV)/.installed-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-docs: $(VENV)/.installed-run
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $@

# Catalogues are compiled here (and by the test suite), not when the app starts.
translations-compile: $(VENV)/.installed-run
	$(BIN)/pybabel compile -d app/translations

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

migrate: $(VENV)/.installed-run
	$(BIN)/flask db upgrade

load-campaigns: $(VENV)/.installed-run
	$(BIN)/flask campaigns load

# A background-jobs worker (exports, deadlines, cleanup); run several in production.
worker: $(VENV)/.installed-run
	$(BIN)/flask jobs worker

# Delivers queued emails in a loop (the web server also sends them after each request).
outbox-worker: $(VENV)/.installed-run
	$(BIN)/flask outbox worker

# Re-extract translatable strings after changing templates or code, then translate the .po.
translations: $(VENV)/.installed-run
	$(BIN)/pybabel extract --ignore-dirs '.* __pycache__' -F app/translations/babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d app/translations

# Alembic writes migrations/versions in its own style: checked by `flask db check`, not here.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check app tests bench wsgi.py
	$(BIN)/ruff format --check app tests bench wsgi.py

bench: $(VENV)/.installed-run system-packages translations-compile
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(BENCH_SYSTEM_PACKAGES)"
	$(BIN)/python bench/sign.py $(BENCH_ARGS)

# CI's quick guard (a few seconds a scenario, SQLite): fails when signing or confirming
# falls under a generous floor of the bare insert rate.
bench-smoke: $(VENV)/.installed-run system-packages translations-compile
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(BENCH_SYSTEM_PACKAGES)"
	$(BIN)/python bench/sign.py --smoke $(BENCH_ARGS)

bench-embed: $(VENV)/.installed-run system-packages translations-compile
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(BENCH_SYSTEM_PACKAGES)"
	$(BIN)/python bench/embed.py $(BENCH_ARGS)

# The documentation site (MkDocs, docs/ and mkdocs.yml): `make docs` serves it at
# http://127.0.0.1:8000 and rebuilds it as pages change; `make docs-build` builds it into
# site/ (git-ignored) as CI does, where any warning (a broken link or anchor, a page left out
# of the nav) fails the build.
docs: $(VENV)/.installed-docs
	$(BIN)/mkdocs serve

docs-build: $(VENV)/.installed-docs
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) instance .pytest_cache site
