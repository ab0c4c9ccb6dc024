# The command surface. `make demo` and `make test` work from a fresh clone: each creates
# .venv and installs the project when it is missing or pyproject.toml changed. Packages are
# compiled to bytecode at install, as pip does; uv otherwise leaves it to the first import,
# and where bytecode cannot be written then (PYTHONDONTWRITEBYTECODE, a read-only .venv)
# every process compiles what it imports: Splink, SciPy and pandas took seconds per task.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/c360 demo

test: $(INSTALLED)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(INSTALLED)
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev,bench]'
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/sample_bank.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/segment.py
	$(BIN)/python bench/resolve.py
	$(BIN)/python bench/febrl.py

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache
