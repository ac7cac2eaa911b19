# EITP Workbench. `make demo` sets everything up and runs the demo; `make test` runs the tests.
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
BENCH ?=

.PHONY: setup demo test test-all bench lint clean

setup:
	@./scripts/setup.sh

demo: setup
	$(BIN)/workbench demo

test: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-all: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run_all.py $(BENCH)

lint: setup
	$(BIN)/ruff check workbench synthetic tests bench
	$(BIN)/mypy workbench synthetic

# The venv and caches only: workbench.db holds the stored runs (and CI's baselines), which are data.
clean:
	rm -rf $(VENV) .pytest_cache bench/results
