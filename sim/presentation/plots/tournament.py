"""The tournament's two figures for the debrief: bookings over time per team, and the
roller-coaster of the teams that stopped prospecting.

Each takes a plain frame (as :class:`sim.experiments.tournament.Tournament` holds it)
and returns a :class:`~sim.presentation.plots.style.ClassroomFigure`, labelled in the
language of the enclosing :func:`~sim.presentation.i18n.using` block (or ``lang=``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.presentation.i18n import text as _
from sim.presentation.plots.style import (
    LINE_WIDTH,
    OKABE_ITO,
    classroom,
    classroom_figure,
    money_axis,
    wrap_title,
)

REFERENCE_STYLE = {"color": "black", "linestyle": ":", "linewidth": LINE_WIDTH * 0.8}
"""The reference strategy's line: black and dotted, behind the teams' colours."""

_MARKERS = "osD^vP*X"


def _style(i: int, team: str, reference: str | None) -> dict:
    if team == reference:
        label = team if team == "reference" else _("{team} (reference)", team=team)
        return dict(REFERENCE_STYLE, label=label)
    return {"color": OKABE_ITO[i % len(OKABE_ITO)], "linewidth": LINE_WIDTH,
            "marker": _MARKERS[i % len(_MARKERS)], "markersize": 9, "label": team}


def _teams(frame: pd.DataFrame, order) -> list:
    """The teams to draw, in ``order`` (which fixes each team's colour) or as they come."""
    present = list(dict.fromkeys(frame["team"]))
    if order is None:
        return [(i, t) for i, t in enumerate(present)]
    return [(i, t) for i, t in enumerate(order) if t in present]


def _check(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: the frame lacks the columns {missing}; it has "
                         f"{list(frame.columns)}")


@classroom
def plot_team_bookings(quarterly: pd.DataFrame, *, currency: str = "USD",
                       reference: str | None = None, order=None,
                       title: str | None = None) -> Figure:
    """Each team's bookings per quarter (means over replications), one line per team.

    Parameters
    ----------
    quarterly : DataFrame
        ``team``, ``quarter`` (labels such as ``2026Q1``) and ``bookings``.
    currency : str
        Money unit.
    reference : str, optional
        The team drawn as the reference (black, dotted).
    order : list of str, optional
        The teams in the order that gives each its colour (and the legend's order).
    title : str, optional
        Replaces the default title.
    """
    _check(quarterly, ["team", "quarter", "bookings"], "plot_team_bookings")
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    quarters = list(dict.fromkeys(quarterly["quarter"]))
    x = np.arange(len(quarters))
    for i, team in _teams(quarterly, order):
        rows = quarterly[quarterly["team"] == team]
        values = rows.set_index("quarter")["bookings"].reindex(quarters).to_numpy(dtype=float)
        ax.plot(x, values, **_style(i, team, reference))
    ax.set_xticks(x, quarters)
    money_axis(ax.yaxis, currency)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y")
    ax.set_xlabel(_("Quarter"))
    ax.set_ylabel(_("Bookings ({currency})", currency=currency))
    fig.legend(loc="outside right upper", title=_("Team"))
    ax.set_title(wrap_title(title or _("Bookings per quarter, mean over the replications")))
    return fig


@classroom
def plot_prospecting_swings(swings: pd.DataFrame, *, reference: str | None = None,
                            order=None, title: str | None = None) -> Figure:
    """One rep's prospecting hours per 4 weeks (top) and Above-the-Funnel stock per week
    (bottom), per team: the roller-coaster.

    Parameters
    ----------
    swings : DataFrame
        ``team``, ``series`` (``prospecting_hours`` or ``above_funnel``), ``day`` (days
        from the start date) and ``value``.
    reference : str, optional
        The team drawn as the reference (black, dotted).
    order : list of str, optional
        As for :func:`plot_team_bookings`: the same order gives the same colours.
    title : str, optional
        Replaces the default title.
    """
    _check(swings, ["team", "series", "day", "value"], "plot_prospecting_swings")
    fig, axes = classroom_figure(2, 1, sharex=True)
    panels = (("prospecting_hours", _("Prospecting hours\nper 4 weeks")),
              ("above_funnel", _("Leads Above\nthe Funnel")))
    for ax, (series, label) in zip(axes[:, 0], panels, strict=True):
        rows = swings[swings["series"] == series]
        for i, team in _teams(rows, order):
            sub = rows[rows["team"] == team]
            style = _style(i, team, reference)
            style.pop("marker", None)
            # prospecting per window is a step: the hours of the 4 weeks that start there
            draw = ax.step if series == "prospecting_hours" else ax.plot
            kw = {"where": "post"} if series == "prospecting_hours" else {}
            draw(sub["day"].to_numpy(dtype=float), sub["value"].to_numpy(dtype=float),
                 **style, **kw)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y")
        ax.set_ylabel(label)
    axes[-1, 0].set_xlabel(_("Day of the results period"))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", title=_("Team"))
    fig.suptitle(wrap_title(title or _("The roller-coaster: one rep's prospecting and top of "
                                       "the funnel (first replication)")), x=0.01, ha="left")
    return fig
