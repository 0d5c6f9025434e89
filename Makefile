# Two commands on a fresh machine: `make run` and `make test`.
# Every target creates .venv and installs the project into it with uv (from PyPI).
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test check lab bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet uv

# `make run` needs the package alone; the tests need the dev tools and the dask extra
# (tests/test_dask.py starts a real LocalCluster)
$(STAMP): pyproject.toml | $(PY)
	$(UV) pip install --quiet --python $(PY) -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(PY)
	$(UV) pip install --quiet --python $(PY) -e '.[dev,dask]'
	touch $(STAMP) $(DEV_STAMP)

run: $(STAMP)
	$(VENV)/bin/funnel run --out out/$$(date +%Y%m%d-%H%M%S)

test: $(DEV_STAMP)
	$(PY) -m pytest

# the quick tier for local iteration: unit and functional tests, no statistical
# validation, lessons or long experiments (those are marked slow; `make test` runs all)
check: $(DEV_STAMP)
	$(PY) -m pytest -m "not slow" -q

lab: $(DEV_STAMP)
	$(VENV)/bin/jupyter lab lessons/

bench: $(DEV_STAMP)
	$(PY) bench/bench_engine.py
	$(PY) bench/bench_stress.py
	$(PY) bench/bench_parallel.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
