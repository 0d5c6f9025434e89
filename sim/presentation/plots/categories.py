"""Lesson 04's figure: what became of each forecast category.

:func:`plot_category_outcomes` draws, for each forecast category the deals' owners set
(commit, best case, pipeline), the share of its amount won inside the period, slipped out
of it (still tracking at its end) and lost, as one stacked bar per category.
:func:`category_outcomes_chart` draws it from one run, over all its whole periods
(:meth:`sim.analysis.forecast.ForecastAccuracy.by_category`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.forecast import accuracy
from sim.presentation.i18n import in_scenario_language
from sim.presentation.i18n import text as _
from sim.presentation.plots.style import (
    LABEL_SIZE,
    NOTE_SIZE,
    OKABE_ITO,
    classroom,
    classroom_figure,
    text_color,
    wrap_title,
)

OUTCOMES = [("won_share", "won in the period", OKABE_ITO[2], ""),
            ("slipped_share", "slipped out of it", OKABE_ITO[1], "//"),
            ("lost_share", "lost", OKABE_ITO[5], "..")]
"""Each outcome's column, legend text, colour and hatch (colour-blind safe, and hatched
so that a black-and-white copy still tells them apart)."""

CATEGORY_ORDER = ("commit", "best_case", "pipeline")
"""The owners' categories, surest first (closed deals are not forecast)."""

CATEGORY_LABELS = {"commit": "Commit", "best_case": "Best case", "pipeline": "Pipeline"}
"""How the bars are labelled (text catalogue keys)."""


@classroom
def plot_category_outcomes(outcomes: pd.DataFrame, *, title: str | None = None) -> Figure:
    """One stacked bar per forecast category: the shares of its amount won, slipped, lost.

    Parameters
    ----------
    outcomes : DataFrame
        One row per category (``category``: ``commit``, ``best_case``, ``pipeline``),
        with ``amount``, ``won_share``, ``slipped_share`` and ``lost_share`` (which add up
        to 1; NaN for a category with no deals). Other rows and columns are ignored.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        Bars from 0% to 100%, the surest category on top; an empty category says so.
    """
    rows = outcomes.set_index("category").reindex(list(CATEGORY_ORDER))
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for column, label, color, hatch in OUTCOMES:
        share = np.nan_to_num(rows[column].to_numpy(dtype=float))
        bars = ax.barh(y, 100 * share, left=100 * left, color=color, edgecolor="black",
                       linewidth=1.2, hatch=hatch, label=_(label), height=0.6)
        for bar, s in zip(bars, share, strict=True):
            if s >= 0.08:  # a label fits in the bar
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                        f"{s:.0%}", ha="center", va="center", fontsize=NOTE_SIZE,
                        color=text_color(color))
        left += share
    for yy, amount in zip(y, rows["amount"].to_numpy(dtype=float), strict=True):
        if not amount > 0:
            ax.text(50, yy, _("no deals in this category"), ha="center", va="center",
                    fontsize=NOTE_SIZE)
    ax.set_yticks(y, [_(CATEGORY_LABELS[c]) for c in CATEGORY_ORDER], fontsize=LABEL_SIZE)
    ax.set_xlim(0, 100)
    ax.set_xlabel(_("Share of the category's amount (%)"))
    fig.legend(loc="outside lower center", ncols=3)
    ax.set_title(wrap_title(title or _("What became of each forecast category")))
    return fig


@in_scenario_language
def category_outcomes_chart(result) -> Figure:
    """:func:`plot_category_outcomes` of a run: the categories its owners had set on each
    whole period's first day, over all those periods."""
    table = accuracy(result).by_category()
    return plot_category_outcomes(table[table["period"] == "overall"])
