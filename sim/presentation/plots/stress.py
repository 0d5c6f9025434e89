"""The stress test's figure: how a period's bookings may turn out.

:func:`plot_stress` draws the Monte Carlo distribution of the bookings (a histogram of
the draws, as a share of them), with the quota line, P10, P50 and P90, and the weighted
forecast marked; with a win-rate shift, the shifted draws are drawn over it as a step
outline. :func:`stress_chart` draws it from a :class:`sim.crm.stress.StressResult`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sim.presentation.i18n import text as _
from sim.presentation.plots.style import (
    LEGEND_SIZE,
    LINE_WIDTH,
    OKABE_ITO,
    classroom,
    classroom_figure,
    format_money,
    money_axis,
    wrap_title,
)


@classroom
def plot_stress(bookings, *, weighted_forecast: float, p10: float, p50: float, p90: float,
                quota: float | None = None, shifted=None, shift: float = 0.0,
                currency: str = "", title: str | None = None) -> Figure:
    """The distribution of a period's bookings over the Monte Carlo draws.

    Parameters
    ----------
    bookings : array_like of float
        Each draw's bookings.
    weighted_forecast, p10, p50, p90 : float
        The marks: Σ amount × chance, and the 10%, 50% and 90% quantiles.
    quota : float, optional
        The quota line (none or NaN: no line).
    shifted : array_like of float, optional
        The same draws with the win-rate ``shift`` applied.
    currency : str
        Money unit of the axis.
    title : str, optional
        Replaces the default title.
    lang : {"en", "zh"}, optional
        The labels' language (default: the enclosing
        :func:`~sim.presentation.i18n.using` block's).

    Returns
    -------
    Figure
    """
    b = np.asarray(bookings, dtype=float)
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    data = [b] + ([np.asarray(shifted, float)] if shifted is not None else [])
    lo = min(x.min() for x in data) if len(b) else 0.0
    hi = max(x.max() for x in data) if len(b) else 1.0
    if hi <= lo:
        hi = lo + max(abs(lo) * 0.01, 1.0)
    edges = np.linspace(lo, hi, 41)
    ax.hist(b, bins=edges, weights=np.full(len(b), 1 / max(len(b), 1)), color=OKABE_ITO[4],
            edgecolor="white", label=_("Bookings as given"))
    if shifted is not None:
        s = data[1]
        ax.hist(s, bins=edges, weights=np.full(len(s), 1 / max(len(s), 1)), histtype="step",
                color=OKABE_ITO[5], linewidth=LINE_WIDTH,
                label=_("Win rates {shift} points (same draws)", shift=f"{shift * 100:+.0f}"))
    marks = [(p10, "P10", OKABE_ITO[0], ":"), (p50, "P50", OKABE_ITO[0], "-"),
             (p90, "P90", OKABE_ITO[0], ":"),
             (weighted_forecast, _("Weighted forecast"), OKABE_ITO[2], "--")]
    if quota is not None and quota == quota:
        marks.append((quota, _("Quota"), OKABE_ITO[5], "-"))
    for value, label, color, style in marks:
        ax.axvline(value, color=color, linestyle=style, linewidth=LINE_WIDTH,
                   label=f"{label} {format_money(value, currency)}")
    money_axis(ax.xaxis, currency)
    ax.set_xlabel(_("Bookings in the period"))
    ax.set_ylabel(_("Share of the draws"))
    ax.legend(fontsize=LEGEND_SIZE * 0.8, loc="upper left")
    ax.set_title(wrap_title(title or _("What the pipeline may book: {n} draws",
                                       n=f"{len(b):,}")))
    return fig


def stress_chart(result, currency: str = "") -> Figure:
    """:func:`plot_stress` of a :class:`sim.crm.stress.StressResult`."""
    s = result.base
    return plot_stress(result.bookings, weighted_forecast=s.weighted_forecast, p10=s.p10,
                       p50=s.p50, p90=s.p90, quota=result.quota,
                       shifted=result.shifted_bookings, shift=result.shift,
                       currency=currency)
