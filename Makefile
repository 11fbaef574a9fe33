# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_ORDERS ?= 60000
# `make demo` ends by serving the console in the foreground; DEMO_SERVE=0 stops before that.
DEMO_SERVE ?= 1

.PHONY: demo test lint bench clean i18n

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
	$(BIN)/siyu run --figures
	$(BIN)/siyu recommend
	$(BIN)/siyu demo admin
	@if [ "$(DEMO_SERVE)" != "0" ]; then $(BIN)/siyu serve; fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: $(VENV)/.installed-dev lint
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest -n 2 --dist loadgroup -q

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/import_orders.py
	$(BIN)/python bench/clv_fit.py
	$(BIN)/python bench/loyalty_ledger.py
	$(BIN)/python bench/api_load.py
	$(BIN)/python bench/engage_planning.py --customers 1000000
	$(BIN)/python bench/delivery.py --messages 20000

# Console catalogues: extract the strings, merge them into each language's .po (then translate).
i18n: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --project=siyu \
		--copyright-holder="the siyu authors" -o src/siyu/console/locale/messages.pot .
	$(BIN)/pybabel update -i src/siyu/console/locale/messages.pot -d src/siyu/console/locale \
		--width 100 --ignore-obsolete --no-fuzzy-matching

clean:
	rm -rf $(VENV) .siyu .pytest_cache .mypy_cache .ruff_cache
