# Everything a fresh machine needs, in two commands: `make run` and `make test`.
# Each target installs what it needs and is safe to run again.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup static-compressed browser translations-extract translations-compile lint clean help bench wrk

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

run: setup  ## Set up, migrate, load the demo clinic and serve http://127.0.0.1:8000
	PORTAL_ENV=development $(BIN)/flask db upgrade
	PORTAL_ENV=development $(BIN)/flask portal demo
	PORTAL_ENV=development $(BIN)/flask run --host $(HOST) --port $(PORT)

# Test workers (pytest-xdist), each with its own database. On two CPUs three beat two:
# a worker waiting for Chromium, the live server or the database leaves its CPU to another.
TEST_WORKERS ?= 3

test: setup browser  ## Run the whole test suite (SQLite; set PORTAL_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: setup wrk  ## Benchmark on loopback: speed, sizes, queries, memory (BENCH_ARGS=--help)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

wrk:  ## Install Debian's wrk (the benchmark's load generator) when it is missing
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing: sudo apt-get install wrk" >&2; exit 1; fi; }

setup: $(VENV)/.installed node_modules/.installed static/vendor/htmx.min.js translations-compile static-compressed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/htmx.min.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

translations-compile: $(VENV)/.installed  ## Compile the Dutch and Polish catalogs
	$(BIN)/pybabel compile -d translations -D messages --statistics

translations-extract: $(VENV)/.installed  ## Collect new strings into the catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching --ignore-obsolete

static-compressed: $(VENV)/.installed static/vendor/htmx.min.js
	$(BIN)/python -m whitenoise.compress -q static

browser:  ## Install Debian's Chromium for the browser tests when it is missing
	@{ command -v chromium && command -v lynx && command -v tmux; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium lynx tmux >/dev/null; \
	  else echo "Chromium is missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; }

lint:  ## Check the code style
	$(BIN)/ruff check portal tests

clean:  ## Remove what set-up made (keeps the database in instance/)
	rm -rf $(VENV) node_modules static/vendor
