# Quick start: `make run` (default study) and `make test` (test suite) work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.morsenet-installed

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m morsenet run $(ARGS)

test: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples scripts
	$(VENV)/bin/ruff format --check src tests benchmarks examples scripts
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix src tests benchmarks examples scripts
	$(VENV)/bin/ruff format src tests benchmarks examples scripts

bench: $(STAMP)
	$(PY) benchmarks/bench_jacobian.py
	$(PY) benchmarks/bench_ensemble.py
	$(PY) benchmarks/bench_forward.py
	$(PY) benchmarks/bench_sweep.py
	$(PY) benchmarks/bench_report.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
