# Corredor developer entry points:
#   make demo    run the flagship mexico-us scenario (2013-2021) and write demo-output/report.html
#   make test    lint, type-check, check the layer contracts and run the test suite
#   make bench   run the benchmarks (benchmarks/run.py; the full mexico-us run; a day's cost by step)
#   make docs-figure  rerun mexico-us and mali2012 and update the pictures in docs/img (README)
#   make clean   remove build, cache and demo outputs (make distclean also removes .venv)
# The virtual environment lives in .venv; `pip install` is re-run only when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEMO_OUT ?= demo-output
PYTEST_WORKERS ?= 2
LINT_PATHS := $(wildcard src tests benchmarks scripts)

# Compiled numba kernels are cached here and reused by test workers and later runs.
export NUMBA_CACHE_DIR := $(CURDIR)/.numba-cache

.PHONY: demo demo-flee test bench docs-figure clean distclean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[test]'
	@touch $@

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[bench]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/corredor run mexico-us --store $(DEMO_OUT) --report $(DEMO_OUT)/report.html
	@echo
	@echo "Report: $(abspath $(DEMO_OUT))/report.html (open it in a browser; it works offline)"

# The Flee-compatible demo: mali2012, 4 replicas, camp curves vs UNHCR.
demo-flee: $(VENV)/.installed
	$(BIN)/corredor run mali2012 --replicas 4 --store $(DEMO_OUT)
	$(BIN)/corredor report latest --store $(DEMO_OUT) -o $(DEMO_OUT)/mali2012.html \
		--png $(DEMO_OUT)/mali2012-camps.png

# Regenerate the picture shown in README.md from the demo run.
docs-figure: demo-flee
	@mkdir -p docs/img
	cp $(DEMO_OUT)/mali2012-camps.png docs/img/mali2012-camps.png
	$(BIN)/corredor run mexico-us --store $(DEMO_OUT) --no-progress --png docs/img/mexico-us.png

test: $(VENV)/.installed-test
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

# Flee 3.1, the peer, lives in its own environment (its wheel needs an MPI library: mpich).
FLEE_VENV ?= .venv-flee
$(FLEE_VENV)/.installed:
	$(PYTHON) -m venv $(FLEE_VENV)
	$(FLEE_VENV)/bin/pip install 'flee==3.1' mpich
	@touch $@

bench: $(VENV)/.installed-bench $(FLEE_VENV)/.installed
	$(PY) benchmarks/run.py --flee-python $(FLEE_VENV)/bin/python
	$(PY) benchmarks/corridor_bench.py --repeats 1
	$(PY) benchmarks/day_steps_bench.py --days 400

clean:
	rm -rf build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis \
		.numba-cache $(DEMO_OUT) bench-output
	find src tests -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(FLEE_VENV)
