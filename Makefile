# gc-hub: `make up` starts the platform, `make test` runs lint then every test, `make down` stops it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A TLS-inspecting proxy's CA bundle for image builds; defaults to the one this shell trusts.
export GC_EXTRA_CA_BUNDLE ?= $(SSL_CERT_FILE)

.PHONY: up down status lint api-types test test-cluster images install docker-check node-check clean-test

up: install docker-check node-check images
	$(BIN)/gc-hub up

down:
	@if [ -x $(BIN)/gc-hub ]; then $(BIN)/gc-hub down; else echo "gc-hub is not installed here"; fi

status: install
	$(BIN)/gc-hub status

# ruff (lint and format), the import contracts and mypy: all configured in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# gc_extension's types of the API's responses, written from the models in services/api.
api-types: install
	$(BIN)/python -m services.api.client_types > gc_extension/api_types.py

# Every test: the suite on two processes (tests/conftest.py groups them), then the cluster tests.
test: install lint docker-check images
	$(BIN)/pytest -n 2 --durations=15 $(PYTEST_ARGS)
	$(MAKE) test-cluster

# The cluster tests (tests/cluster): two more Docker engines in network namespaces, in a swarm with
# this machine's engine, a registry, PostgreSQL and Redis. As root; needs iproute2 and docker-registry.
test-cluster: install docker-check
	$(BIN)/pytest -p no:cacheprovider tests/cluster

images: docker-check
	images/build.sh all

install: $(BIN)/.installed node_modules/.installed

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "gc-hub needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $@

# The hub's proxy (JupyterHub's configurable-http-proxy), pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	@$(MAKE) --no-print-directory node-check
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-check:
	@node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)' 2>/dev/null && command -v npm >/dev/null || { \
	  echo "The hub's proxy needs Node.js 20 or newer and npm ($$(node --version 2>/dev/null || echo 'no node found'))."; \
	  echo "On Debian: sudo apt-get install nodejs npm (Debian 13 has Node.js 20), or see https://nodejs.org/."; exit 1; }

docker-check:
	@docker info >/dev/null 2>&1 || { \
	  echo "No Docker engine is running. Start one (sudo systemctl start docker, or sudo dockerd &)"; \
	  echo "and run this again. On Debian: sudo apt-get install docker.io"; exit 1; }
