# Quick start: `make run` (default study) and `make test` (test suite) work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.morsenet-installed

.PHONY: install run test bench clean

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

bench: $(STAMP)
	$(PY) benchmarks/bench_jacobian.py
	$(PY) benchmarks/bench_ensemble.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
