# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_ORDERS ?= 60000

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/siyu init
	$(BIN)/siyu demo load --orders $(DEMO_ORDERS)
	$(BIN)/siyu run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: $(VENV)/.installed-dev lint
	bash scripts/ensure-postgres.sh
	$(BIN)/pytest -n 2 -q

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/import_orders.py
	$(BIN)/python bench/clv_fit.py
	$(BIN)/python bench/engage_planning.py --customers 1000000
	$(BIN)/python bench/delivery.py --messages 20000

clean:
	rm -rf $(VENV) .siyu .pytest_cache .mypy_cache .ruff_cache
