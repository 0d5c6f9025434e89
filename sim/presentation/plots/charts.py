"""The seven classroom charts, and the wrappers that draw them from one run.

Every ``plot_*`` function takes a plain :class:`pandas.DataFrame` (the data to draw,
with the columns its docstring names) and returns a :class:`~.style.ClassroomFigure`.
Every ``*_chart`` function is a thin wrapper that computes that frame from one run's
tables (a :class:`sim.analysis.result.RunResult`) with the analysis layer and calls the
``plot_*`` function; :func:`funnel_data`, :func:`pipeline_data` and :func:`bookings_data`
give those frames.

Money is in the scenario's currency; money axes read like ``1.2M USD``. Days are days
from the scenario's ``start_date``.

A chart with nothing to draw (no rows, or only zeros: a run without leads, deals or wins)
still draws its axes and says so in its middle, "No data: ..." with the reason
(:data:`NO_DATA`), rather than failing or showing an empty frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analysis.cash import money_by_period
from sim.analysis.forecast import forecast_table
from sim.analysis.levels import LEVEL_COLUMNS, level_stock, time_by_level
from sim.analysis.stage_stock import stage_stock
from sim.analysis.views import as_of_day
from sim.analysis.views import funnel as funnel_view
from sim.analysis.volatility import bookings_by_period
from sim.presentation.i18n import current, in_scenario_language
from sim.presentation.i18n import text as _
from sim.presentation.plots.style import (
    LABEL_SIZE,
    LEVEL_COLORS,
    LEVEL_LABELS,
    LEVEL_STYLES,
    LINE_WIDTH,
    NOTE_SIZE,
    OKABE_ITO,
    classroom,
    classroom_figure,
    date_axis,
    format_money,
    money_axis,
    period_labels,
    period_noun,
    stage_colors,
    text_color,
    time_axis,
    wrap_title,
)
from sim.rules.calendar import to_date
from sim.rules.dates import last_date

NO_DATA = "No data"
"""How a chart with nothing to draw begins the sentence it shows instead."""


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {list(columns)}; missing: {missing}")


def _no_data(ax, why: str, fontsize: float = LABEL_SIZE) -> None:
    """Write "No data: ``why``" in the middle of ``ax``, for a chart with nothing to draw."""
    ax.text(0.5, 0.5, f"{_(NO_DATA)}: {_(why)}", ha="center", va="center", transform=ax.transAxes,
            fontsize=fontsize, wrap=True)


def _nothing(*values) -> bool:
    """True when every value given is zero or NaN (or there are none): nothing to draw."""
    return not any(np.nansum(np.abs(np.asarray(v, dtype=float))) > 0 for v in values)


def _one_time(ax, x) -> None:
    """x limits of a week around the only time of a series (a run of a few days): lines
    and areas of a single point are invisible, and the date axis would span years."""
    half = np.timedelta64(84, "h") if np.issubdtype(np.asarray(x).dtype, np.datetime64) else 3.5
    ax.set_xlim(x[0] - half, x[0] + half)


def _zero_axis(ax) -> None:
    """The y axis of a chart of zeros: 0 at the bottom and its only tick (no axis of
    repeated "0" labels, nothing below zero)."""
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_locator(ticker.FixedLocator([0]))


def _bar_labels(ax, bars, values, fmt: Callable[[float], str]) -> None:
    for bar, v in zip(bars, values, strict=True):
        if not np.isfinite(v):
            continue
        ax.annotate(fmt(v), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                    fontsize=NOTE_SIZE)


def _money_per_period(ax, periods: pd.Series, period: str | None, currency: str,
                      amount: str) -> str:
    """Bars per period: one tick per period, a money y axis labelled ``amount
    (currency)``, grid lines behind the bars. Returns the period's noun (``Month``,
    ``Quarter`` or ``Period``)."""
    ax.set_xticks(np.arange(len(periods)), period_labels(periods, period))
    money_axis(ax.yaxis, currency)
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    noun = period_noun(periods, period)
    ax.set_xlabel(_(noun))
    ax.set_ylabel(_("{amount} ({currency})", amount=_(amount), currency=currency))
    return noun


def _quota_line(ax, quotas: np.ndarray, label: str | None = None):
    """A dashed step at each period's quota, as wide as the period's slot of bars."""
    x = np.arange(len(quotas))
    (line,) = ax.step(np.r_[x - 0.5, x[-1:] + 0.5], np.r_[quotas, quotas[-1:]], where="post",
                      color="black", linestyle="--", linewidth=3,
                      label=_("Quota") if label is None else label)
    return line


def _long_date(day, pad: bool = False) -> str:
    """A date in a title: ``31 Dec 2026`` in English, ISO ``2026-12-31`` in Chinese."""
    if current() != "en":
        return f"{day:%Y-%m-%d}"
    return f"{day:%d %b %Y}" if pad else f"{day.day} {day:%b %Y}"


# --- 1. the funnel ----------------------------------------------------------------------


@classroom
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
    fig, axes = classroom_figure(1, len(measures), sharey=True)
    stages = [str(s) for s in funnel["stage"]]
    colors = stage_colors(len(stages))
    y = np.arange(len(stages))
    for ax, m in zip(axes[0], measures, strict=True):
        values = funnel[m].to_numpy(dtype=float)
        widest = np.nanmax(values) if len(values) and np.nanmax(values) > 0 else 1.0
        # centred bars: a funnel's silhouette, widest where most deals are
        bars = ax.barh(y, values, left=-values / 2, height=0.8, color=colors,
                       edgecolor="black", linewidth=1.5)
        empty = _nothing(values)
        if empty:  # no open deal: say so instead of a column of zeros
            _no_data(ax, "no open deals", fontsize=NOTE_SIZE)
        for bar, v, c in zip(bars, values, colors, strict=True):
            if empty:
                break
            text = f"{v:.0f}" if m == "count" else format_money(v, currency)
            if v >= 0.3 * widest:
                ax.text(0, bar.get_y() + bar.get_height() / 2, text, ha="center",
                        va="center", color=text_color(c), fontsize=LABEL_SIZE,
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
        ax.set_title(_("Open deals: count") if m == "count"
                     else _("Open deals: amount ({currency})", currency=currency),
                     fontsize=LABEL_SIZE)
    fig.suptitle(wrap_title(title or _("Sales funnel: open deals by stage")
                            + (f" {as_of}" if as_of else "")), x=0.01, ha="left")
    return fig


def funnel_data(result, day: float | None = None) -> pd.DataFrame:
    """The tracking deals per stage on ``day`` (default: the end of the run), from
    :func:`sim.analysis.views.funnel`: ``stage_index``, ``stage``, ``count``, ``amount``."""
    return funnel_view(result, on=day)[["stage_index", "stage", "count", "amount"]]


@in_scenario_language
def funnel_chart(result, on=None, measure: str = "both") -> Figure:
    """:func:`plot_funnel` of :func:`funnel_data` on ``on`` (a date such as "2026-06-30", or
    days from ``start_date``; the end of the run by default)."""
    sc = result.scenario
    day = None if on is None else as_of_day(result, on)
    end = last_date(sc)
    when = (_("on {date} (end of the run)", date=_long_date(end)) if day is None else
            _("on {date}", date=_long_date(to_date(sc.start_date, day), pad=True)))
    return plot_funnel(funnel_data(result, day), measure=measure, currency=sc.currency,
                       as_of=when)


# --- 2. the pipeline over time ------------------------------------------------------------

pipeline_data = stage_stock
"""Tracking deals per stage at regular days: :func:`sim.analysis.stage_stock.stage_stock`
(``day``, ``date``, ``stage_index``, ``stage``, ``count``, ``amount``)."""


@classroom
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
    x, xlabel = time_axis(wide.reset_index())
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    colors = stage_colors(len(order))
    # the last stage at the bottom, so the stack reads top-down like the funnel
    polys = ax.stackplot(x, *[wide[s].to_numpy(dtype=float) for s in reversed(order)],
                         colors=list(reversed(colors)), labels=[str(s) for s in
                                                                reversed(order)],
                         edgecolor="white", linewidth=1.5, alpha=0.95)
    handles = list(reversed(polys))
    fig.legend(handles, [str(s) for s in order], title=_("Stage"), loc="outside right upper")
    if xcol == "date" and len(x):
        date_axis(ax)
    ax.set_xlabel(_(xlabel))
    if len(x) > 1:
        ax.set_xlim(x.min(), x.max())
    ax.grid(axis="y")
    ax.set_axisbelow(True)
    if measure == "amount":
        money_axis(ax.yaxis, currency)
        ax.set_ylabel(_("Amount of open deals ({currency})", currency=currency))
    else:
        ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=6))
        ax.set_ylabel(_("Number of open deals"))
    if _nothing(wide.to_numpy()):
        _zero_axis(ax)
        _no_data(ax, "no open deals in this period")
    elif len(x) == 1:
        _one_time(ax, x)
        _no_data(ax, "one snapshot only (the funnel shows it)")
    ax.set_title(wrap_title(title or (_("Pipeline by stage: number of open deals")
                                      if measure == "count" else
                                      _("Pipeline by stage: amount of open deals"))))
    return fig


@in_scenario_language
def pipeline_chart(result, measure: str = "count", step_days: float = 7.0) -> Figure:
    """:func:`plot_pipeline` of :func:`pipeline_data` (weekly snapshots)."""
    return plot_pipeline(pipeline_data(result, step_days), measure=measure,
                         currency=result.scenario.currency)


# --- 3. Miller Heiman levels ------------------------------------------------------------


def _level_lines(ax, frame: pd.DataFrame, width: float = LINE_WIDTH,
                 maxticks: int = 8) -> list:
    x = time_axis(frame)[0]
    lines = []
    # a single time (a run of a few days) shows as points: a line of one point is invisible
    marker = {"marker": "o", "markersize": 12} if len(x) == 1 else {}
    for level in LEVEL_COLUMNS:
        (line,) = ax.plot(x, frame[level].to_numpy(dtype=float), color=LEVEL_COLORS[level],
                          linestyle=LEVEL_STYLES[level], linewidth=width,
                          label=_(LEVEL_LABELS[level]), **marker)
        lines.append(line)
    if len(x) == 1:
        _one_time(ax, x)
    if "date" in frame.columns and len(x):
        date_axis(ax, maxticks)
    ax.grid(axis="y")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=5))
    if _nothing(frame[LEVEL_COLUMNS].to_numpy(dtype=float)):
        _zero_axis(ax)
        _no_data(ax, "no leads or deals at any level",
                 fontsize=LABEL_SIZE if width == LINE_WIDTH else NOTE_SIZE)
    return lines


@classroom
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
        fig, axes = classroom_figure(nrows, ncols, sharex=True, sharey=True)
        for ax, rep in zip(axes.flat, reps, strict=False):
            # few ticks: neighbouring panels' labels must not run into each other (six
            # leave room for half-yearly ticks over a two-year run; with four, matplotlib's
            # locator finds no interval, warns, and falls back to half-yearly anyway)
            lines = _level_lines(ax, stock[stock["rep"] == rep], width=LINE_WIDTH * 0.8,
                                 maxticks=6)
            ax.set_title(str(rep), fontsize=LABEL_SIZE)
        for i, ax in enumerate(axes.flat[len(reps):], start=len(reps)):
            ax.set_visible(False)
            # the panel above an empty slot is the bottom of its column: it shows dates
            axes.flat[i - ncols].xaxis.set_tick_params(labelbottom=True)
        fig.supylabel(_("Number of leads and deals"), fontsize=LABEL_SIZE)
        fig.legend(lines, [ln.get_label() for ln in lines], loc="outside lower center",
                   ncols=4)
        fig.suptitle(wrap_title(title or _("Miller Heiman levels per rep")), x=0.01,
                     ha="left")
        return fig
    team = (stock.groupby(xcol, as_index=False)[LEVEL_COLUMNS].sum()
            if "rep" in stock.columns else stock)
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    lines = _level_lines(ax, team)
    fig.legend(lines, [ln.get_label() for ln in lines], loc="outside right upper",
               title=_("Level"))
    ax.set_xlabel(_(time_axis(team)[1]))
    ax.set_ylabel(_("Number of leads and deals"))
    ax.set_title(wrap_title(title or _("Miller Heiman levels: the team's stock over time")))
    return fig


@in_scenario_language
def levels_chart(result, by_rep: bool = False, step_days: float = 7.0) -> Figure:
    """:func:`plot_levels` of :func:`sim.analysis.levels.level_stock` (weekly)."""
    return plot_levels(level_stock(result, step_days), by_rep=by_rep)


# --- 4. bookings per period -------------------------------------------------------------


@classroom
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
    x = np.arange(len(values))
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    if len(values) == 0:  # a run shorter than one whole period
        quotas = None
        _no_data(ax, "no whole period in the run yet")
    elif _nothing(values):
        _no_data(ax, "no deal was won in these periods")
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
    if quotas is not None:
        one = np.all(quotas == quotas[0])
        handles = [_quota_line(ax, quotas, _("Quota") + (
            f" ({format_money(quotas[0], currency)})" if one else ""))]
        if met.any():
            handles.append(Patch(facecolor=OKABE_ITO[0], edgecolor="black", label=_("Quota met")))
        if not met.all():
            handles.append(Patch(facecolor=OKABE_ITO[1], edgecolor="black", hatch="//",
                                 label=_("Below quota")))
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
    noun = _money_per_period(ax, bookings["period"], period, currency, "Bookings")
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set_ylim(bottom=0, top=1.12 * max(np.nanmax(values, initial=0),
                                         np.nanmax(quotas, initial=0)
                                         if quotas is not None else 0, 1))
    if quotas is None and _nothing(values):
        _zero_axis(ax)
    ax.set_title(wrap_title(title or _("Bookings per {period}: amount of deals won",
                                       period=_(noun.lower()))))
    return fig


def bookings_data(result, period: str = "month") -> pd.DataFrame:
    """Team bookings per whole month or quarter: ``period`` (start date), ``bookings``."""
    table = bookings_by_period(result, period)
    return pd.DataFrame({"period": table.index, "bookings": table["team"].to_numpy()})


@in_scenario_language
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


@classroom
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
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    w = 0.38
    ax.bar(x - w / 2, fc, width=w, color=OKABE_ITO[1], edgecolor="black", linewidth=1.5,
           hatch="//", label=_("Forecast at the period's start"))
    abars = ax.bar(x + w / 2, np.nan_to_num(actual), width=w, color=OKABE_ITO[0],
                   edgecolor="black", linewidth=1.5, label=_("Actual bookings"))
    top = np.nanmax(np.r_[fc, actual, 1.0])
    if {"forecast_low", "forecast_high"} <= set(forecast.columns):
        low = forecast["forecast_low"].to_numpy(dtype=float)
        high = forecast["forecast_high"].to_numpy(dtype=float)
        ax.errorbar(x - w / 2, fc, yerr=[np.clip(fc - low, 0, None), np.clip(high - fc, 0, None)],
                    fmt="none", ecolor="black", elinewidth=3, capsize=10, capthick=3,
                    label=_("Forecast range"))
        top = max(top, np.nanmax(np.r_[high, 1.0]))
    quota = (forecast["quota"].to_numpy(dtype=float) if "quota" in forecast.columns
             else np.full(len(fc), np.nan))
    if np.nansum(quota) > 0:
        _quota_line(ax, quota)
        top = max(top, np.nanmax(quota))
    if len(fc) <= 12:
        _bar_labels(ax, abars, actual, format_money)
    for i in np.flatnonzero(np.isnan(actual)):
        ax.text(x[i] + w / 2, 0.02 * top, _("not\nclosed"), ha="center", va="bottom",
                fontsize=NOTE_SIZE)
    noun = _money_per_period(ax, forecast["period"], period, currency, "Bookings")
    ax.set_ylim(0, 1.15 * top)
    if len(fc) == 0:
        ax.set_xlim(-0.6, 0.6)
        _no_data(ax, "no whole period in the run yet")
    elif _nothing(fc, actual):
        _no_data(ax, "nothing was forecast and nothing won")
    if _nothing(fc, actual, quota):
        _zero_axis(ax)
    fig.legend(loc="outside lower center", ncols=4)
    ax.set_title(wrap_title(title or _("Forecast against actual bookings per {period}",
                                       period=_(noun.lower()))))
    return fig


@in_scenario_language
def forecast_chart(result) -> Figure:
    """:func:`plot_forecast` of the manager's forecast made at each period's start
    (:func:`sim.analysis.forecast.forecast_table`), against the actual bookings."""
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


@classroom
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
    idle = _nothing(shares.to_numpy())
    reps = [str(r) for r in shares.index]
    y = np.arange(len(reps))
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    left = np.zeros(len(reps))
    for level in LEVEL_COLUMNS:
        s = shares[level].to_numpy() * 100
        color = LEVEL_COLORS[level]
        bars = ax.barh(y, s, left=left, height=0.7, color=color, edgecolor="white",
                       linewidth=2, label=_(LEVEL_LABELS[level]))
        for bar, v in zip(bars, s, strict=True):
            if v >= 7:
                ax.text(bar.get_x() + v / 2, bar.get_y() + bar.get_height() / 2,
                        f"{v:.0f}%", ha="center", va="center", color=text_color(color),
                        fontsize=NOTE_SIZE, fontweight="bold")
        left += s
    ax.set_yticks(y, [_("Team") if r == "team" else r for r in reps])
    for label, rep in zip(ax.get_yticklabels(), reps, strict=True):
        if rep == "team":
            label.set_fontweight("bold")
    ax.set_ylim(len(reps) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(decimals=0))
    ax.set_xlabel(_("Share of working hours (%)"))
    if idle:
        _no_data(ax, "no working hours recorded")
    fig.legend(loc="outside lower center", ncols=4)
    ax.set_title(wrap_title(title or _("Where the reps' time went, by Miller Heiman level")))
    return fig


@in_scenario_language
def time_by_level_chart(result) -> Figure:
    """:func:`plot_time_by_level` of :func:`sim.analysis.levels.time_by_level` (reps and team)."""
    return plot_time_by_level(time_by_level(result))


# --- 7. bookings, billings and cash ------------------------------------------------------

_CASH_SERIES = [("bookings", "Bookings (deals won)", OKABE_ITO[0], "", "-", "o"),
                ("billings", "Billings (invoiced)", OKABE_ITO[1], "//", "--", "s"),
                ("cash", "Cash (payments received)", OKABE_ITO[2], "..", ":", "D")]


@classroom
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
    fig, axes = classroom_figure()
    ax = axes[0, 0]
    w = 0.27
    for i, (col, label, color, hatch, style, marker) in enumerate(_CASH_SERIES):
        v = cash[col].to_numpy(dtype=float)
        if kind == "bars":
            ax.bar(x + (i - 1) * w, v, width=w, color=color, edgecolor="black",
                   linewidth=1.2, hatch=hatch, label=_(label))
        else:
            ax.plot(x, v, color=color, linestyle=style, marker=marker, markersize=11,
                    label=_(label))
    _money_per_period(ax, cash["period"], period, currency, "Amount")
    ax.set_ylim(bottom=0)
    if _nothing(*(cash[s[0]] for s in _CASH_SERIES)):
        _zero_axis(ax)
        if len(cash) == 0:
            ax.set_xlim(-0.6, 0.6)
        _no_data(ax, "no bookings, billings or cash in these periods" if len(cash)
                 else "no period in the run")
    fig.legend(loc="outside lower center", ncols=3)
    ax.set_title(wrap_title(title or _("Bookings, billings and cash")))
    return fig


@in_scenario_language
def cash_chart(result, period: str = "quarter") -> Figure:
    """:func:`plot_cash` of :func:`sim.analysis.cash.money_by_period`: bookings, billings
    and cash."""
    sc = result.scenario
    return plot_cash(money_by_period(result, period), currency=sc.currency, period=period)
