PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test oracle-long lint bench clean web

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# The test extras plus torch, the oracle of tests/oracle (CPU wheel, ~20 s from a local file).
$(BIN)/.oracle: $(BIN)/.installed
	$(BIN)/pip install --quiet -e ".[test,oracle]"
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

test: setup $(BIN)/.oracle
	$(BIN)/python -m pytest

# The differential suite with ten times the programs and a random seed (printed in the header;
# ORACLE_SEED=n replays a run, ORACLE_SCALE=n changes the budget).
oracle-long: setup $(BIN)/.oracle
	ORACLE_PROFILE=long $(BIN)/python -m pytest tests/oracle -p no:cacheprovider

lint: setup
	$(BIN)/pip install --quiet ruff
	$(BIN)/ruff check engine app tests benchmarks client

bench: setup
	$(BIN)/python benchmarks/engine_bench.py

# The playground and /docs assets in app/static/ (committed: `make run` needs no Node).
web:
	cd web && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
