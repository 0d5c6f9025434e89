"""Lesson 03's figure: the sales cycle in its four parts, the plan beside the won deals.

:func:`plot_cycle` draws two stacked horizontal bars, one for the plan (the selling parts:
design, procurement, transaction) and one for the deals won (the same parts, then the
collection of the money), each segment labelled with its days; :func:`cycle_chart` draws
it from one run (:func:`sim.analysis.plan_vs_run.cycle_plan_vs_run`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.plan_vs_run import cycle_plan_vs_run
from sim.presentation.i18n import in_scenario_language, label
from sim.presentation.i18n import text as _
from sim.presentation.plots.style import (
    LABEL_SIZE,
    LEGEND_SIZE,
    OKABE_ITO,
    classroom,
    classroom_figure,
    text_color,
    wrap_title,
)

PART_COLORS = {"design": OKABE_ITO[4], "procurement": OKABE_ITO[1],
               "transaction": OKABE_ITO[2], "collection": OKABE_ITO[3],
               "untagged": "#BBBBBB"}
"""One colour per part of the cycle, the same in every run."""


@classroom
def plot_cycle(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """The planned and the actual sales cycle as stacked bars of days, by part.

    Parameters
    ----------
    table : DataFrame
        One row per part: ``part`` (``design``, ``procurement``, ``transaction``,
        ``collection`` or ``untagged``), ``planned_days`` (NaN: no plan for that part)
        and ``actual_days`` (NaN: no deal to measure).
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With one bar patch per part and row (plan on top).
    """
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    rows = [("planned_days", _("Plan (selling time)")), ("actual_days", _("Won deals"))]
    total = 0.0
    for y, (column, _name) in enumerate(rows):
        left = 0.0
        for part, days in zip(table["part"], table[column].to_numpy(dtype=float),
                              strict=True):
            days = 0.0 if np.isnan(days) else days
            colour = PART_COLORS.get(part, PART_COLORS["untagged"])
            ax.barh(y, days, left=left, height=0.6, color=colour, edgecolor="black",
                    linewidth=1, label=label(part) if y == 1 else None)
            if days >= 8:
                ax.text(left + days / 2, y, f"{days:.0f}", ha="center", va="center",
                        color=text_color(colour), fontsize=LEGEND_SIZE, fontweight="bold")
            left += days
        ax.text(left + 1, y, _("{n} days", n=f"{left:.0f}"), va="center",
                fontsize=LABEL_SIZE)
        total = max(total, left)
    ax.set_yticks(range(len(rows)), [name for _column, name in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)  # the plan on top
    ax.set_xlim(0, max(total, 1.0) * 1.2)
    ax.tick_params(axis="y", length=0, labelsize=LABEL_SIZE)
    ax.set_xlabel(_("Days (mean per deal)"))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(table),
              fontsize=LEGEND_SIZE, frameon=False)
    fig.suptitle(wrap_title(title or _("The sales cycle in four parts: plan and won deals")),
                 x=0.01, ha="left")
    return fig


@in_scenario_language
def cycle_chart(result) -> Figure:
    """:func:`plot_cycle` of one run's :func:`~sim.analysis.plan_vs_run.cycle_plan_vs_run`."""
    return plot_cycle(cycle_plan_vs_run(result))
