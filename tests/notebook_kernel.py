"""Run notebooks in a real Jupyter kernel, as a learner's JupyterLab would.

The tests execute every lesson with nbclient in the venv's ``python3`` kernel (ipykernel).
:class:`~sim.presentation.kernels.PollingNotebookClient` works around a race in the client
(explained there) that otherwise stalls a cell until its timeout; :func:`run_notebook` runs
one notebook and times each cell, and :func:`run_notebooks` runs several at once, one
process each. :func:`cells_of` builds a notebook from chosen cells of a lesson (an exercise
with a learner's answer, say).
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from sim.presentation.kernels import PollingNotebookClient

ANSI = re.compile(r"\x1b\[[0-9;]*m")
"""The colours of IPython's tracebacks, taken out of the texts the tests read."""

FAST_ENV = {"FUNNEL_FAST": "1"}
"""What the lessons read to run in fast mode (``sim.presentation.widgets.fast_mode``)."""


@dataclass
class NotebookRun:
    """What running one notebook gave: the executed notebook, each code cell's seconds
    (by cell index), the total seconds, and the error text if a cell failed."""

    path: Path
    notebook: nbformat.NotebookNode | None = None
    cell_seconds: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def text(self, index: int) -> str:
        """Everything cell ``index`` printed or showed as plain text."""
        parts = []
        for out in self.notebook.cells[index].get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out["text"])
            elif "data" in out:
                parts.append(out["data"].get("text/plain", ""))
            elif out.get("output_type") == "error":
                parts.append("\n".join(out["traceback"]))
        return ANSI.sub("", "".join(parts))


def run_notebook(path, *, cwd=None, timeout=600, env=None, notebook=None,
                 client_class=PollingNotebookClient) -> NotebookRun:
    """Execute a notebook top to bottom in a fresh ``python3`` kernel.

    Parameters
    ----------
    path : path
        The notebook (read unless ``notebook`` is given; never written).
    cwd : path, optional
        The kernel's working folder; the notebook's own folder by default.
    timeout : float
        Seconds a single cell may take before it fails.
    env : dict, optional
        Extra environment variables of the kernel (e.g. ``FAST_ENV``).
    notebook : NotebookNode, optional
        A notebook already in memory (a lesson with a cell changed, for instance).
    client_class : type
        The nbclient client; nbclient's own ``NotebookClient`` shows the race.

    Returns
    -------
    NotebookRun
        With ``error`` set (and the notebook as far as it ran) if a cell failed.
    """
    path = Path(path)
    nb = notebook if notebook is not None else nbformat.read(path, as_version=4)
    run = NotebookRun(path)
    started = {}

    def on_start(cell, cell_index):
        started[cell_index] = time.monotonic()

    def on_done(cell, cell_index, execute_reply):
        run.cell_seconds[cell_index] = time.monotonic() - started[cell_index]

    client = client_class(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(cwd or path.parent)}},
        on_cell_execute=on_start, on_cell_executed=on_done)
    t0 = time.monotonic()
    try:
        client.execute(env={**os.environ, "MPLBACKEND": "module://matplotlib_inline."
                            "backend_inline", **(env or {})})
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        run.error = ANSI.sub("", str(exc))
    run.seconds = time.monotonic() - t0
    run.notebook = nb
    return run


def run_notebooks(jobs: dict, *, workers=2, **options) -> dict:
    """Run several notebooks at once, each in its own process and kernel (``workers``
    at a time).

    ``jobs`` maps a name to a path, or to a dict of :func:`run_notebook`'s arguments
    (``path``, ``notebook``, ...); ``options`` go to every run. Returns the runs by name.
    """
    jobs = {name: job if isinstance(job, dict) else {"path": job}
            for name, job in jobs.items()}
    if workers <= 1 or len(jobs) <= 1:
        return {name: run_notebook(**options, **job) for name, job in jobs.items()}
    # spawn, not fork: forking a process that runs threads (pytest's, zmq's) may deadlock
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        futures = {name: pool.submit(run_notebook, **options, **job)
                   for name, job in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


def find_cell(nb, text: str) -> int:
    """The index of the one code cell whose source contains ``text``."""
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source]
    if len(found) != 1:
        raise LookupError(f"{len(found)} code cells contain {text!r}")
    return found[0]


def cells_of(path, picks) -> nbformat.NotebookNode:
    """A notebook of some code cells of the notebook at ``path``, in the order given.

    ``picks`` holds, per cell, either the text that finds it (:func:`find_cell`) or a
    pair ``(text, source)`` that replaces its source (an exercise's answer, say).
    """
    nb = nbformat.read(path, as_version=4)
    cells = []
    for n, pick in enumerate(picks):
        text, source = pick if isinstance(pick, tuple) else (pick, None)
        cell = copy.deepcopy(nb.cells[find_cell(nb, text)])
        cell.id = f"pick-{n}"  # a cell picked twice must not repeat its id
        if source is not None:
            cell.source = source
        cells.append(cell)
    nb.cells = cells
    return nb


def kernel_python() -> str:
    """The interpreter the ``python3`` kernel would run: the venv's, when the kernelspec
    is ipykernel's own (its ``python`` is replaced by this process's interpreter)."""
    argv = KernelSpecManager().get_kernel_spec("python3").argv
    return sys.executable if argv[0] in ("python", "python3") else argv[0]
