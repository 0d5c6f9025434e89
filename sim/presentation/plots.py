"""Figures for the classroom: legible on a projector, safe for colour-blind eyes.

Every ``plot_*`` function takes a plain :class:`pandas.DataFrame` (the data to draw,
with the columns its docstring names) and returns a :class:`matplotlib.figure.Figure`.
Every ``*_chart`` function is a thin wrapper that computes that frame from one run's
tables (a :class:`sim.analysis.result.RunResult`) and calls the ``plot_*`` function; the
``*_data`` functions that compute the frames are public too.

Figures are built without :mod:`matplotlib.pyplot`: nothing is registered globally, so
nothing leaks and nothing pops up; a figure is freed when the last reference goes. In
a notebook a figure displays as a PNG on its own (it has ``_repr_png_``). Save one with
:func:`save_png` or embed it in HTML with :func:`to_png_bytes`.

Stage names may be Chinese (or any Unicode text): :func:`setup_fonts` finds an
installed CJK font and adds it to matplotlib's font fallback list. When labels contain
CJK characters and no CJK font is installed, one :class:`FontWarning` per process says
what to install, instead of one matplotlib warning per missing glyph.

Money is in the scenario's currency; money axes read like ``1.2M USD``. Days are days
from the scenario's ``start_date``.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import font_manager, ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

from sim.analysis.levels import LEVEL_COLUMNS, level_stock, time_by_level
from sim.analysis.volatility import bookings_by_period

__all__ = [
    "CJK_FONT_PACKAGES", "ClassroomFigure", "FontWarning", "LEVEL_COLORS", "LEVEL_LABELS",
    "OKABE_ITO", "bookings_chart", "bookings_data", "cash_chart", "forecast_chart",
    "format_money", "funnel_chart", "funnel_data", "has_cjk", "levels_chart",
    "pipeline_chart", "pipeline_data", "plot_bookings", "plot_cash", "plot_forecast",
    "plot_funnel", "plot_levels", "plot_pipeline", "plot_time_by_level", "save_png",
    "setup_fonts", "stage_colors", "time_by_level_chart", "to_png_bytes",
]

# --- look: sizes for a projector, the Okabe-Ito colour-blind-safe palette ---------------

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
_LEVEL_STYLES = {"above_funnel": "-", "in_funnel": "--", "best_few": "-", "orders": ":"}

_RC = {
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


def stage_colors(n: int) -> list[str]:
    """One colour per stage, first stage first (the palette repeats beyond eight)."""
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def _text_color(face: str) -> str:
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


def _money_axis(axis, currency: str) -> None:
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: format_money(v, currency)))
    axis.set_major_locator(ticker.MaxNLocator(nbins=6, min_n_ticks=3))


# --- fonts -------------------------------------------------------------------------------

CJK_FONT_PACKAGES = ("fonts-noto-cjk", "fonts-wqy-zenhei")
"""Debian/Ubuntu packages with a CJK font, either of which is enough."""

_CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR",
    "Noto Sans CJK HK", "Noto Sans SC", "Noto Sans TC", "Source Han Sans SC",
    "Source Han Sans CN", "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "AR PL New Sung",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC",
    "Noto Serif CJK SC", "Source Han Serif SC", "Arial Unicode MS",
)
"""CJK families, most preferred first (sans-serif before serif)."""
_CJK_NAME_HINTS = ("cjk", "wenquanyi", "source han", "ar pl ", "droid sans fallback")
_CJK_FILE_HINTS = ("cjk", "wqy", "wenquanyi", "sourcehan", "source-han", "uming", "ukai",
                   "droidsansfallback", "simhei", "msyh", "pingfang", "hiragino",
                   "gkai00mp", "gbsn00lp")

_CJK_CHARS = re.compile(
    "[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]")

_GLYPH_WARNING = r"Glyph \d+ .*missing from font"

_UNSET = object()
_cjk_font: object = _UNSET  # the CJK family found by setup_fonts (None: none installed)
_warned = False  # the FontWarning is given once per process


class FontWarning(UserWarning):
    """Labels have CJK characters (e.g. Chinese stage names) but no CJK font is installed."""


def _is_cjk_name(name: str) -> bool:
    low = name.lower()
    return name in _CJK_FAMILIES or any(h in low for h in _CJK_NAME_HINTS)


def _installed_cjk_families() -> list[str]:
    names = {f.name for f in font_manager.fontManager.ttflist}
    known = [n for n in _CJK_FAMILIES if n in names]
    return known + sorted(n for n in names if _is_cjk_name(n) and n not in known)


def _find_cjk_font() -> str | None:
    """The best installed CJK font family, or None.

    Matplotlib caches its font list once; a font installed after that (e.g. by
    ``apt-get install fonts-noto-cjk``) is found by scanning the system's font files
    and added to the font manager.
    """
    found = _installed_cjk_families()
    if not found:
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            name = Path(path).name.lower()
            if path not in known and any(h in name for h in _CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # unreadable font file
                    continue
        found = _installed_cjk_families()
    return found[0] if found else None


def setup_fonts() -> str | None:
    """Make CJK text render: add an installed CJK font to matplotlib's font fallback.

    The font is added to ``rcParams["font.sans-serif"]`` (after DejaVu Sans) and
    appended to ``rcParams["font.family"]``, along which matplotlib falls back glyph by
    glyph: Latin text keeps the first font (DejaVu Sans by default), and the glyphs it
    lacks come from the CJK font. Idempotent and cheap after the first call (the search
    runs once per process; the rcParams entries are re-added if something reset them).

    Returns
    -------
    str or None
        The CJK font family used, or None when none is installed.
    """
    global _cjk_font
    if _cjk_font is _UNSET:
        _cjk_font = _find_cjk_font()
        if _cjk_font is not None:
            logging.getLogger("matplotlib.font_manager").addFilter(_quiet_weight_substitution)
    name = _cjk_font
    if name is not None:
        sans = list(matplotlib.rcParams["font.sans-serif"])
        if name not in sans:
            sans.insert(1 if sans and sans[0] == "DejaVu Sans" else 0, name)
            matplotlib.rcParams["font.sans-serif"] = sans
        # matplotlib falls back glyph by glyph along font.family (not within a generic
        # family's list): the CJK font must be a family of its own after the first
        family = matplotlib.rcParams["font.family"]
        family = [family] if isinstance(family, str) else list(family)
        if name not in family:
            matplotlib.rcParams["font.family"] = [*family, name]
    return name


def _quiet_weight_substitution(record: logging.LogRecord) -> bool:
    """Drop matplotlib's log line about the CJK fallback font's weight (e.g. WenQuanYi Zen
    Hei has only a medium weight): a cosmetic substitution the reader cannot act on."""
    return not (record.getMessage().startswith("findfont: Failed to find font weight")
                and _cjk_font is not None and str(_cjk_font) in record.getMessage())


def has_cjk(*texts: str) -> bool:
    """Whether any of ``texts`` contains Chinese, Japanese or Korean characters."""
    return any(_CJK_CHARS.search(t or "") for t in texts)


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this module."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    return level


def _check_fonts(texts: Sequence[str]) -> None:
    """One FontWarning per process when CJK text has no font; no per-glyph warnings."""
    global _warned
    if not has_cjk(*texts) or setup_fonts() is not None:
        return
    # matplotlib warns once per missing glyph when the figure is drawn, which may be
    # later (a notebook displays it after the cell): silence those for the process
    warnings.filterwarnings("ignore", message=_GLYPH_WARNING, category=UserWarning)
    if not _warned:
        _warned = True
        warnings.warn(FontWarning(
            "Labels contain Chinese/Japanese/Korean characters but no CJK font is "
            "installed, so they will show as empty boxes. Install one, e.g. on Debian "
            f"or Ubuntu `apt-get install {CJK_FONT_PACKAGES[0]}` (or "
            f"{CJK_FONT_PACKAGES[1]}), or any Noto Sans CJK / Source Han Sans font, "
            "then restart Python."), stacklevel=_caller_stacklevel())


# --- the figure type and the frame every figure shares ----------------------------------


class ClassroomFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in a notebook."""

    def _repr_png_(self) -> bytes:
        return to_png_bytes(self, close=False)


def _figure(nrows: int = 1, ncols: int = 1, figsize=FIGSIZE, **kw):
    fig = ClassroomFigure(figsize=figsize, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    for ax in axes.flat:
        # ticks are made lazily at draw time, outside rc_context: store their style
        ax.tick_params(labelsize=TICK_SIZE, width=1.5, length=6)
    return fig, axes


def _classroom(build: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build a figure with the classroom style, then check its text has a font."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs) -> Figure:
        setup_fonts()  # outside rc_context, which would undo it
        with matplotlib.rc_context(_RC):
            fig = build(*args, **kwargs)
        _check_fonts([t.get_text() for t in fig.findobj(Text)])
        return fig

    return wrapper


def _wrap(title: str, width: int = 60) -> str:
    """A title broken into lines that fit the figure's width at the title size."""
    return textwrap.fill(title, width, break_long_words=False)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {list(columns)}; missing: {missing}")


def _time_axis(frame: pd.DataFrame):
    """x values and label: the ``date`` column if present, else ``day``."""
    if "date" in frame.columns:
        return pd.to_datetime(frame["date"]).to_numpy(), "Date"
    return frame["day"].to_numpy(dtype=float), "Day (days from start date)"


def _date_axis(ax, maxticks: int = 8) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


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


def _guess_period(periods: pd.Series) -> str | None:
    """"month" or "quarter" from pandas Periods' frequency or dates' spacing; None for
    labels."""
    values = _as_periods(periods)
    if isinstance(values.dtype, pd.PeriodDtype):
        return "quarter" if values.dtype.freq.freqstr.startswith("Q") else "month"
    if not pd.api.types.is_datetime64_any_dtype(values):
        return None
    gaps = values.diff().dt.days.dropna()
    return "quarter" if len(gaps) and gaps.median() > 45 else "month"


def _period_labels(periods: pd.Series, period: str | None) -> list[str]:
    """Tick labels of period starts: ``Jan`` (the year under January and the first
    bar), ``Q1 2026``; texts other than ``2026Q1`` / ``2026-01`` are shown as given."""
    values = _as_periods(periods)
    period = period or _guess_period(values)
    if isinstance(values.dtype, pd.PeriodDtype):
        values = values.dt.start_time
    if not pd.api.types.is_datetime64_any_dtype(values):
        return [str(v) for v in values]
    if period == "quarter":
        return [f"Q{d.quarter} {d.year}" for d in values]
    return [d.strftime("%b") + (f"\n{d.year}" if i == 0 or d.month == 1 else "")
            for i, d in enumerate(values)]


def _period_noun(labels_period: str | None) -> str:
    return {"month": "Month", "quarter": "Quarter"}.get(labels_period or "", "Period")


def _bar_labels(ax, bars, values, fmt: Callable[[float], str]) -> None:
    for bar, v in zip(bars, values, strict=True):
        if not np.isfinite(v):
            continue
        ax.annotate(fmt(v), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                    fontsize=NOTE_SIZE)


# --- 1. the funnel ----------------------------------------------------------------------


@_classroom
def plot_funnel(funnel: pd.DataFrame, *, measure: str = "both", currency: str = "USD",
                as_of: str | None = None, title: str | None = None) -> Figure:
    """The funnel of open deals: one centred horizontal bar per stage, first stage on top.

    Parameters
    ----------
    funnel : DataFrame
        One row per stage: ``stage`` (name), ``count`` (number of *tracking* deals in
        it), ``amount`` (their total amount, in ``currency``); optional ``stage_index``
        gives the order (else the row order). Every stage should have a row, with zeros.
    measure : {"both", "count", "amount"}
        Both funnels side by side, or one.
    currency : str
        Money unit of ``amount``.
    as_of : str, optional
        When the funnel was taken, for the title (e.g. ``"on 31 Dec 2026"``).
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With one bar patch per stage and funnel.
    """
    if measure not in ("both", "count", "amount"):
        raise ValueError(f"measure must be 'both', 'count' or 'amount', not {measure!r}")
    _require(funnel, ["stage", *(["count"] if measure != "amount" else []),
                      *(["amount"] if measure != "count" else [])], "plot_funnel")
    if "stage_index" in funnel.columns:
        funnel = funnel.sort_values("stage_index", kind="stable")
    measures = ["count", "amount"] if measure == "both" else [measure]
    fig, axes = _figure(1, len(measures), sharey=True)
    stages = [str(s) for s in funnel["stage"]]
    colors = stage_colors(len(stages))
    y = np.arange(len(stages))
    for ax, m in zip(axes[0], measures, strict=True):
        values = funnel[m].to_numpy(dtype=float)
        widest = np.nanmax(values) if len(values) and np.nanmax(values) > 0 else 1.0
        # centred bars: a funnel's silhouette, widest where most deals are
        bars = ax.barh(y, values, left=-values / 2, height=0.8, color=colors,
                       edgecolor="black", linewidth=1.5)
        for bar, v, c in zip(bars, values, colors, strict=True):
            text = f"{v:.0f}" if m == "count" else format_money(v, currency)
            if v >= 0.3 * widest:
                ax.text(0, bar.get_y() + bar.get_height() / 2, text, ha="center",
                        va="center", color=_text_color(c), fontsize=LABEL_SIZE,
                        fontweight="bold")
            else:
                ax.text(v / 2 + 0.02 * widest, bar.get_y() + bar.get_height() / 2, text,
                        ha="left", va="center", fontsize=LABEL_SIZE, fontweight="bold")
        ax.set_xlim(-0.55 * widest, 0.55 * widest)
        ax.set_ylim(len(stages) - 0.4, -0.6)  # first stage on top
        ax.set_yticks(y, stages)
        ax.tick_params(axis="y", length=0, labelsize=LABEL_SIZE)
        ax.xaxis.set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_title("Open deals: count" if m == "count"
                     else f"Open deals: amount ({currency})", fontsize=LABEL_SIZE)
    fig.suptitle(_wrap(title or "Sales funnel: open deals by stage"
                       + (f" {as_of}" if as_of else "")), x=0.01, ha="left")
    return fig


def funnel_data(result, day: float | None = None) -> pd.DataFrame:
    """The tracking deals per stage on ``day`` (default: the end of the run), from
    :func:`sim.analysis.views.funnel`: ``stage_index``, ``stage``, ``count``, ``amount``."""
    from sim.analysis.views import funnel

    return funnel(result, on=day)[["stage_index", "stage", "count", "amount"]]


def _end_date(sc) -> str:
    end = pd.Timestamp(sc.start_date) + pd.Timedelta(days=sc.horizon_days - 1)
    return f"{end.day} {end:%b %Y}"


def funnel_chart(result, on=None, measure: str = "both") -> Figure:
    """:func:`plot_funnel` of :func:`funnel_data` on ``on`` (a date such as "2026-06-30", or
    days from ``start_date``; the end of the run by default)."""
    from sim.analysis.views import as_of_day

    sc = result.scenario
    day = None if on is None else as_of_day(result, on)
    when = (f"on {_end_date(sc)} (end of the run)" if day is None else
            f"on {(pd.Timestamp(sc.start_date) + pd.Timedelta(days=day)):%d %b %Y}")
    return plot_funnel(funnel_data(result, day), measure=measure, currency=sc.currency,
                       as_of=when)


# --- 2. the pipeline over time ------------------------------------------------------------


def pipeline_data(result, step_days: float = 7.0,
                  days: Sequence[float] | None = None) -> pd.DataFrame:
    """Tracking deals per stage at regular times of the results period.

    Returns a long frame: ``day``, ``date``, ``stage_index``, ``stage``, ``count``,
    ``amount`` (one row per time and stage, zeros included). A deal is in a stage from
    the day it entered it until it entered the next one or closed.

    Parameters
    ----------
    result : RunResult
        One run.
    step_days : float
        Days between two snapshots, from day 0.
    days : sequence of float, optional
        The snapshot days instead.
    """
    sc = result.scenario
    t = (np.arange(0.0, sc.horizon_days, step_days) if days is None
         else np.asarray(days, dtype=float))
    hist = result.stage_history
    opps = result.opportunities.set_index("opportunity_id")
    entered = hist["entered_day"].to_numpy(dtype=float)
    next_entry = hist.groupby("opportunity_id")["entered_day"].shift(-1)
    closed = hist["opportunity_id"].map(opps["closed_day"])
    ends = next_entry.fillna(closed).fillna(np.inf).to_numpy(dtype=float)
    active = (entered[:, None] <= t) & (t < ends[:, None])
    amount = hist["opportunity_id"].map(opps["amount"]).to_numpy(dtype=float)
    stage = hist["stage_index"].to_numpy(dtype=int)
    n = len(sc.stages)
    count = np.zeros((len(t), n))
    total = np.zeros((len(t), n))
    for k in range(n):
        rows = active[stage == k]
        count[:, k] = rows.sum(axis=0)
        total[:, k] = (rows * amount[stage == k][:, None]).sum(axis=0)
    frame = pd.DataFrame({
        "day": np.repeat(t, n),
        "stage_index": np.tile(np.arange(n), len(t)),
        "stage": np.tile(np.asarray([s.name for s in sc.stages], dtype=object), len(t)),
        "count": count.reshape(-1).astype(int),
        "amount": total.reshape(-1),
    })
    frame.insert(1, "date", pd.Timestamp(sc.start_date) + pd.to_timedelta(frame["day"], "D"))
    return frame


@_classroom
def plot_pipeline(pipeline: pd.DataFrame, *, measure: str = "count", currency: str = "USD",
                  title: str | None = None) -> Figure:
    """The pipeline by stage over time, as stacked areas (the first stage on top).

    Parameters
    ----------
    pipeline : DataFrame
        Long: one row per time and stage, with ``date`` (or ``day``), ``stage``,
        ``count`` (tracking deals) and ``amount`` (their total, in ``currency``);
        optional ``stage_index`` gives the stage order (else first appearance).
    measure : {"count", "amount"}
        Number of deals or their amount.
    currency : str
        Money unit of ``amount``.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With one filled area per stage.
    """
    if measure not in ("count", "amount"):
        raise ValueError(f"measure must be 'count' or 'amount', not {measure!r}")
    xcol = "date" if "date" in pipeline.columns else "day"
    _require(pipeline, [xcol, "stage", measure], "plot_pipeline")
    order = (pipeline.sort_values("stage_index", kind="stable") if "stage_index"
             in pipeline.columns else pipeline)["stage"].drop_duplicates().tolist()
    wide = pipeline.pivot_table(index=xcol, columns="stage", values=measure, aggfunc="sum",
                                fill_value=0).reindex(columns=order, fill_value=0)
    x, xlabel = _time_axis(wide.reset_index())
    fig, axes = _figure()
    ax = axes[0, 0]
    colors = stage_colors(len(order))
    # the last stage at the bottom, so the stack reads top-down like the funnel
    polys = ax.stackplot(x, *[wide[s].to_numpy(dtype=float) for s in reversed(order)],
                         colors=list(reversed(colors)), labels=[str(s) for s in
                                                                reversed(order)],
                         edgecolor="white", linewidth=1.5, alpha=0.95)
    handles = list(reversed(polys))
    fig.legend(handles, [str(s) for s in order], title="Stage", loc="outside right upper")
    if xcol == "date":
        _date_axis(ax)
    ax.set_xlabel(xlabel)
    if len(x) > 1:
        ax.set_xlim(x.min(), x.max())
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    if measure == "amount":
        _money_axis(ax.yaxis, currency)
        ax.set_ylabel(f"Amount of open deals ({currency})")
    else:
        ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=6))
        ax.set_ylabel("Number of open deals")
    noun = "number" if measure == "count" else "amount"
    ax.set_title(_wrap(title or f"Pipeline by stage: {noun} of open deals"))
    return fig


def pipeline_chart(result, measure: str = "count", step_days: float = 7.0) -> Figure:
    """:func:`plot_pipeline` of :func:`pipeline_data` (weekly snapshots)."""
    return plot_pipeline(pipeline_data(result, step_days), measure=measure,
                         currency=result.scenario.currency)


# --- 3. Miller Heiman levels ------------------------------------------------------------


def _level_lines(ax, frame: pd.DataFrame, width: float = LINE_WIDTH,
                 maxticks: int = 8) -> list:
    x, _ = _time_axis(frame)
    lines = []
    for level in LEVEL_COLUMNS:
        (line,) = ax.plot(x, frame[level].to_numpy(dtype=float), color=LEVEL_COLORS[level],
                          linestyle=_LEVEL_STYLES[level], linewidth=width,
                          label=LEVEL_LABELS[level])
        lines.append(line)
    if "date" in frame.columns:
        _date_axis(ax, maxticks)
    ax.grid(axis="y")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=5))
    return lines


@_classroom
def plot_levels(stock: pd.DataFrame, *, by_rep: bool = False,
                title: str | None = None) -> Figure:
    """Miller Heiman level stocks over time: the team's, or one small panel per rep.

    Parameters
    ----------
    stock : DataFrame
        ``date`` (or ``day``) and the counts ``above_funnel``, ``in_funnel``,
        ``best_few``, ``orders``; with a ``rep`` column (as from
        :func:`sim.analysis.levels.level_stock`) the team view sums the reps.
    by_rep : bool
        One panel per rep (same scales) instead of the team's totals.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With one line per level (per panel).
    """
    xcol = "date" if "date" in stock.columns else "day"
    _require(stock, [xcol, *LEVEL_COLUMNS], "plot_levels")
    if by_rep:
        _require(stock, ["rep"], "plot_levels(by_rep=True)")
        reps = list(dict.fromkeys(stock["rep"]))
        ncols = min(3, len(reps))
        nrows = -(-len(reps) // ncols)
        fig, axes = _figure(nrows, ncols, sharex=True, sharey=True)
        for ax, rep in zip(axes.flat, reps, strict=False):
            # few ticks: neighbouring panels' labels must not run into each other
            lines = _level_lines(ax, stock[stock["rep"] == rep], width=LINE_WIDTH * 0.8,
                                 maxticks=4)
            ax.set_title(str(rep), fontsize=LABEL_SIZE)
        for i, ax in enumerate(axes.flat[len(reps):], start=len(reps)):
            ax.set_visible(False)
            # the panel above an empty slot is the bottom of its column: it shows dates
            axes.flat[i - ncols].xaxis.set_tick_params(labelbottom=True)
        fig.supylabel("Number of leads and deals", fontsize=LABEL_SIZE)
        fig.legend(lines, [ln.get_label() for ln in lines], loc="outside lower center",
                   ncols=4)
        fig.suptitle(_wrap(title or "Miller Heiman levels per rep"), x=0.01, ha="left")
        return fig
    team = (stock.groupby(xcol, as_index=False)[LEVEL_COLUMNS].sum()
            if "rep" in stock.columns else stock)
    fig, axes = _figure()
    ax = axes[0, 0]
    lines = _level_lines(ax, team)
    fig.legend(lines, [ln.get_label() for ln in lines], loc="outside right upper",
              title="Level")
    ax.set_xlabel(_time_axis(team)[1])
    ax.set_ylabel("Number of leads and deals")
    ax.set_title(_wrap(title or "Miller Heiman levels: the team's stock over time"))
    return fig


def levels_chart(result, by_rep: bool = False, step_days: float = 7.0) -> Figure:
    """:func:`plot_levels` of :func:`sim.analysis.levels.level_stock` (weekly)."""
    return plot_levels(level_stock(result, step_days), by_rep=by_rep)


# --- 4. bookings per period -------------------------------------------------------------


@_classroom
def plot_bookings(bookings: pd.DataFrame, *, currency: str = "USD",
                  quota: float | None = None, period: str | None = None,
                  title: str | None = None) -> Figure:
    """Bookings (won amounts) per month or quarter, with an optional quota line.

    Parameters
    ----------
    bookings : DataFrame
        ``period`` (period start dates, pandas Periods, or labels) and ``bookings`` (in
        ``currency``); an optional ``quota`` column gives a quota per period.
    currency : str
        Money unit.
    quota : float, optional
        One quota for every period (ignored when there is a ``quota`` column). With a
        quota, bars that reach it are blue and those below it orange and hatched.
    period : {"month", "quarter"}, optional
        How to label dates (guessed from their spacing when not given).
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With one bar per period.
    """
    _require(bookings, ["period", "bookings"], "plot_bookings")
    values = bookings["bookings"].to_numpy(dtype=float)
    if "quota" in bookings.columns:
        quotas = bookings["quota"].to_numpy(dtype=float)
    elif quota:
        quotas = np.full(len(values), float(quota))
    else:
        quotas = None
    labels = _period_labels(bookings["period"], period)
    x = np.arange(len(values))
    fig, axes = _figure()
    ax = axes[0, 0]
    if len(values) == 0:  # a run shorter than one whole period
        quotas = None
        ax.text(0.5, 0.5, "No whole period in the run yet", ha="center", va="center",
                transform=ax.transAxes, fontsize=LABEL_SIZE)
    if quotas is None:
        colors, hatches = [OKABE_ITO[0]] * len(values), [""] * len(values)
    else:
        met = values >= quotas
        colors = np.where(met, OKABE_ITO[0], OKABE_ITO[1]).tolist()
        hatches = ["" if m else "//" for m in met]
    bars = ax.bar(x, values, width=0.7, color=colors, edgecolor="black", linewidth=1.5,
                  hatch=hatches)
    if len(values) <= 16:
        _bar_labels(ax, bars, values, format_money)
    handles = []
    if quotas is not None:
        (line,) = ax.step(np.r_[x - 0.5, x[-1:] + 0.5], np.r_[quotas, quotas[-1:]],
                          where="post", color="black", linestyle="--", linewidth=3,
                          label="Quota" + (f" ({format_money(quotas[0], currency)})"
                                           if np.all(quotas == quotas[0]) else ""))
        handles = [line]
        if met.any():
            handles.append(Patch(facecolor=OKABE_ITO[0], edgecolor="black", label="Quota met"))
        if not met.all():
            handles.append(Patch(facecolor=OKABE_ITO[1], edgecolor="black", hatch="//",
                                 label="Below quota"))
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.6, len(values) - 0.4)
    _money_axis(ax.yaxis, currency)
    ax.set_ylim(bottom=0, top=1.12 * max(np.nanmax(values, initial=0),
                                         np.nanmax(quotas, initial=0)
                                         if quotas is not None else 0, 1))
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    noun = _period_noun(period or _guess_period(bookings["period"]))
    ax.set_xlabel(noun)
    ax.set_ylabel(f"Bookings ({currency})")
    ax.set_title(_wrap(title or f"Bookings per {noun.lower()}: amount of deals won"))
    return fig


def bookings_data(result, period: str = "month") -> pd.DataFrame:
    """Team bookings per whole month or quarter: ``period`` (start date), ``bookings``."""
    table = bookings_by_period(result, period)
    return pd.DataFrame({"period": table.index, "bookings": table["team"].to_numpy()})


def bookings_chart(result, period: str = "month", quota: float | None = None) -> Figure:
    """:func:`plot_bookings` of :func:`bookings_data`.

    The quota defaults to the scenario's ``forecast.quota_per_period`` when the periods
    match (and it is set).
    """
    sc = result.scenario
    if quota is None and sc.forecast.period == period and sc.forecast.quota_per_period > 0:
        quota = sc.forecast.quota_per_period
    return plot_bookings(bookings_data(result, period), currency=sc.currency, quota=quota,
                         period=period)


# --- 5. forecast against actual ---------------------------------------------------------


@_classroom
def plot_forecast(forecast: pd.DataFrame, *, currency: str = "USD",
                  period: str | None = None, title: str | None = None) -> Figure:
    """Per period: the forecast made at the period's start next to the actual bookings.

    Parameters
    ----------
    forecast : DataFrame
        ``period`` (start dates, Periods or labels), ``forecast`` and ``actual`` (in
        ``currency``; actual NaN for a period not yet closed); optional
        ``forecast_low`` and ``forecast_high`` draw the forecast's range as whiskers,
        and an optional ``quota`` (NaN or 0 = none) a dashed line per period. Other
        columns are ignored (so :func:`sim.analysis.forecast.forecast_table` can be passed).
    currency : str
        Money unit.
    period : {"month", "quarter"}, optional
        How to label dates (guessed when not given).
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With two bars per period (forecast, actual).
    """
    _require(forecast, ["period", "forecast", "actual"], "plot_forecast")
    fc = forecast["forecast"].to_numpy(dtype=float)
    actual = forecast["actual"].to_numpy(dtype=float)
    x = np.arange(len(fc))
    fig, axes = _figure()
    ax = axes[0, 0]
    w = 0.38
    ax.bar(x - w / 2, fc, width=w, color=OKABE_ITO[1], edgecolor="black",
                   linewidth=1.5, hatch="//", label="Forecast at the period's start")
    abars = ax.bar(x + w / 2, np.nan_to_num(actual), width=w, color=OKABE_ITO[0],
                   edgecolor="black", linewidth=1.5, label="Actual bookings")
    top = np.nanmax(np.r_[fc, actual, 1.0])
    if {"forecast_low", "forecast_high"} <= set(forecast.columns):
        low = forecast["forecast_low"].to_numpy(dtype=float)
        high = forecast["forecast_high"].to_numpy(dtype=float)
        ax.errorbar(x - w / 2, fc, yerr=[np.clip(fc - low, 0, None), np.clip(high - fc, 0, None)],
                    fmt="none", ecolor="black", elinewidth=3, capsize=10, capthick=3,
                    label="Forecast range")
        top = max(top, np.nanmax(np.r_[high, 1.0]))
    quota = (forecast["quota"].to_numpy(dtype=float) if "quota" in forecast.columns
             else np.full(len(fc), np.nan))
    if np.nansum(quota) > 0:
        ax.step(np.r_[x - 0.5, x[-1:] + 0.5], np.r_[quota, quota[-1:]], where="post",
                color="black", linestyle="--", linewidth=3, label="Quota")
        top = max(top, np.nanmax(quota))
    if len(fc) <= 12:
        _bar_labels(ax, abars, actual, format_money)
    for i in np.flatnonzero(np.isnan(actual)):
        ax.text(x[i] + w / 2, 0.02 * top, "not\nclosed", ha="center", va="bottom",
                fontsize=NOTE_SIZE)
    ax.set_xticks(x, _period_labels(forecast["period"], period))
    _money_axis(ax.yaxis, currency)
    ax.set_ylim(0, 1.15 * top)
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=4)
    noun = _period_noun(period or _guess_period(forecast["period"]))
    ax.set_xlabel(noun)
    ax.set_ylabel(f"Bookings ({currency})")
    ax.set_title(_wrap(title or f"Forecast against actual bookings per {noun.lower()}"))
    return fig


def forecast_chart(result) -> Figure:
    """:func:`plot_forecast` of the manager's forecast (:func:`sim.analysis.forecast.forecast_table`),
    made at each period's start, against the actual bookings."""
    from sim.analysis.forecast import forecast_table

    sc = result.scenario
    return plot_forecast(forecast_table(result), currency=sc.currency,
                         period=sc.forecast.period)


# --- 6. rep time by level ---------------------------------------------------------------


def _time_shares(time: pd.DataFrame) -> pd.DataFrame:
    if isinstance(time.columns, pd.MultiIndex):  # sim.analysis.levels.time_by_level's output
        time = time["hours"]
    if "rep" not in time.columns:
        time = time.rename_axis("rep").reset_index()
    _require(time, ["rep", *LEVEL_COLUMNS], "plot_time_by_level")
    hours = time.set_index("rep")[LEVEL_COLUMNS].astype(float)
    total = hours.sum(axis=1)
    return hours.div(total.where(total > 0, 1.0), axis=0)


@_classroom
def plot_time_by_level(time: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Where each rep's hours went: one stacked horizontal bar per rep, in shares.

    Parameters
    ----------
    time : DataFrame
        ``rep`` and the hours (or shares) ``above_funnel``, ``in_funnel``,
        ``best_few``, ``orders``, one row per rep (a ``team`` row is drawn like a rep);
        or the output of :func:`sim.analysis.levels.time_by_level` (its hours are used). Each
        row is scaled to shares of its total.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With one bar patch per rep and level.
    """
    shares = _time_shares(time)
    reps = [str(r) for r in shares.index]
    y = np.arange(len(reps))
    fig, axes = _figure()
    ax = axes[0, 0]
    left = np.zeros(len(reps))
    for level in LEVEL_COLUMNS:
        s = shares[level].to_numpy() * 100
        color = LEVEL_COLORS[level]
        bars = ax.barh(y, s, left=left, height=0.7, color=color, edgecolor="white",
                       linewidth=2, label=LEVEL_LABELS[level])
        for bar, v in zip(bars, s, strict=True):
            if v >= 7:
                ax.text(bar.get_x() + v / 2, bar.get_y() + bar.get_height() / 2,
                        f"{v:.0f}%", ha="center", va="center", color=_text_color(color),
                        fontsize=NOTE_SIZE, fontweight="bold")
        left += s
    ax.set_yticks(y, [r.capitalize() if r == "team" else r for r in reps])
    for label, rep in zip(ax.get_yticklabels(), reps, strict=True):
        if rep == "team":
            label.set_fontweight("bold")
    ax.set_ylim(len(reps) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(decimals=0))
    ax.set_xlabel("Share of working hours (%)")
    fig.legend(loc="outside lower center", ncols=4)
    ax.set_title(_wrap(title or "Where the reps' time went, by Miller Heiman level"))
    return fig


def time_by_level_chart(result) -> Figure:
    """:func:`plot_time_by_level` of :func:`sim.analysis.levels.time_by_level` (reps and team)."""
    return plot_time_by_level(time_by_level(result))


# --- 7. bookings, billings and cash ------------------------------------------------------

_CASH_SERIES = [("bookings", "Bookings (deals won)", OKABE_ITO[0], "", "-", "o"),
                ("billings", "Billings (invoiced)", OKABE_ITO[1], "//", "--", "s"),
                ("cash", "Cash (payments received)", OKABE_ITO[2], "..", ":", "D")]


@_classroom
def plot_cash(cash: pd.DataFrame, *, currency: str = "USD", kind: str = "bars",
              period: str | None = None, title: str | None = None) -> Figure:
    """Bookings, billings and cash per period: how far cash lags the wins.

    Parameters
    ----------
    cash : DataFrame
        ``period`` (start dates, Periods or labels), ``bookings``, ``billings`` and
        ``cash`` (in ``currency``).
    currency : str
        Money unit.
    kind : {"bars", "lines"}
        Three bars per period, or three lines.
    period : {"month", "quarter"}, optional
        How to label dates (guessed when not given).
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Figure
        With three bars per period (kind "bars") or three lines.
    """
    if kind not in ("bars", "lines"):
        raise ValueError(f"kind must be 'bars' or 'lines', not {kind!r}")
    _require(cash, ["period", *(s[0] for s in _CASH_SERIES)], "plot_cash")
    x = np.arange(len(cash))
    fig, axes = _figure()
    ax = axes[0, 0]
    w = 0.27
    for i, (col, label, color, hatch, style, marker) in enumerate(_CASH_SERIES):
        v = cash[col].to_numpy(dtype=float)
        if kind == "bars":
            ax.bar(x + (i - 1) * w, v, width=w, color=color, edgecolor="black",
                   linewidth=1.2, hatch=hatch, label=label)
        else:
            ax.plot(x, v, color=color, linestyle=style, marker=marker, markersize=11,
                    label=label)
    ax.set_xticks(x, _period_labels(cash["period"], period))
    _money_axis(ax.yaxis, currency)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=3)
    noun = _period_noun(period or _guess_period(cash["period"]))
    ax.set_xlabel(noun)
    ax.set_ylabel(f"Amount ({currency})")
    ax.set_title(_wrap(title or "Bookings, billings and cash"))
    return fig


# --- output ------------------------------------------------------------------------------


def _close(fig: Figure) -> None:
    """Release a figure: pyplot keeps figures it made until closed (ours it never sees)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


def cash_chart(result, period: str = "quarter") -> Figure:
    """:func:`plot_cash` of :func:`sim.analysis.cash.money_by_period`: bookings, billings and cash."""
    from sim.analysis.cash import money_by_period

    sc = result.scenario
    return plot_cash(money_by_period(result, period), currency=sc.currency, period=period)


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
