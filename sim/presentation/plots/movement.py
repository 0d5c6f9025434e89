"""The movement ("waterfall") chart of a period's pipeline: from the opening amount,
each move up or down, to the closing amount (see :func:`sim.crm.movement.movement`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.crm.movement import movement_of_run
from sim.presentation.i18n import in_scenario_language, label
from sim.presentation.i18n import text as _
from sim.presentation.plots import style
from sim.presentation.plots.charts import _no_data
from sim.rules.calendar import results_periods

_TOTAL, _UP, _DOWN = style.OKABE_ITO[0], style.OKABE_ITO[2], style.OKABE_ITO[5]


@style.classroom
def plot_movement(table: pd.DataFrame, *, currency: str = "USD", period: str | None = None,
                  title: str | None = None) -> Figure:
    """A waterfall of a period's pipeline: Opening and Closing as whole bars, each move
    as a bar floating from the running total (rises green, falls vermillion and
    hatched), labelled with its amount and number of deals.

    Parameters
    ----------
    table : DataFrame
        As :func:`sim.crm.movement.movement` returns it (``movement``, ``deals``,
        ``amount``, ``changes``). An empty table, or one where nothing was in the
        pipeline and nothing moved, draws a "No data" panel.
    currency : str
        Money unit.
    period : str, optional
        The period's name, for the title.
    title : str, optional
        Replaces the default title.
    """
    fig, axes = style.classroom_figure()
    ax = axes[0, 0]
    ax.set_title(style.wrap_title(
        title or (_("How the pipeline of {period} moved: opening, moves, closing",
                    period=period) if period else
                  _("How the pipeline moved: opening, moves, closing"))))
    if table.empty or not (table["changes"].abs().sum() > 0):
        _no_data(ax, "no whole period to show" if table.empty else
                 "no deal was in the period's pipeline or moved through it")
        ax.set_axis_off()
        return fig
    amounts = table["amount"].to_numpy(dtype=float)
    total = np.isin(table["movement"].to_numpy(), ("Opening", "Closing"))
    running = np.cumsum(np.where(total, 0.0, amounts)) + amounts[0]
    bottom = np.where(total, 0.0, running - np.maximum(amounts, 0))
    bottom[0] = 0.0
    height = np.abs(amounts)
    colors = np.where(total, _TOTAL, np.where(amounts >= 0, _UP, _DOWN)).tolist()
    hatches = ["//" if (not t and a < 0) else "" for t, a in zip(total, amounts, strict=True)]
    x = np.arange(len(table))
    ax.bar(x, height, bottom=bottom, width=0.7, color=colors, hatch=hatches,
           edgecolor="black", linewidth=1.5)
    top = bottom + height
    for i, row in enumerate(table.itertuples(index=False)):
        deals = int(row.changes)  # deals moved, or changes of amount
        if row.movement.startswith("Amount"):
            count = _("{n} change" if deals == 1 else "{n} changes", n=deals)
        else:
            count = _("{n} deal" if deals == 1 else "{n} deals", n=deals)
        ax.annotate(f"{style.format_money(row.amount)}\n{count}",
                    (i, top[i]), xytext=(0, 4), textcoords="offset points", ha="center",
                    va="bottom", fontsize=style.NOTE_SIZE - 2)
    ax.set_xticks(x, [label(m).replace(" ", "\n") for m in table["movement"]])
    ax.set_ylabel(_("Pipeline amount ({currency})", currency=currency),
                  fontsize=style.LABEL_SIZE)
    style.money_axis(ax.yaxis, currency)
    ax.set_ylim(bottom=0, top=1.2 * max(float(np.max(top)), 1.0))
    ax.set_xlim(-0.6, len(table) - 0.4)
    ax.grid(axis="y", alpha=0.4)
    ax.set_axisbelow(True)
    fig.legend(handles=[Patch(facecolor=_TOTAL, edgecolor="black", label=_("Pipeline")),
                        Patch(facecolor=_UP, edgecolor="black", label=_("Into it / up")),
                        Patch(facecolor=_DOWN, edgecolor="black", hatch="//",
                              label=_("Out of it / down"))],
               loc="outside lower center", ncols=3)
    return fig


def last_whole_period(result) -> str | None:
    """The last forecast period (``scenario.forecast.period``) that lies wholly inside
    the results period, as ``2026Q3`` or ``2026-09``; None when there is none."""
    sc = result.scenario
    table = results_periods(sc, sc.forecast.period)
    whole = table[table["whole"]]
    return None if whole.empty else str(whole["period"].iloc[-1])


@in_scenario_language
def movement_chart(result, period: str | None = None) -> Figure:
    """:func:`plot_movement` of a run's pipeline in ``period`` (default: the last whole
    forecast period, :func:`last_whole_period`; "No data" when there is none)."""
    period = period or last_whole_period(result)
    if period is None:
        table = pd.DataFrame(columns=["movement", "deals", "amount", "changes"])
    else:
        table = movement_of_run(result, period)
    return plot_movement(table, currency=result.scenario.currency, period=period)
