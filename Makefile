PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Large temporaries stay in the heap instead of being unmapped and page-faulted back in on every
# step (see benchmarks/README.md): this roughly halves the time of an MLP training step here.
export MALLOC_MMAP_THRESHOLD_ ?= 67108864
export MALLOC_TRIM_THRESHOLD_ ?= 268435456

.PHONY: setup run test lint bench clean web

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/pip install --quiet ruff
	$(BIN)/ruff check engine app tests benchmarks

bench: setup
	$(BIN)/python benchmarks/engine_bench.py

# The playground and /docs assets in app/static/ (committed: `make run` needs no Node).
web:
	cd web && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
