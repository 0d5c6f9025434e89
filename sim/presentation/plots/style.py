"""The classroom look: legible on a projector, safe for colour-blind eyes.

Sizes for a 16:9 slide, Okabe & Ito's palette, the Miller Heiman level colours, the
figure every chart starts from (:func:`classroom_figure`, a :class:`ClassroomFigure`),
the decorator that builds it with the classroom style (:func:`classroom`), money and
period labels, and PNG output.

Figures are built without :mod:`matplotlib.pyplot`: nothing is registered globally, so
nothing leaks and nothing pops up; a figure is freed when the last reference goes. In
a notebook a figure displays as a PNG on its own (it has ``_repr_png_``).
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim.presentation.i18n import current, using
from sim.presentation.plots.fonts import FONTS, missing_glyphs_quiet

# --- sizes for a projector, the Okabe-Ito colour-blind-safe palette ---------------------

FIGSIZE = (13.33, 7.5)
"""Inches: a 16:9 slide; at :data:`DPI` a 1333 x 750 pixel PNG."""
DPI = 100
TITLE_SIZE = 24
LABEL_SIZE = 20
TICK_SIZE = 17
LEGEND_SIZE = 17
NOTE_SIZE = 16
"""Point sizes; the smallest text on any figure is 14 pt or more."""
LINE_WIDTH = 3.5

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
"""Okabe & Ito's palette (blue, orange, bluish green, reddish purple, sky blue,
vermillion, yellow, black), told apart by people with any common colour blindness."""

LEVEL_LABELS = {"above_funnel": "Above the Funnel", "in_funnel": "In the Funnel",
                "best_few": "Best Few", "orders": "Orders"}
LEVEL_COLORS = {"above_funnel": "#E69F00", "in_funnel": "#0072B2", "best_few": "#CC79A7",
                "orders": "#009E73"}
LEVEL_STYLES = {"above_funnel": "-", "in_funnel": "--", "best_few": "-", "orders": ":"}
"""Line style per level, so that the lines differ in more than colour."""

RC = {
    "font.size": TICK_SIZE,
    "axes.titlesize": TITLE_SIZE,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 14,
    "axes.labelsize": LABEL_SIZE,
    "axes.linewidth": 1.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "xtick.labelsize": TICK_SIZE,
    "ytick.labelsize": TICK_SIZE,
    "legend.fontsize": LEGEND_SIZE,
    "legend.title_fontsize": LEGEND_SIZE,
    "legend.frameon": False,
    "figure.titlesize": TITLE_SIZE,
    "figure.titleweight": "bold",
    "lines.linewidth": LINE_WIDTH,
    "grid.color": "#BBBBBB",
    "grid.linewidth": 1.0,
    "hatch.linewidth": 2.0,
}
"""The matplotlib rcParams every classroom figure is built with."""


def stage_colors(n: int) -> list[str]:
    """One colour per stage, first stage first (the palette repeats beyond eight)."""
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def text_color(face: str) -> str:
    """Black or white, whichever reads better on ``face``."""
    r, g, b = matplotlib.colors.to_rgb(face)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


# --- money -------------------------------------------------------------------------------


def format_money(value: float, currency: str | None = None) -> str:
    """Short money text: ``1.2M USD``, ``350k CNY``, ``0``.

    Parameters
    ----------
    value : float
        An amount in ``currency``.
    currency : str, optional
        Appended after a space (not to zero).
    """
    if value is None or not np.isfinite(value):
        return ""
    a = abs(value)
    text = f"{value:,.0f}"
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div * 0.9995:
            x = value / div
            text = (f"{x:.0f}" if abs(x) >= 99.95 else f"{x:.1f}".removesuffix(".0")) + suffix
            break
    if text in ("0", "-0"):
        return "0"
    return f"{text} {currency}" if currency else text


def money_axis(axis, currency: str) -> None:
    """Ticks of ``axis`` read like ``1.2M USD``."""
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: format_money(v, currency)))
    axis.set_major_locator(ticker.MaxNLocator(nbins=6, min_n_ticks=3))


# --- the figure type and the frame every figure shares ----------------------------------


class ClassroomFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in a notebook.

    When its labels have CJK characters and no CJK font is installed, matplotlib's
    per-glyph warnings are ignored while it draws (the FontWarning said it once).
    """

    def draw(self, renderer) -> None:
        texts = [t.get_text() for t in self.findobj(Text)]
        quiet = missing_glyphs_quiet() if FONTS.lacks_font(texts) else contextlib.nullcontext()
        with quiet:
            super().draw(renderer)

    def _repr_png_(self) -> bytes:
        return to_png_bytes(self, close=False)


def classroom_figure(nrows: int = 1, ncols: int = 1, figsize=FIGSIZE, **kw):
    """A :class:`ClassroomFigure` of a slide's size with a grid of axes.

    Returns the figure and its axes as a 2-D array (``squeeze=False``); ``kw`` go to
    :meth:`matplotlib.figure.Figure.subplots`.
    """
    fig = ClassroomFigure(figsize=figsize, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    for ax in axes.flat:
        # ticks are made lazily at draw time, outside rc_context: store their style
        ax.tick_params(labelsize=TICK_SIZE, width=1.5, length=6)
    return fig, axes


def classroom(build: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build a figure with the classroom style, then check its text has a font.

    The figure speaks the language of the block (:func:`sim.presentation.i18n.using`), or
    ``lang`` ("en" or "zh"), a keyword every decorated ``plot_*`` function takes.
    """

    @functools.wraps(build)
    def wrapper(*args, lang: str | None = None, **kwargs) -> Figure:
        FONTS.setup()  # outside rc_context, which would undo it
        with matplotlib.rc_context(RC), using(lang or current()):
            fig = build(*args, **kwargs)
        FONTS.check([t.get_text() for t in fig.findobj(Text)])
        return fig

    return wrapper


def wrap_title(title: str, width: int = 60) -> str:
    """A title broken into lines that fit the figure's width at the title size."""
    return textwrap.fill(title, width, break_long_words=False)


# --- time and period axes ----------------------------------------------------------------


def time_axis(frame: pd.DataFrame):
    """x values and label: the ``date`` column if present, else ``day``."""
    if "date" in frame.columns:
        return pd.to_datetime(frame["date"]).to_numpy(), "Date"
    return frame["day"].to_numpy(dtype=float), "Day (days from start date)"


def date_axis(ax, maxticks: int = 8) -> None:
    """Concise date ticks on the x axis of ``ax``, at most ``maxticks``."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)
    ax.xaxis.set_major_locator(locator)
    # month names are English words: other languages number the months
    numeric = {} if current() == "en" else {
        "formats": ["%Y", "%m", "%d", "%H:%M", "%H:%M", "%S.%f"],
        "offset_formats": ["", "%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"]}
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, **numeric))


_PERIOD_TEXT = re.compile(r"\d{4}(Q[1-4]|-\d{2})")


def _as_periods(periods) -> pd.Series:
    """The period column as a Series; texts like ``2026Q1`` or ``2026-01`` as Periods."""
    values = pd.Series(periods).reset_index(drop=True)
    if (len(values) and not isinstance(values.dtype, pd.PeriodDtype)
            and not pd.api.types.is_datetime64_any_dtype(values)
            and all(isinstance(v, str) and _PERIOD_TEXT.fullmatch(v) for v in values)):
        quarterly = ["Q" in v for v in values]
        if all(quarterly) or not any(quarterly):
            return pd.Series(pd.PeriodIndex(values, freq="Q" if all(quarterly) else "M"))
    return values


def guess_period(periods: pd.Series) -> str | None:
    """"month" or "quarter" from pandas Periods' frequency or dates' spacing; None for
    labels."""
    values = _as_periods(periods)
    if isinstance(values.dtype, pd.PeriodDtype):
        return "quarter" if values.dtype.freq.freqstr.startswith("Q") else "month"
    if not pd.api.types.is_datetime64_any_dtype(values):
        return None
    gaps = values.diff().dt.days.dropna()
    return "quarter" if len(gaps) and gaps.median() > 45 else "month"


def period_labels(periods: pd.Series, period: str | None) -> list[str]:
    """Tick labels of period starts: ``Jan`` (the year under January and the first
    bar), ``Q1 2026``; texts other than ``2026Q1`` / ``2026-01`` are shown as given."""
    values = _as_periods(periods)
    period = period or guess_period(values)
    if isinstance(values.dtype, pd.PeriodDtype):
        values = values.dt.start_time
    if not pd.api.types.is_datetime64_any_dtype(values):
        return [str(v) for v in values]
    if period == "quarter":
        return [f"Q{d.quarter} {d.year}" for d in values]
    month = "%b" if current() == "en" else "%m"
    return [d.strftime(month) + (f"\n{d.year}" if i == 0 or d.month == 1 else "")
            for i, d in enumerate(values)]


def period_noun(periods: pd.Series, period: str | None) -> str:
    """The x-axis label of a chart per period: ``Month``, ``Quarter`` or ``Period``."""
    labels_period = period or guess_period(periods)
    return {"month": "Month", "quarter": "Quarter"}.get(labels_period or "", "Period")


# --- output ------------------------------------------------------------------------------


def _close(fig: Figure) -> None:
    """Release a figure: pyplot keeps figures it made until closed (ours it never sees)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


def to_png_bytes(fig: Figure, *, dpi: float = DPI, close: bool = True) -> bytes:
    """The figure as PNG bytes (e.g. base64 into an HTML report's ``<img>``).

    ``close`` releases it from pyplot if pyplot made it; the figure stays drawable.
    """
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    finally:
        if close:
            _close(fig)
    return buffer.getvalue()


def save_png(fig: Figure, path: str | Path, *, dpi: float = DPI, close: bool = True) -> Path:
    """Write the figure to ``path`` as a PNG (parent folders are created); returns the path.

    The PNG is written to a temporary file first, so a failed save leaves an earlier
    file at ``path`` as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = to_png_bytes(fig, dpi=dpi, close=close)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
