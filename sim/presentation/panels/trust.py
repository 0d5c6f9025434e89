"""Lesson 09's panels: trusting a simulation, checked against Erlang C.

The panel turns the lesson's scenario into the M/M/c queue queueing theory solves
exactly (:func:`sim.analysis.queueing.mmc_scenario`: deals arriving at random, one piece
of exponential work each, ``c`` reps sharing one queue) and lets the learner change the
number of reps and the arrivals. Each move runs a few short replications
(:data:`PANEL_QUEUE`, :data:`PANEL_REPLICATIONS`) and draws each one's mean wait, their
mean with its 95% confidence interval, and the wait Erlang's C formula gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis.queueing import mean_queue_wait, mmc_rates, mmc_scenario
from sim.analysis.statistics import mean_ci
from sim.experiments.runner import simulate
from sim.presentation.i18n import text
from sim.presentation.plots.style import (
    LEGEND_SIZE,
    LINE_WIDTH,
    OKABE_ITO,
    classroom,
    classroom_figure,
    wrap_title,
)
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

PANEL_QUEUE = {"horizon_days": 300.0, "warmup_days": 60.0}
"""Each replication of the panel: 60 days of warm-up (the queue forgets its empty start
within a few days at these loads) and 300 days measured, about 1,300 deals."""

PANEL_REPLICATIONS = 3
"""Replications per move: three runs of 300 days take about 0.35 s, and their interval
(with 2 degrees of freedom: wide) already shows whether the formula is inside it."""

START = {"reps": 3, "arrivals_per_day": 4.5, "work_hours": 4.0}
"""The queue the panel starts from: the one ``tests/test_validation.py`` checks, 3 reps
busy 75% of the time."""


@dataclass(frozen=True)
class QueueCheck:
    """The panel's result: the queue scenario, the simulated mean wait of each
    replication (days) and the formula's figures (:func:`mmc_rates`)."""

    scenario: Scenario
    waits: tuple[float, ...]
    exact: dict

    def interval(self) -> tuple[float, float, float, float]:
        """``(mean, sd, ci_low, ci_high)`` of the replications' mean waits."""
        return mean_ci(self.waits)


def check_queue(scenario: Scenario, replications: int = PANEL_REPLICATIONS,
                length: dict | None = None) -> QueueCheck:
    """Run ``replications`` of the queue ``scenario`` (shortened to ``length``,
    :data:`PANEL_QUEUE` by default) and read each one's mean wait."""
    short = vary(scenario, length or PANEL_QUEUE, source="the panel")
    waits = tuple(mean_queue_wait(simulate(short, r)) for r in range(replications))
    return QueueCheck(scenario, waits, mmc_rates(scenario))


@classroom
def plot_queue_check(check: QueueCheck):
    """Each replication's mean wait (dots), their mean and 95% CI (bar), and Erlang C's
    wait (dashed line), in hours; in the language of the block
    (:func:`sim.presentation.i18n.using`, or ``lang=``)."""
    fig, axes = classroom_figure(figsize=(8, 4))
    ax = axes[0, 0]
    hours = check.scenario.team.hours_per_day
    waits = np.asarray(check.waits) * 24
    mean, _, lo, hi = check.interval()
    ax.plot(np.zeros(len(waits)), waits, "o", color=OKABE_ITO[4], markersize=10,
            label=text("one replication"))
    ax.errorbar([0.25], [mean * 24], yerr=[[(mean - lo) * 24], [(hi - mean) * 24]],
                fmt="s", color=OKABE_ITO[0], capsize=8, linewidth=LINE_WIDTH,
                markersize=10, label=text("mean and 95% CI"))
    exact = check.exact["erlang_c_wait_days"] * 24
    ax.axhline(exact, color=OKABE_ITO[5], linestyle="--", linewidth=LINE_WIDTH,
               label=text("Erlang C: {wait} hours", wait=f"{exact:.1f}"))
    ax.set_xlim(-0.5, 0.75)
    ax.set_xticks([])
    ax.set_ylim(bottom=0)
    ax.set_ylabel(text("Mean wait (hours)"))
    ax.legend(fontsize=LEGEND_SIZE * 0.8, loc="upper right")
    ax.set_title(wrap_title(text("{reps} reps of {hours} hours a day, {load} of them busy "
                                 "on average", reps=check.exact["reps"],
                                 load=f"{check.exact['load']:.2f}", hours=f"{hours:g}")))
    return fig


def queue_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 09's panel: the reps and the deals arriving per week in an M/M/c queue;
    shows the simulated mean wait against Erlang C."""
    lang = lang or lesson_language(scenario)
    queue = mmc_scenario(scenario, **START)

    def show(check: QueueCheck) -> None:
        mean, _, lo, hi = check.interval()
        print(text("simulated mean wait {mean} hours (95% CI {lo} to {hi}) | Erlang C "
                   "{exact} hours | reps busy {busy}", lang,
                   mean=f"{mean * 24:.2f}", lo=f"{lo * 24:.2f}", hi=f"{hi * 24:.2f}",
                   exact=f"{check.exact['erlang_c_wait_days'] * 24:.2f}",
                   busy=f"{check.exact['load'] / check.exact['reps']:.0%}"))
        draw(plot_queue_check(check, lang=lang))

    # at most 35 deals a week of 4 hours on 8-hour days: a load of 2.5 reps, below the
    # fewest reps (3), so the queue never grows without end
    return Panel(queue, [
        Slider("team.reps", text("Reps", lang), 3, 6, 1, integer=True),
        Slider("channels[0].leads_per_week", text("Deals arriving per week", lang), 14, 35,
               3.5),
    ], show=show, run=check_queue, lang=lang)


PANELS = {"erlang_c": (queue_panel, "baseline")}
"""Each panel's factory and the shipped scenario its lesson starts from."""
