# Two commands on a fresh machine: `make run` and `make test`.
# Every target creates .venv and installs the project into it with uv (from PyPI).
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed

.PHONY: run test check lab bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet uv

$(STAMP): pyproject.toml | $(PY)
	$(UV) pip install --quiet --python $(PY) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/funnel run --out out/$$(date +%Y%m%d-%H%M%S)

test: $(STAMP)
	$(PY) -m pytest

# the quick tier for local iteration: unit and functional tests, no statistical
# validation, lessons or long experiments (those are marked slow; `make test` runs all)
check: $(STAMP)
	$(PY) -m pytest -m "not slow" -q

lab: $(STAMP)
	$(VENV)/bin/jupyter lab lessons/

bench: $(STAMP)
	$(PY) bench/bench_engine.py
	$(PY) bench/bench_stress.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
