# Two commands on a fresh machine with Python 3.11+ and make:
#   make run   - install and start the app
#   make test  - install everything the tests need and run them all

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test lint format bench browser postgres node install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.app-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.app-installed

install: $(VENV)/.app-installed

run: $(VENV)/.app-installed
	$(BIN)/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# The browser test drives Debian's chromium; install it when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The storage tests also run against a throwaway PostgreSQL cluster (scripts/start-postgres).
postgres:
	@command -v psql >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

# The sign-in tests run a real OpenID Connect provider (tests/oidc_provider) on Node.js:
# install Debian's nodejs and npm when node is missing, then the provider's locked packages.
OIDC := tests/oidc_provider

node: $(OIDC)/node_modules/.package-lock.json

$(OIDC)/node_modules/.package-lock.json: $(OIDC)/package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	cd $(OIDC) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.test-installed browser postgres node
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	SELFSTUDY_TEST_POSTGRES_URL=$$(scripts/start-postgres $$$$) $(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
