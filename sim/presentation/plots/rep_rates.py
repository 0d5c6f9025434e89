"""Lesson 05's figure: each rep's win rate against the team's, and where luck alone would
put it.

>>> from sim.analysis.classic_limits import win_rate_sd
>>> rates = pd.DataFrame({"decided": [80, 90, 170], "won": [16, 27, 43],
...                       "win_rate": [0.2, 0.3, 43 / 170]},
...                      index=pd.Index(["Rep 1", "Rep 2", "team"], name="rep"))
>>> rates["chance_sd"] = win_rate_sd(rates["decided"], 43 / 170)
>>> len(plot_rep_win_rates(rates).axes)
1
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from sim.presentation.i18n import text as _
from sim.presentation.plots.style import (
    NOTE_SIZE,
    OKABE_ITO,
    classroom,
    classroom_figure,
    wrap_title,
)

LUCK_Z = 1.96
"""A rate lands within this many chance SDs of the true one 95% of the time."""


@classroom
def plot_rep_win_rates(rates: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Each rep's win rate (a dot), the team's (a dashed line), and per row the range in
    which luck alone puts a rate seen over that row's deals 95% of the time, if every deal
    were won at the team's rate (a grey band).

    Parameters
    ----------
    rates : DataFrame
        Indexed by rep, the team's row named ``team``, with ``decided``, ``win_rate`` and
        ``chance_sd``, as :func:`sim.analysis.classic_limits.rep_win_rates` gives.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With one band patch and one dot per row.
    """
    reps = [str(r) for r in rates.index]
    y = np.arange(len(reps))
    rate = rates["win_rate"].to_numpy(dtype=float) * 100
    half = LUCK_Z * rates["chance_sd"].to_numpy(dtype=float) * 100
    team = float(rates.loc["team", "win_rate"]) * 100 if "team" in rates.index else np.nan
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    centre = np.full(len(reps), team if np.isfinite(team) else 0.0)
    half = np.nan_to_num(half)
    band = ax.barh(y, 2 * half, left=centre - half, height=0.6, color="#DDDDDD",
                   edgecolor="#999999", label=_("Where luck alone puts a rate (95%)"))
    (dots,) = ax.plot(np.nan_to_num(rate), y, "o", color=OKABE_ITO[0], markersize=16,
                      label=_("Win rate seen"), linestyle="none")
    handles = [dots, band]
    if np.isfinite(team):
        handles.append(ax.axvline(team, color="black", linestyle="--", linewidth=2.5,
                                  label=_("Team's win rate")))
    for yi, r, n in zip(y, rate, rates["decided"], strict=True):
        if np.isfinite(r):
            ax.annotate(_("{rate}% of {n}", rate=f"{r:.0f}", n=f"{n:,}"), (r, yi),
                        xytext=(14, -4), textcoords="offset points", fontsize=NOTE_SIZE,
                        va="top", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_yticks(y, [_("Team") if r == "team" else r for r in reps])
    for label, rep in zip(ax.get_yticklabels(), reps, strict=True):
        if rep == "team":
            label.set_fontweight("bold")
    ax.set_ylim(len(reps) - 0.4, -0.6)
    high = np.nanmax(np.concatenate([rate, centre + half, [10.0]]))
    ax.set_xlim(0, min(100, high * 1.25))
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(decimals=0))
    ax.grid(axis="x")
    ax.set_xlabel(_("Win rate: won of the deals decided in the period (%)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    ax.set_title(wrap_title(title or _("Each rep's win rate against the team's")))
    return fig
