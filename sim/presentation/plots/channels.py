"""Lesson 01's figure: leads and won-deal cost by channel, and speed to lead.

Three panels side by side, drawn from plain frames (:func:`plot_channels`) or from one run
(:func:`channels_chart`):

1. each channel's leads and the opportunities they became;
2. each channel's marketing cost per won deal, with its cost per lead written beside it:
   the two rankings need not agree;
3. the share of leads that became opportunities, by how long they waited for a rep's
   first contact (speed to lead).

Labels go through the text catalogue (:mod:`sim.presentation.i18n`); channel names are the
user's and are never translated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analysis.diagnostics.channels import channel_economics
from sim.analysis.leads import BAND_NAMES, speed_to_lead
from sim.presentation.i18n import in_scenario_language
from sim.presentation.i18n import text as _
from sim.presentation.plots.style import (
    NOTE_SIZE,
    OKABE_ITO,
    classroom,
    classroom_figure,
    format_money,
    wrap_title,
)

PULL_COLOR, PUSH_COLOR, LEAD_COLOR = OKABE_ITO[2], OKABE_ITO[5], "#DDDDDD"
"""Inbound ("pull") channels in bluish green, outbound ("push") in vermillion; all leads
in light grey behind the opportunities they became."""


def _note(ax, x, y, words: str) -> None:
    ax.annotate(words, (x, y), xytext=(6, 0), textcoords="offset points", ha="left",
                va="center", fontsize=NOTE_SIZE)


@classroom
def plot_channels(economics: pd.DataFrame, speed: pd.DataFrame, *, currency: str = "USD",
                  title: str | None = None) -> Figure:
    """Leads, opportunities and cost per won deal by channel; share qualified by wait.

    Parameters
    ----------
    economics : DataFrame
        One row per channel (only channels: no ``inbound`` / ``outbound`` / ``total``
        rows), as :func:`sim.analysis.diagnostics.channel_economics` gives: ``channel``,
        ``kind``, ``leads``, ``opportunities``, ``cost_per_lead`` and ``cost_per_win``
        (NaN where a channel won nothing).
    speed : DataFrame
        :func:`sim.analysis.leads.speed_to_lead`: ``band``, ``leads``, ``share``.
    currency : str
        Money unit of the costs.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        Three axes: two bar patches per channel, one per channel, one per band.
    """
    fig, axes = classroom_figure(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.1]})
    left, middle, right = axes[0]
    names = [str(c) for c in economics["channel"]]
    y = np.arange(len(names))
    colors = [PULL_COLOR if k == "inbound" else PUSH_COLOR for k in economics["kind"]]
    leads = economics["leads"].to_numpy(dtype=float)
    opps = economics["opportunities"].to_numpy(dtype=float)
    left.barh(y, leads, height=0.75, color=LEAD_COLOR, edgecolor="black")
    left.barh(y, opps, height=0.75, color=colors, edgecolor="black")
    left.set_yticks(y, names)
    left.set_title(wrap_title(_("Leads and opportunities"), 16), fontsize=NOTE_SIZE + 2)
    per_win = economics["cost_per_win"].to_numpy(dtype=float)
    per_lead = economics["cost_per_lead"].to_numpy(dtype=float)
    middle.barh(y, np.nan_to_num(per_win), height=0.75, color=colors, edgecolor="black")
    widest = np.nanmax(per_win) if np.isfinite(per_win).any() else 1.0
    for i, (w, lead) in enumerate(zip(per_win, per_lead, strict=True)):
        said = format_money(lead) if np.isfinite(lead) else "—"
        _note(middle, w if np.isfinite(w) else 0.0, i,
              _("{amount} a lead", amount=said) if np.isfinite(w)
              else _("no deal won"))
    middle.set_xlim(0, widest * 1.9)
    middle.set_yticks(y, [""] * len(names))
    middle.set_title(wrap_title(_("Cost per won deal ({currency})", currency=currency), 16),
                     fontsize=NOTE_SIZE + 2)
    middle.xaxis.set_major_formatter(lambda v, _pos: format_money(v))
    for ax in (left, middle):
        ax.set_ylim(len(names) - 0.4, -0.6)  # first channel on top
        ax.grid(axis="x")
        ax.set_axisbelow(True)
    bands = [_(b) if b in BAND_NAMES else str(b) for b in speed["band"]]
    share = speed["share"].to_numpy(dtype=float) * 100
    x = np.arange(len(bands))
    right.bar(x, np.nan_to_num(share), color=OKABE_ITO[0], edgecolor="black")
    for i, s in enumerate(share):
        if np.isfinite(s):
            right.annotate(f"{s:.0f}%", (i, s), xytext=(0, 4), textcoords="offset points",
                           ha="center", va="bottom", fontsize=NOTE_SIZE)
    counts = [f"{wrap_title(b, 8)}\n({int(n):,})" for b, n in zip(bands, speed["leads"],
                                                                 strict=True)]
    right.set_xticks(x, counts, fontsize=NOTE_SIZE - 4)
    right.set_ylabel(_("Became opportunities (%)"), fontsize=NOTE_SIZE)
    right.set_ylim(0, max(60.0, np.nanmax(share, initial=0) * 1.2))
    right.set_title(wrap_title(_("Speed to lead: wait for a first contact (leads)"), 24),
                    fontsize=NOTE_SIZE + 2)
    right.grid(axis="y")
    right.set_axisbelow(True)
    fig.legend(handles=[Patch(facecolor=LEAD_COLOR, edgecolor="black", label=_("Leads")),
                        Patch(facecolor=PULL_COLOR, edgecolor="black",
                              label=_("Opportunities: inbound (pull)")),
                        Patch(facecolor=PUSH_COLOR, edgecolor="black",
                              label=_("Opportunities: outbound (push)"))],
               loc="outside lower center", ncols=3)
    fig.suptitle(wrap_title(title or _("Leads by channel: what they cost and how fast "
                                       "they were answered"), 80), x=0.01, ha="left")
    return fig


def channel_rows(economics: pd.DataFrame, scenario) -> pd.DataFrame:
    """The channels' rows of ``scenario``'s channel-economics table (its first rows;
    without the ``inbound``, ``outbound`` and ``total`` rows that follow them)."""
    return economics.iloc[:len(scenario.channels)]


@in_scenario_language
def channels_chart(result, rep_cost_per_hour: float = 0.0) -> Figure:
    """:func:`plot_channels` of one run: its channel economics (reps' prospecting hours
    priced at ``rep_cost_per_hour``) and its speed to lead."""
    economics = channel_rows(channel_economics(result, rep_cost_per_hour), result.scenario)
    return plot_channels(economics, speed_to_lead(result), currency=result.scenario.currency)
