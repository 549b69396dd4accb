# Two commands set everything up on a fresh machine with Python >= 3.11 and make:
#   make demo   - build .venv and simulate a lockdown on the bundled elementary school
#   make test   - build .venv and run the test suite (doctests and the --strict docs build included)
#   make docs   - build the documentation site with the API reference into build/site/
#   make fuzz   - 10,000 mutated inputs through the CLI (about 6 minutes on 2 idle cores)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_OUT ?= demo-output

.PHONY: demo test lint bench docs fuzz clean

$(BIN)/drillsim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

DEMO_SCENARIO := scenarios/elementary-lockdown-class.yaml

demo: $(BIN)/drillsim
	$(BIN)/drillsim run $(DEMO_SCENARIO) --seed 1 --out $(DEMO_OUT)/run
	$(BIN)/drillsim batch $(DEMO_SCENARIO) --runs 1000 --seed 1 --out $(DEMO_OUT)/batch
	$(BIN)/drillsim brief $(DEMO_SCENARIO) --runs 500 --seed 1 --out $(DEMO_OUT)/brief
	@echo "Demo outputs written to $(DEMO_OUT)/ (run/, batch/, brief/)"

test: $(BIN)/drillsim
	$(BIN)/ruff check drillsim tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

lint: $(BIN)/drillsim
	$(BIN)/ruff check drillsim tests benchmarks

bench: $(BIN)/drillsim
	$(BIN)/python benchmarks/bench_engines.py
	$(BIN)/python benchmarks/bench_research.py

# The documentation site with the API reference (offline) in build/site/.
docs: $(BIN)/drillsim
	$(BIN)/mkdocs build --strict

# 10,000 mutated floorplans, scenarios, observer sheets and CLI options through the CLI; writes its
# figures to fuzz-results.md/.json (recorded in docs/fuzz.md) and fails on any traceback, hang or silent accept (docs/fuzz.md).
FUZZ_CASES ?= 10000
FUZZ_JOBS ?= 2
fuzz: $(BIN)/drillsim
	$(BIN)/python benchmarks/fuzz.py --cases $(FUZZ_CASES) --seed 1 --jobs $(FUZZ_JOBS) \
		--markdown fuzz-results.md --json fuzz-results.json

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .ruff_cache
