"""How fast the lessons' panels answer a slider move.

Every panel of :data:`sim.presentation.panels.LESSON_PANELS` is built on its lesson's
scenario (full length, as a learner runs it, not fast mode) and driven headless through
the widgets' own callbacks: the bench sets a control's ``value``, which runs the panel's
observer, and times until the output is redrawn: the variant validated, the simulation
run, the figures rendered to PNG through IPython's display formatter (as a kernel does)
and the summary printed. Each control is moved to values the panel has not seen (the
worst case, no cached result), then back to one it has (the cache).

The target (issue 12) is at most about 1 s per move on the project's 2-core machine. Each
move is timed twice: wall-clock seconds (what a learner waits) and the process's CPU
seconds (what the move costs, nearly independent of other work on a shared machine: on a
machine busy with other jobs the wall-clock time grows, the CPU time does not). The
times depend on the machine and its load, so they are printed, not asserted; the tests in
``tests/test_widgets.py`` check that the panels answer correctly.

Usage: ``python bench/bench_widgets.py [--moves N] [--strict]``. The last line names the
slowest panel and its slowest move; the exit status is 0 unless ``--strict`` is given and
that move took more than the target.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time

import ipywidgets as widgets
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

from sim.presentation.panels import LESSON_PANELS
from sim.presentation.widgets import Panel
from sim.scenario.shipped import load_shipped

TARGET_SECONDS = 1.0
"""Most seconds a slider move may take, simulation and redraw included."""


def new_values(widget, moves: int) -> list:
    """Up to ``moves`` values of ``widget`` other than its current one, spread over its
    range (every other option of a drop-down)."""
    if isinstance(widget, widgets.Dropdown):
        return [o for o in widget.options if o != widget.value][:moves]
    steps = round((widget.max - widget.min) / widget.step)
    picks = [widget.min + widget.step * round(steps * (i + 1) / (moves + 1))
             for i in range(moves)]
    return [v for v in dict.fromkeys(picks) if v != widget.value]


def move(panel: Panel, widget, value) -> tuple[float, float]:
    """Wall-clock and CPU seconds from setting ``widget.value`` until the panel has
    redrawn."""
    shown_before = panel.result
    start, cpu = time.perf_counter(), time.process_time()
    widget.value = value  # the observer runs the panel's update, as in a notebook
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    if panel.message.value:
        raise SystemExit(f"{widget.description} = {value}: the panel refused it: "
                         f"{panel.message.value}")
    assert panel.result is not None and (panel.result is not shown_before or
                                         len(panel._results) > 1)
    return elapsed


def time_panel(name: str, moves: int) -> dict:
    """The panel's first picture, and every move's seconds, as a row of figures."""
    build, scenario_name = LESSON_PANELS[name]
    scenario, _ = load_shipped(scenario_name)
    panel = build(scenario)
    start = time.perf_counter()
    panel.update()
    first = time.perf_counter() - start
    fresh, cached = [], []
    for widget in panel.widgets:
        start_value = widget.value
        for value in new_values(widget, moves):
            fresh.append(move(panel, widget, value))
        cached.append(move(panel, widget, start_value))
    wall, cpu = zip(*fresh, strict=True)
    return {"panel": name, "first": first, "median": statistics.median(wall),
            "slowest": max(wall), "cpu_median": statistics.median(cpu),
            "cpu_slowest": max(cpu), "cached": max(c[0] for c in cached),
            "moves": len(fresh)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=3, help="new values per control")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if the slowest move exceeds the target")
    args = parser.parse_args(argv)
    shell = InteractiveShell.instance()
    shell.display_pub = CapturingDisplayPublisher()  # formats as a kernel does; keeps it
    rows = []
    for name in LESSON_PANELS:
        with contextlib.redirect_stdout(io.StringIO()):
            rows.append(time_panel(name, args.moves))
        shell.display_pub.outputs.clear()  # the PNGs are not kept
        r = rows[-1]
        print(f"{r['panel']:<15} first picture {r['first']:5.2f} s | {r['moves']} moves: "
              f"median {r['median']:5.2f} s (CPU {r['cpu_median']:4.2f} s), slowest "
              f"{r['slowest']:5.2f} s (CPU {r['cpu_slowest']:4.2f} s) | back to a value "
              f"seen: {r['cached']:5.2f} s")
    worst = max(rows, key=lambda r: r["cpu_slowest"])
    verdict = "within" if worst["cpu_slowest"] <= TARGET_SECONDS else "OVER"
    print(f"slowest panel: {worst['panel']}, slowest move {worst['cpu_slowest']:.2f} s CPU, "
          f"{worst['slowest']:.2f} s wall-clock ({verdict} the {TARGET_SECONDS:.0f} s "
          f"target; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 1 if args.strict and verdict == "OVER" else 0


if __name__ == "__main__":
    sys.exit(main())
