"""Lesson 02's figure: each stage's planned chance to advance beside what the run shows.

:func:`plot_advance` draws, per stage, the chance to advance w[k] / w[k+1] that the win
rates plan, and the share of the decided deals that moved on in a run;
:func:`advance_chart` draws it from one run
(:func:`sim.analysis.plan_vs_run.advance_plan_vs_run`). :func:`every_deal_chart` draws
the mistake the course warns against: a "funnel" of every deal ever created, tracked or not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.plan_vs_run import advance_plan_vs_run
from sim.analysis.views import distribution
from sim.presentation.i18n import in_scenario_language
from sim.presentation.i18n import text as _
from sim.presentation.plots.charts import plot_funnel
from sim.presentation.plots.style import (
    LABEL_SIZE,
    LEGEND_SIZE,
    OKABE_ITO,
    classroom,
    classroom_figure,
    wrap_title,
)


@classroom
def plot_advance(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Planned and seen chance to advance, one pair of bars per stage (first stage on top).

    Parameters
    ----------
    table : DataFrame
        One row per stage: ``stage``, ``planned`` (w[k] / w[k+1]) and ``seen`` (the share
        of decided deals that moved on; NaN where none was decided).
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With two bar patches per stage (planned, then seen).
    """
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    y = np.arange(len(table))
    height = 0.38
    pairs = [("planned", _("Planned: w[k] / w[k+1]"), OKABE_ITO[4], y - height / 2),
             ("seen", _("Seen in the run"), OKABE_ITO[0], y + height / 2)]
    for column, label, colour, where in pairs:
        values = table[column].to_numpy(dtype=float)
        ax.barh(where, np.nan_to_num(values), height=height, color=colour, label=label,
                edgecolor="black", linewidth=1)
        for at, v in zip(where, values, strict=True):
            ax.text(0.01 if np.isnan(v) else v + 0.01, at,
                    "—" if np.isnan(v) else f"{v:.0%}", va="center", fontsize=LEGEND_SIZE)
    ax.set_yticks(y, [str(s) for s in table["stage"]])
    ax.set_ylim(len(table) - 0.4, -0.6)  # first stage on top
    ax.set_xlim(0, 1.12)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.tick_params(axis="y", length=0, labelsize=LABEL_SIZE)
    ax.set_xlabel(_("Chance to move on to the next stage (after the last: the signature)"))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize=LEGEND_SIZE,
              frameon=False)
    fig.suptitle(wrap_title(title or _("Where deals drop out: the plan and the run")),
                 x=0.01, ha="left")
    return fig


@in_scenario_language
def advance_chart(result) -> Figure:
    """:func:`plot_advance` of one run's
    :func:`~sim.analysis.plan_vs_run.advance_plan_vs_run`."""
    return plot_advance(advance_plan_vs_run(result))


@in_scenario_language
def every_deal_chart(result) -> Figure:
    """The wrong funnel: every opportunity created up to the end of the run (warm-up
    included), by the stage it is in or where it ended, won and lost alike
    (:func:`sim.analysis.views.distribution` by stage), drawn as
    :func:`~sim.presentation.plots.charts.plot_funnel` draws the real one."""
    fig = plot_funnel(distribution(result, "stage"), currency=result.scenario.currency,
                      title=_("Wrong: every deal ever created, tracked or not"))
    count, amount = fig.axes
    count.set_title(_("Every deal: count"), fontsize=LABEL_SIZE)
    amount.set_title(_("Every deal: amount ({currency})", currency=result.scenario.currency),
                     fontsize=LABEL_SIZE)
    return fig
