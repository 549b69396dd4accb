# Two commands set everything up on a fresh machine with Python >= 3.11 and make:
#   make demo   - build .venv and simulate a lockdown on the bundled elementary school
#   make test   - build .venv and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_OUT ?= demo-output

.PHONY: demo test lint bench clean

$(BIN)/drillsim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(BIN)/drillsim
	$(BIN)/drillsim run scenarios/elementary-lockdown-class.yaml --seed 1 --out $(DEMO_OUT)
	@echo "Demo outputs written to $(DEMO_OUT)/"

test: $(BIN)/drillsim
	$(BIN)/ruff check drillsim tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

lint: $(BIN)/drillsim
	$(BIN)/ruff check drillsim tests benchmarks

bench: $(BIN)/drillsim
	$(BIN)/python benchmarks/bench_engines.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .ruff_cache
