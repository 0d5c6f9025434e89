"""Lesson 06's figures: the roller-coaster.

- :func:`plot_roller_coaster`: one light figure for the live panel: each rep's Miller
  Heiman levels in a small chart, and the team's bookings per quarter under them. It is
  drawn with a fixed layout (no constrained layout) and fixed date ticks, so that it
  renders in about half the time of the two charts it replaces;
- :func:`plot_prospecting_hours`: one rep's prospecting hours per 4 weeks, a line per way
  of working;
- :func:`plot_bookings_side_by_side`: bookings per quarter, a bar per way of working.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.analysis.levels import LEVEL_COLUMNS
from sim.presentation.i18n import text as _
from sim.presentation.plots.style import (
    DPI,
    FIGSIZE,
    LABEL_SIZE,
    LEVEL_COLORS,
    LEVEL_LABELS,
    LEVEL_STYLES,
    LINE_WIDTH,
    OKABE_ITO,
    TICK_SIZE,
    ClassroomFigure,
    classroom,
    classroom_figure,
    format_money,
    money_axis,
    period_labels,
    wrap_title,
)


def _fixed_figure() -> ClassroomFigure:
    fig = ClassroomFigure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


@classroom
def plot_roller_coaster(stock: pd.DataFrame, bookings: pd.DataFrame, *,
                        currency: str = "USD", title: str | None = None) -> Figure:
    """Each rep's four levels over time (small charts, same scales) over the team's
    bookings per quarter.

    Parameters
    ----------
    stock : DataFrame
        ``date``, ``rep`` and the counts ``above_funnel``, ``in_funnel``, ``best_few``,
        ``orders`` (:func:`sim.analysis.levels.level_stock`).
    bookings : DataFrame
        ``period`` (start dates) and ``bookings`` (:func:`sim.presentation.plots.
        bookings_data` with ``"quarter"``).
    currency : str
        Money unit.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        One line per rep and level, one bar per quarter.
    """
    reps = list(dict.fromkeys(stock["rep"]))
    ncols = max(1, min(4, len(reps)))
    rows = -(-len(reps) // ncols)
    fig = _fixed_figure()
    grid = fig.add_gridspec(rows + 1, ncols, height_ratios=[1] * rows + [max(1, rows)],
                            left=0.1, right=0.99, top=0.8, bottom=0.07, hspace=0.6,
                            wspace=0.12)
    dates = pd.to_datetime(pd.Series(bookings["period"])).reset_index(drop=True)
    ticks = mdates.date2num(dates.to_numpy()) if len(dates) else []
    labels = period_labels(dates, "month") if len(dates) else []
    top = max(1.0, float(stock[LEVEL_COLUMNS].to_numpy(dtype=float).max(initial=0)))
    lines = []
    for i, rep in enumerate(reps):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        mine = stock[stock["rep"] == rep]
        x = mdates.date2num(pd.to_datetime(mine["date"]).to_numpy())
        lines = [ax.plot(x, mine[level].to_numpy(dtype=float), color=LEVEL_COLORS[level],
                         linestyle=LEVEL_STYLES[level], linewidth=LINE_WIDTH * 0.7,
                         label=_(LEVEL_LABELS[level]))[0] for level in LEVEL_COLUMNS]
        ax.set_ylim(0, top * 1.05)
        ax.xaxis.set_major_locator(ticker.FixedLocator(ticks))
        ax.xaxis.set_major_formatter(ticker.FixedFormatter(
            [lab.split("\n")[0] for lab in labels]))
        ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=3, integer=True))
        ax.tick_params(labelsize=TICK_SIZE - 3, width=1.5, length=4,
                       labelleft=i % ncols == 0)
        ax.grid(axis="y")
        ax.set_title(str(rep), fontsize=LABEL_SIZE - 2, pad=6)
    ax = fig.add_subplot(grid[rows, :])
    values = bookings["bookings"].to_numpy(dtype=float)
    x = np.arange(len(values))
    bars = ax.bar(x, values, width=0.6, color=OKABE_ITO[0], edgecolor="black", linewidth=1.5)
    for bar, v in zip(bars, values, strict=True):
        ax.annotate(format_money(v), (bar.get_x() + bar.get_width() / 2, v),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=TICK_SIZE - 2)
    ax.set_xticks(x, [lab.replace("\n", " ") for lab in period_labels(dates, "quarter")]
                  if len(dates) else [])
    ax.set_ylim(0, 1.25 * max(values.max(initial=0), 1))
    money_axis(ax.yaxis, currency)
    ax.tick_params(labelsize=TICK_SIZE - 2, width=1.5, length=4)
    ax.set_title(_("Bookings per quarter"), fontsize=LABEL_SIZE, pad=6)
    fig.legend(lines, [ln.get_label() for ln in lines], loc="upper left", ncols=4,
               fontsize=TICK_SIZE - 2, bbox_to_anchor=(0.09, 0.935))
    fig.text(0.01, 0.985, wrap_title(title or _("Each rep's levels, and the team's bookings"),
                                     width=80),
             fontsize=LABEL_SIZE + 2, fontweight="bold", va="top")
    return fig


@classroom
def plot_prospecting_hours(hours: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Prospecting hours per 4 weeks, one line per column (a way of working, a rep).

    Parameters
    ----------
    hours : DataFrame
        Indexed by the day each 4 weeks start (:func:`sim.analysis.volatility.
        prospecting_hours`' index), one column per line.
    title : str, optional
        Replaces the default title.
    """
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    markers = "osD^v"
    for i, column in enumerate(hours.columns):
        ax.plot(hours.index.to_numpy(dtype=float), hours[column].to_numpy(dtype=float),
                marker=markers[i % len(markers)], markersize=9, color=OKABE_ITO[i % 8],
                label=str(column))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y")
    ax.set_xlabel(_("Day of the results period (start of each 4 weeks)"))
    ax.set_ylabel(_("Prospecting hours"))
    fig.legend(loc="outside lower center", ncols=max(1, len(hours.columns)))
    ax.set_title(wrap_title(title or _("Prospecting hours per 4 weeks")))
    return fig


@classroom
def plot_bookings_side_by_side(bookings: pd.DataFrame, *, currency: str = "USD",
                               title: str | None = None) -> Figure:
    """Bookings per quarter, one bar per column (a way of working) in each quarter.

    Parameters
    ----------
    bookings : DataFrame
        Indexed by the quarters' first days, one column of bookings per way of working
        (as :func:`sim.analysis.volatility.bookings_by_period` gives for each run).
    currency : str
        Money unit.
    title : str, optional
        Replaces the default title.
    """
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    x = np.arange(len(bookings))
    width = 0.8 / max(1, len(bookings.columns))
    hatches = ["", "//", "..", "xx"]
    for i, column in enumerate(bookings.columns):
        ax.bar(x - 0.4 + width * (i + 0.5), bookings[column].to_numpy(dtype=float),
               width=width, color=OKABE_ITO[i % 8], edgecolor="black", linewidth=1.5,
               hatch=hatches[i % len(hatches)], label=str(column))
    dates = pd.Series(pd.to_datetime(bookings.index))
    ax.set_xticks(x, period_labels(dates, "quarter") if len(dates) else [])
    money_axis(ax.yaxis, currency)
    ax.grid(axis="y")
    ax.set_xlabel(_("Quarter"))
    ax.set_ylabel(_("Bookings ({currency})", currency=currency))
    fig.legend(loc="outside lower center", ncols=max(1, len(bookings.columns)))
    ax.set_title(wrap_title(title or _("Bookings per quarter, side by side")))
    return fig
