"""Lessons are code too: every notebook runs (in fast mode), is stored without outputs,
and keeps the model in the package."""

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))


def test_there_are_lessons():
    assert len(LESSONS) >= 3
    names = [p.name for p in LESSONS]
    assert all(re.match(r"^\d\d_[a-z0-9_]+\.ipynb$", n) for n in names), names


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_is_stored_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, path.name
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and first["source"], "a lesson opens with prose"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_holds_no_model_logic(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    # the model lives in the package: no simpy, no random numbers, no classes here
    for banned in ("import simpy", "np.random", "import random", "class "):
        assert banned not in code, f"{path.name} uses {banned!r}"
    prose = sum(len(c.source) for c in nb.cells if c.cell_type == "markdown")
    assert prose >= len(code), f"{path.name}: a lesson should read more than it codes"


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_runs_in_fast_mode(path, monkeypatch):
    monkeypatch.setenv("FUNNEL_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "lessons")}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert os.environ["FUNNEL_FAST"] == "1"
