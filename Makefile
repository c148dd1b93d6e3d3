PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Large temporaries stay in the heap instead of being unmapped and page-faulted back in on every
# step (see benchmarks/README.md): this roughly halves the time of an MLP training step here.
export MALLOC_MMAP_THRESHOLD_ ?= 67108864
export MALLOC_TRIM_THRESHOLD_ ?= 268435456

.PHONY: setup run test oracle-long lint bench clean

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
	$(BIN)/ruff check engine app tests benchmarks

bench: setup
	$(BIN)/python benchmarks/engine_bench.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
