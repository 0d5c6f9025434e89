"""Figures of experiments: a KPI across a sweep's grid, and a warm-up study.

- :func:`plot_sweep`: one swept field, a line of the KPI's mean with its 95% CI; two, a
  heat map of the mean; more, a line over the first field per combination of the others.
- :func:`plot_warmup`: per measure, the weekly mean over replications, Welch's moving
  average, the settled level's band, the scenario's warm-up and where the curve settles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.sweep import value_text
from sim.presentation.plots.style import (
    FIGSIZE,
    LABEL_SIZE,
    LINE_WIDTH,
    NOTE_SIZE,
    OKABE_ITO,
    classroom,
    classroom_figure,
    format_money,
    money_axis,
    text_color,
    wrap_title,
)

MONEY_KPIS = frozenset({"bookings", "billings", "cash_collected", "avg_deal_size",
                        "receivables_overdue"})
"""KPIs in the scenario's currency (their axes read like ``1.2M USD``)."""

MEASURE_LABELS = {"bookings": "Bookings per week", "won": "Deals won per week",
                  "new_opportunities": "New opportunities per week",
                  "open_deals": "Open deals (tracking) at the week's end",
                  "rep_utilization": "Rep utilisation (busy share)"}


def _fmt(kpi: str, currency: str):
    if kpi in MONEY_KPIS:
        return lambda v: format_money(v, currency)
    return lambda v: "" if not np.isfinite(v) else (f"{v:,.0f}" if abs(v) >= 100
                                                     else f"{v:.3g}")


@classroom
def plot_sweep(summary: pd.DataFrame, kpi: str = "bookings", *,
               fields: Sequence[str] | None = None, currency: str = "USD",
               title: str | None = None) -> Figure:
    """A KPI across a sweep's grid.

    Parameters
    ----------
    summary : DataFrame
        As :func:`sim.experiments.sweep.summarize_sweep` returns (``scenario``, the
        swept fields, ``metric``, ``mean``, ``ci_low``, ``ci_high``), in grid order.
    kpi : str
        Which metric to draw.
    fields : list of str, optional
        The swept fields, slowest first (default: the columns between ``scenario`` and
        ``metric``).
    currency : str
        Money unit of money KPIs.
    title : str, optional
        Replaces the default title.
    """
    if fields is None:
        cols = list(summary.columns)
        fields = cols[cols.index("scenario") + 1: cols.index("metric")]
    rows = summary[summary["metric"] == kpi]
    if rows.empty:
        raise ValueError(f"plot_sweep: kpi {kpi!r} is not in the summary; it has "
                         f"{sorted(set(summary['metric']))}")
    varied = [f for f in fields if rows[f].nunique() > 1] or list(fields[:1])
    fmt = _fmt(kpi, currency)
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    if len(varied) == 2:
        _heat_map(fig, ax, rows, varied, fmt)
        what = f"{kpi} (mean over replications)"
    else:
        _lines(ax, rows, varied, fmt)
        if kpi in MONEY_KPIS:
            money_axis(ax.yaxis, currency)
        ax.set_ylabel(kpi)
        what = f"{kpi}: mean and 95% CI"
    n = int(rows["n"].min()) if "n" in rows else None
    ax.set_title(wrap_title(title or f"{what} across the sweep"
                            + (f", {n} paired replications" if n else "")))
    return fig


def _levels(rows: pd.DataFrame, field: str) -> list:
    return list(dict.fromkeys(rows[field]))


def _lines(ax, rows: pd.DataFrame, varied: list[str], fmt) -> None:
    """A line over the first varied field, one per combination of the others."""
    x_field, others = varied[0], varied[1:]
    xs = _levels(rows, x_field)
    groups = rows.groupby(others, sort=False) if others else [((), rows)]
    for i, (key, sub) in enumerate(groups):
        pos = [xs.index(v) for v in sub[x_field]]
        mean = sub["mean"].to_numpy(dtype=float)
        err = np.vstack([mean - sub["ci_low"].to_numpy(dtype=float),
                         sub["ci_high"].to_numpy(dtype=float) - mean])
        key = key if isinstance(key, tuple) else (key,)
        label = " ".join(f"{f}={value_text(v)}" for f, v in zip(others, key, strict=True))
        ax.errorbar(pos, mean, yerr=np.nan_to_num(err), marker="o", markersize=10,
                    capsize=8, linewidth=LINE_WIDTH, color=OKABE_ITO[i % len(OKABE_ITO)],
                    linestyle=["-", "--", ":", "-."][i % 4], label=label or None)
        if len(pos) <= 8 and not others:
            for p, m in zip(pos, mean, strict=True):
                ax.annotate(fmt(m), (p, m), xytext=(10, 6), textcoords="offset points",
                            fontsize=NOTE_SIZE)
    ax.set_xticks(range(len(xs)), [value_text(v) for v in xs])
    ax.set_xlabel(x_field)
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    if others:
        ax.legend(loc="best")


def _heat_map(fig, ax, rows: pd.DataFrame, varied: list[str], fmt) -> None:
    """The mean in a grid: the first field down, the second across."""
    down, across = (_levels(rows, f) for f in varied)
    grid = np.full((len(down), len(across)), np.nan)
    for _, r in rows.iterrows():
        grid[down.index(r[varied[0]]), across.index(r[varied[1]])] = r["mean"]
    image = ax.imshow(grid, cmap="cividis", aspect="auto")
    fig.colorbar(image, ax=ax, format=lambda v, _: fmt(v))
    ax.set_xticks(range(len(across)), [value_text(v) for v in across])
    ax.set_yticks(range(len(down)), [value_text(v) for v in down])
    ax.set_xlabel(varied[1])
    ax.set_ylabel(varied[0])
    ax.spines[:].set_visible(False)
    if grid.size <= 64:
        finite = grid[np.isfinite(grid)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        for (i, j), v in np.ndenumerate(grid):
            share = (v - low) / (high - low) if high > low else 0.5
            face = image.cmap(share if np.isfinite(share) else 0.5)
            ax.text(j, i, fmt(v), ha="center", va="center", fontsize=NOTE_SIZE,
                    color=text_color(_hex(face)))


def _hex(rgba) -> str:
    return "#" + "".join(f"{int(round(c * 255)):02X}" for c in rgba[:3])


@classroom
def plot_warmup(table: pd.DataFrame, advice: pd.DataFrame, *, warmup_days: float,
                measures: Sequence[str] | None = None, currency: str = "USD",
                title: str | None = None) -> Figure:
    """Weekly means over replications and Welch's moving average, per measure.

    Parameters
    ----------
    table : DataFrame
        As :func:`sim.analysis.warmup.warmup_table` returns.
    advice : DataFrame
        One row per measure, as :func:`sim.analysis.warmup.settling_point` gives.
    warmup_days : float
        The scenario's warm-up (drawn as the results period's start, day 0).
    measures : list of str, optional
        Which measures, one panel each (default: those in ``advice``).
    currency : str
        Money unit of bookings.
    title : str, optional
        Replaces the default title.
    """
    measures = list(advice["measure"]) if measures is None else list(measures)
    advice = advice.set_index("measure")
    fig, axes = classroom_figure(len(measures), 1, sharex=True,
                                 figsize=(FIGSIZE[0], max(FIGSIZE[1], 3.2 * len(measures))))
    for ax, measure in zip(axes[:, 0], measures, strict=True):
        rows = table[table["measure"] == measure]
        x = rows["start_day"].to_numpy(dtype=float)
        ax.plot(x, rows["mean"], color=OKABE_ITO[4], linewidth=1.5, label="weekly mean")
        ax.plot(x, rows["welch"], color=OKABE_ITO[0], label="Welch's moving average")
        a = advice.loc[measure]
        ax.axhspan(a["level"] - a["band"], a["level"] + a["band"], color="#BBBBBB",
                   alpha=0.4, label="settled level's band")
        ax.axvline(0, color="black", linestyle="--", linewidth=2,
                   label=f"results start (warm-up {warmup_days:g} days)")
        if a["start_day"] is not None and np.isfinite(a["start_day"]):
            ax.axvline(a["start_day"], color=OKABE_ITO[5], linestyle=":", linewidth=3,
                       label="settles")
        ax.set_title(MEASURE_LABELS.get(measure, measure), fontsize=LABEL_SIZE)
        if measure in MONEY_KPIS:
            money_axis(ax.yaxis, currency)
        ax.grid(axis="y")
    axes[-1, 0].set_xlabel("Day (days from start date; negative: the warm-up)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    reps = int(table["replications"].min()) if len(table) else 0
    fig.suptitle(wrap_title(title or f"Warm-up: weekly means over {reps} replications, "
                            "and where they settle", 70))
    return fig
