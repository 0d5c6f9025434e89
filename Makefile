# Two commands on a fresh machine: `make run` and `make test`.
# Every target creates .venv and installs the project into it with uv (from PyPI).
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test check lab classroom bench clean

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

# The language of the lessons' controls and figures, for the room: en or zh (FUNNEL_LANG for
# the kernels, read by sim.presentation.widgets.lesson_language); empty: each lesson's
# scenario's language. make stops at once on any other value.
LESSON_LANG    :=
CLASSROOM_LANG :=
check-lang = $(if $(filter-out en zh,$(1))$(word 2,$(1)),$(error $(2)=$(1) is not \
    allowed: give en or zh, or leave it empty for each lesson's scenario's language))
$(call check-lang,$(LESSON_LANG),LESSON_LANG)
$(call check-lang,$(CLASSROOM_LANG),CLASSROOM_LANG)

# JupyterLab on the learners' own copies of the lessons (MY_LESSONS, ignored by git), so that
# what they type and JupyterLab's autosave never touch lessons/; bound to 127.0.0.1, and
# with --allow-root when run as root (containers, classroom VMs). LAB_FLAGS adds options;
# LESSON_LANG=zh gives the lessons' controls and figures in Chinese.
MY_LESSONS := my_lessons
LAB_FLAGS  :=
lab: $(DEV_STAMP) lesson-copies
	FUNNEL_LANG=$(LESSON_LANG) $(VENV)/bin/jupyter lab --ServerApp.root_dir=$(MY_LESSONS) \
	    --ServerApp.ip=127.0.0.1 $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_FLAGS)

# copy each lesson into MY_LESSONS unless the learner already has a copy: theirs is kept
.PHONY: lesson-copies
lesson-copies:
	@mkdir -p $(MY_LESSONS)
	@for f in lessons/[0-9][0-9]_*.ipynb; do \
	    copy="$(MY_LESSONS)/$$(basename $$f)"; \
	    if [ ! -e "$$copy" ]; then cp "$$f" "$$copy" && echo "new lesson: $$copy"; \
	    elif [ "$$f" -nt "$$copy" ]; then echo "kept your $$copy ($$f is newer: delete \
	your copy, or rename it, to get the new one)"; fi; \
	done

# The classroom page: Voila serves every lessons/NN_*.ipynb as a page of text, figures and
# controls, with no code shown (Voila's default), on 127.0.0.1 only, and nothing fetched from
# outside: the template lessons/.jupyter/voila/templates/classroom (found through
# JUPYTER_PATH) is Voila's lab template less its CDN stylesheets; lessons/.jupyter/voila.py
# (found through JUPYTER_CONFIG_PATH) works around nbclient's stall. Voila never saves a
# notebook, so learners leave lessons/ as it was. CLASSROOM_PORT picks the port (Voila takes
# the next free one if it is busy, and prints the URL); CLASSROOM_FLAGS adds options;
# CLASSROOM_LANG=zh gives the lessons' controls and figures in Chinese (as LESSON_LANG).
# Chinese shows on a machine with no CJK font: the template's @font-face loads the packaged
# font (paperang-p2-fonts-cjk) from the server, written as a web font into CLASSROOM_FONT
# (under build/, ignored by git; found through JUPYTER_PATH as the template's static file).
CLASSROOM_PORT  := 8866
CLASSROOM_FLAGS :=
CLASSROOM_STATIC_ROOT := build/jupyter
CLASSROOM_FONT  := $(CLASSROOM_STATIC_ROOT)/voila/templates/classroom/static/funnel-cjk.ttf
classroom: $(DEV_STAMP) $(CLASSROOM_FONT)
	FUNNEL_LANG=$(CLASSROOM_LANG) \
	JUPYTER_PATH=$(CURDIR)/lessons/.jupyter:$(CURDIR)/$(CLASSROOM_STATIC_ROOT) \
	JUPYTER_CONFIG_PATH=$(CURDIR)/lessons/.jupyter \
	    $(VENV)/bin/voila lessons --no-browser \
	    --Voila.ip=127.0.0.1 --Voila.port=$(CLASSROOM_PORT) --template=classroom $(CLASSROOM_FLAGS)

$(CLASSROOM_FONT): $(STAMP)
	$(PY) -c 'import sys; from sim.presentation.plots.fonts import write_web_font; \
	    write_web_font(sys.argv[1])' $@

bench: $(DEV_STAMP)
	$(PY) bench/bench_engine.py
	$(PY) bench/bench_stress.py
	$(PY) bench/bench_parallel.py
	$(PY) bench/bench_widgets.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
