"""Lessons are code too: every notebook runs (in fast mode), is stored without outputs,
and keeps the model in the package."""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from notebook_kernel import FAST_ENV, run_notebooks

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_lessons():
    assert len(LESSONS) >= 3
    names = [p.name for p in (ROOT / "lessons").glob("*.ipynb")]  # no other notebook
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


# Every lesson runs top to bottom in a real Jupyter kernel (the venv's python3, ipykernel),
# in fast mode, as a learner's JupyterLab would run it: tests/notebook_kernel.py, with the
# workaround for nbclient's Output-widget race. A lesson's key claims are asserted inside
# it (sim.presentation.widgets.claim raises in fast mode), so a lesson whose point no longer
# shows fails here. Then, in the same kernel, every exercise the lesson showed is answered
# as a learner would (its controls set, its Check button's action run): once wrong, once
# right, and the verdicts are read. The lessons go two at a time, one kernel each (the
# machine has 2 cores).
CELL_TIMEOUT = 300
"""Seconds one cell may take: a lesson cell takes 15 s at most in fast mode."""

ANSWER_EVERY_EXERCISE = """\
import json
from sim.presentation.exercises import shown
for number, exercise in enumerate(shown(), 1):
    hidden = exercise.hint.layout.display == "none"
    wrong = exercise.answer_with(exercise.samples["wrong"])
    right = exercise.answer_with(exercise.samples["right"])
    exercise.show_hint()
    print(f"exercise {number}: hint hidden at first {hidden}; wrong answer judged right "
          f"{wrong.right}; right answer judged right {right.right}; hint "
          f"{json.dumps(exercise.hint.value)}; says {json.dumps(exercise.result.value)}")
print(f"{len(shown())} exercises")
"""
"""Answers every exercise shown, and prints what each verdict said."""

EXERCISE_LINE = re.compile(r"exercise (\d+): hint hidden at first (\w+); wrong answer judged "
                           r"right (\w+); right answer judged right (\w+); hint (\".*\"); "
                           r"says (\".*\")$", re.MULTILINE)
MIN_EXERCISES = {"00": 1}
"""Widget exercises a lesson must hold (two unless named here: lesson 00 only starts)."""


def jobs():
    """Each lesson, with a last cell that answers its exercises."""
    found = {}
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(ANSWER_EVERY_EXERCISE))
        found[path.name] = {"path": path, "notebook": nb}
    return found


@pytest.fixture(scope="module")
def kernel_runs():
    return run_notebooks(jobs(), workers=2, env=FAST_ENV, timeout=CELL_TIMEOUT)


def problems(run) -> list[str]:
    """A failed cell, a traceback or a warning shown anywhere in the run."""
    found = [run.error] if run.error else []
    for i, cell in enumerate(run.notebook.cells):
        if cell.cell_type == "code":
            text = run.text(i)
            found += [f"cell {i}: {word}" for word in ("Traceback", "Warning")
                      if word in text]
    return found


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_runs_in_a_real_kernel_in_fast_mode(kernel_runs, path):
    run = kernel_runs[path.name]
    assert not problems(run), "\n".join(problems(run))[-4000:]
    code = [i for i, c in enumerate(run.notebook.cells) if c.cell_type == "code"]
    assert sorted(run.cell_seconds) == code  # every code cell ran
    assert run.notebook.cells[code[-1]].get("execution_count")


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_exercise_judges_a_right_and_a_wrong_answer_in_a_real_kernel(kernel_runs, path):
    run = kernel_runs[path.name]
    said = run.text(len(run.notebook.cells) - 1)
    found = EXERCISE_LINE.findall(said)
    assert len(found) >= MIN_EXERCISES.get(path.name[:2], 2), said
    assert f"{len(found)} exercises" in said, said
    for number, hidden, wrong, right, hint, verdict in found:
        hint, verdict = json.loads(hint), json.loads(verdict)
        assert (hidden, wrong, right) == ("True", "False", "True"), f"exercise {number}"
        assert hint.strip("<i>/ "), f"exercise {number} has no hint"
        assert "Right." in verdict or "正确。" in verdict, f"exercise {number}: {verdict}"


def test_lessons_answer_with_widgets_not_code_edits():
    """No lesson asks the learner to edit code or speaks of cells: its exercises are widgets
    (they work on the classroom page, which shows no code)."""
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
        for words in ("shift+enter", "shift + enter", "in the cell below, set", "grey cell",
                      "edit the cell", "change the cell", "next cell", "code cell",
                      "the cell below", "the cell prints", "the cell runs"):
            assert words not in prose, f"{path.name} says {words!r}"


# `make lab`: learners work on copies in a folder git ignores, and JupyterLab starts
# (as root too, as in containers and classroom VMs)
def make(*args, **kwargs):
    return subprocess.run(["make", "-s", "-C", str(ROOT), *args], capture_output=True,
                          text=True, timeout=60, **kwargs)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_copies_the_lessons_and_never_overwrites_a_learners_copy(tmp_path):
    mine = tmp_path / "my_lessons"
    done = make("lesson-copies", f"MY_LESSONS={mine}")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in mine.iterdir()) == [p.name for p in LESSONS]
    assert all((mine / p.name).read_bytes() == p.read_bytes() for p in LESSONS)
    # the learner works on a copy (here: it is replaced) and the lesson changes later
    worked = mine / LESSONS[0].name
    worked.write_text("the learner's work", encoding="utf-8")
    os.utime(worked, (1, 1))  # older than the stored lesson
    (mine / LESSONS[1].name).unlink()  # one copy deleted: it comes back
    done = make("lesson-copies", f"MY_LESSONS={mine}")
    assert done.returncode == 0, done.stderr
    assert worked.read_text(encoding="utf-8") == "the learner's work"
    assert f"kept your {worked}" in done.stdout and "is newer" in done.stdout
    assert (mine / LESSONS[1].name).read_bytes() == LESSONS[1].read_bytes()


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="not a git checkout")
def test_the_learners_copies_are_ignored_by_git():
    copy = f"my_lessons/{LESSONS[0].name}"
    done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", copy])
    assert done.returncode == 0, f"git does not ignore {copy}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "jupyter").exists(),
                    reason="make lab runs .venv's JupyterLab, and no make target made .venv")
def test_make_lab_serves_jupyterlab_on_the_copies(tmp_path):
    """`make lab` as the Makefile runs it (with --allow-root if we are root), on a free
    port, without a browser; JupyterLab answers with its token, then is stopped."""
    port, token, mine = free_port(), secrets.token_hex(16), tmp_path / "my_lessons"
    flags = f"--no-browser --port={port} --ServerApp.port_retries=0 " \
            f"--IdentityProvider.token={token}"
    # -o: never reinstall the venv here, even if pyproject.toml changed since it was made
    # (whichever stamp file the lab target depends on)
    keep = ["-o", ".venv/.installed", "-o", ".venv/.installed-dev"]
    server = subprocess.Popen(["make", "-s", "-C", str(ROOT), *keep, "lab",
                               f"MY_LESSONS={mine}", f"LAB_FLAGS={flags}"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90  # JupyterLab starts in 3-20 s on a busy machine
        while True:
            assert server.poll() is None, server.stdout.read()[-3000:]
            try:
                with urllib.request.urlopen(f"{base}/api/contents?token={token}",
                                            timeout=5) as answer:
                    listing = json.load(answer)
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer in 90 s"
                time.sleep(0.5)
        assert sorted(item["name"] for item in listing["content"]) == \
            [p.name for p in LESSONS]  # it serves the learner's copies, not lessons/
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as answer:
            assert answer.status == 200 and b"JupyterLab" in answer.read()
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make and JupyterLab, started here
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.communicate()
