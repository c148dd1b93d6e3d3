PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
ACCESS_LOG ?= true

.PHONY: setup run test oracle-long lint bench bench-http clean web lock

LOCK := requirements.lock
UV_VERSION := 0.13.9

# Every dependency, of every extra, at the version in requirements.lock (used as pip constraints:
# it pins what an install picks without installing every extra).
$(BIN)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[test]"
	touch $@

# The test extras plus torch, the oracle of tests/oracle (CPU wheel, ~20 s from a local file).
$(BIN)/.oracle: $(BIN)/.installed
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[test,oracle]"
	touch $@

setup: $(BIN)/.installed

run: setup
	AUTOGRAD_HOST=$(HOST) AUTOGRAD_PORT=$(PORT) AUTOGRAD_ACCESS_LOG=$(ACCESS_LOG) $(BIN)/python -m app

test: setup $(BIN)/.oracle
	$(BIN)/python -m pytest

# The differential suite with ten times the programs and a random seed (printed in the header;
# ORACLE_SEED=n replays a run, ORACLE_SCALE=n changes the budget).
oracle-long: setup $(BIN)/.oracle
	ORACLE_PROFILE=long $(BIN)/python -m pytest tests/oracle -p no:cacheprovider

lint: setup
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[lint]"
	$(BIN)/ruff check engine app tests benchmarks client

bench: setup
	$(BIN)/python benchmarks/engine_bench.py

# The service over HTTP: one session run vs the same program in process, /v1/evaluate against a
# bare FastAPI endpoint (wrk when installed), tensor transfer (benchmarks/README.md).
bench-http: setup
	$(BIN)/python benchmarks/http_bench.py --seconds 5 --rounds 3

# Re-resolves requirements.lock from pyproject.toml (all extras, every platform); run it after
# changing a dependency, and commit the result.
lock: setup
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 --native-tls \
		--upgrade --quiet --custom-compile-command "make lock" --output-file $(LOCK)

# The playground and /docs assets in app/static/ (committed: `make run` needs no Node).
web:
	cd web && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
