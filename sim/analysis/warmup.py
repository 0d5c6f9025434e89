"""Is the warm-up long enough? Weekly measures from the very start of a run, averaged
over replications and smoothed with Welch's moving average.

A run starts empty: no leads, no deals, idle reps. Welch's graphical method (Welch 1983;
Law, *Simulation Modeling and Analysis*, section 9.5.1; Robinson, *Simulation: The
Practice of Model Development and Use*, chapter 9) looks for the week after which the
measures stop drifting:

1. record a measure per week from the start of the warm-up (:func:`weekly_measures`),
   in each of several replications;
2. average each week over the replications (the ensemble mean);
3. smooth that series with a moving average of ``2w + 1`` weeks, shorter near the
   start (:func:`welch_moving_average`);
4. read off where the smoothed curve settles (:func:`settling_point`).

All functions here are pure functions of a run's facts or of tables built from them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis.rep_hours import busy_hours_in_period
from sim.rules.reps import rep_hours_per_day

WARMUP_MEASURES = ("bookings", "won", "new_opportunities", "open_deals", "rep_utilization")
"""What :func:`weekly_measures` records per week: bookings and deals won (closed that
week), opportunities created, deals open (tracking) at the week's end, and the reps'
busy share of their selling hours."""

WEEK_DAYS = 7.0


def week_edges(scenario, step_days: float = WEEK_DAYS) -> np.ndarray:
    """The edges of the whole weeks of a run, in days from ``start_date``: from the start
    of the warm-up (``-warmup_days``) up to the end of the results period."""
    first = -float(scenario.warmup_days)
    count = int(math.floor((scenario.warmup_days + scenario.horizon_days) / step_days + 1e-9))
    return first + step_days * np.arange(count + 1)


def _week_index(days, edges: np.ndarray) -> np.ndarray:
    """The week of each day (-1 outside the weeks, and for NaN)."""
    days = np.asarray(days, dtype=float)
    idx = np.searchsorted(edges, days, side="right") - 1
    return np.where(np.isfinite(days) & (idx >= 0) & (idx < len(edges) - 1), idx, -1)


def weekly_measures(result, step_days: float = WEEK_DAYS) -> pd.DataFrame:
    """The :data:`WARMUP_MEASURES` of one run, week by week, warm-up included.

    Parameters
    ----------
    result : RunResult
        One replication.
    step_days : float
        The period's length (a week).

    Returns
    -------
    DataFrame
        One row per whole week of the run: ``week`` (0 for the run's first week),
        ``start_day`` (days from ``start_date``, negative in the warm-up) and one column
        per measure.
    """
    sc = result.scenario
    edges = week_edges(sc, step_days)
    weeks = len(edges) - 1
    opps = result.facts("opportunities")
    closed = _week_index(opps["closed_day"], edges)
    won = (opps["status"] == "won") & (closed >= 0)
    bookings = np.bincount(closed[won], weights=opps["amount"][won], minlength=weeks)
    created = _week_index(opps["created_day"], edges)
    new = np.bincount(created[created >= 0], minlength=weeks)
    ends = edges[1:, None]
    closed_day = np.asarray(opps["closed_day"], dtype=float)
    open_deals = ((opps["created_day"][None, :] < ends)
                  & ~(closed_day[None, :] < ends)).sum(axis=1)
    rep_time = result.facts("rep_time")
    available = sum(rep_hours_per_day(sc.team)) * step_days
    busy = [busy_hours_in_period(_shifted(rep_time, a), step_days).sum() for a in edges[:-1]]
    return pd.DataFrame({
        "week": np.arange(weeks), "start_day": edges[:-1],
        "bookings": bookings[:weeks], "won": np.bincount(closed[won], minlength=weeks)[:weeks],
        "new_opportunities": new[:weeks], "open_deals": open_deals,
        "rep_utilization": np.asarray(busy) / available if available else np.nan})


def _shifted(rep_time, day: float) -> dict:
    """Rep time with days counted from ``day``, so that the week starting there is the
    period :func:`busy_hours_in_period` measures."""
    return {"start_day": np.asarray(rep_time["start_day"], dtype=float) - day,
            "end_day": np.asarray(rep_time["end_day"], dtype=float) - day,
            "hours": rep_time["hours"]}


def welch_moving_average(values, window: int) -> np.ndarray:
    """Welch's moving average of a series (Law's form).

    Point ``i`` (from 1) is the mean of the ``2w + 1`` values centred on it; near the
    start, where fewer than ``w`` values precede it, the mean of the ``2i - 1`` values
    centred on it. The last ``w`` points have no full window after them and are NaN.

    Parameters
    ----------
    values : array_like of float
        The series (e.g. a measure's weekly mean over replications).
    window : int
        ``w``, 0 or more (0 returns the series as it is).

    Returns
    -------
    ndarray
        Of the same length as ``values``.

    Examples
    --------
    >>> welch_moving_average([1, 2, 3, 4, 10, 6], 1).tolist()
    [1.0, 2.0, 3.0, 5.666666666666667, 6.666666666666667, nan]
    """
    x = np.asarray(values, dtype=float)
    if isinstance(window, bool) or int(window) != window or window < 0:
        raise ValueError(f"window: must be a whole number of periods, 0 or more; got "
                         f"{window!r}")
    w = int(window)
    m = len(x)
    out = np.full(m, np.nan)
    cum = np.concatenate([[0.0], np.cumsum(x)])
    for i in range(m - w):  # i from 0 here: the centred half-width is min(i, w)
        h = min(i, w)
        out[i] = (cum[i + h + 1] - cum[i - h]) / (2 * h + 1)
    return out


def warmup_table(weekly: pd.DataFrame, window: int = 5,
                 measures=WARMUP_MEASURES) -> pd.DataFrame:
    """Each measure's weekly mean over replications and its Welch moving average.

    Parameters
    ----------
    weekly : DataFrame
        :func:`weekly_measures` of several replications, with a ``replication`` column.
    window : int
        ``w`` of :func:`welch_moving_average` (weeks on each side).
    measures : list of str
        Which measures.

    Returns
    -------
    DataFrame
        One row per measure and week: ``measure``, ``week``, ``start_day``,
        ``replications``, ``mean`` (over replications) and ``welch`` (smoothed).
    """
    missing = [m for m in ("week", "start_day", *measures) if m not in weekly.columns]
    if missing:
        raise ValueError(f"weekly: missing the columns {missing}; its columns are "
                         f"{list(weekly.columns)}")
    grouped = weekly.groupby("week", sort=True)
    start = grouped["start_day"].first()
    count = grouped.size()
    parts = []
    for measure in measures:
        mean = grouped[measure].mean()
        parts.append(pd.DataFrame({
            "measure": measure, "week": mean.index.to_numpy(),
            "start_day": start.to_numpy(), "replications": count.to_numpy(),
            "mean": mean.to_numpy(dtype=float),
            "welch": welch_moving_average(mean.to_numpy(dtype=float), window)}))
    return pd.concat(parts, ignore_index=True)


def settling_point(table: pd.DataFrame, measure: str, tolerance: float = 0.1) -> dict:
    """Where a measure's smoothed curve settles: advice, not a verdict.

    The settled level is the mean of the weekly means over the second half of the run.
    The band around it is ``tolerance`` of the level (as a share of it) or twice the
    standard deviation of the smoothed curve over that second half (its own noise),
    whichever is wider. The curve settles at the first week from which every smoothed
    (Welch) value stays inside the band. A curve that still drifts in the second half
    (growth, a roller-coaster) may never settle by this rule; more replications or a
    wider window make the smoothed curve steadier.

    Parameters
    ----------
    table : DataFrame
        As :func:`warmup_table` returns.
    measure : str
        Which measure.
    tolerance : float
        The band around the settled level, as a share of it (0.1: within 10%).

    Returns
    -------
    dict
        ``measure``, ``level`` (the settled level), ``band`` (its half-width),
        ``week`` (the week it settles, None if it never does), ``start_day`` (that
        week's start in days from ``start_date``, negative in the warm-up),
        ``run_days`` (days from the start of the run: a warm-up that long would leave
        the drift out) and ``first`` (the first week's smoothed value, to show the
        direction of the drift).
    """
    rows = table[table["measure"] == measure].sort_values("week")
    if rows.empty:
        raise ValueError(f"measure: {measure!r} is not in the table; it has "
                         f"{sorted(set(table['measure']))}")
    mean = rows["mean"].to_numpy(dtype=float)
    welch = rows["welch"].to_numpy(dtype=float)
    half = len(mean) // 2
    level = float(np.nanmean(mean[half:]))
    settled = welch[half:][np.isfinite(welch[half:])]
    noise = 2 * float(np.std(settled, ddof=1)) if len(settled) > 1 else 0.0
    band = max(abs(level) * tolerance, noise)
    defined = np.flatnonzero(np.isfinite(welch))
    outside = defined[np.abs(welch[defined] - level) > band]
    week = None
    if len(defined) and (len(outside) == 0 or outside[-1] < defined[-1]):
        week = int(defined[0]) if len(outside) == 0 else int(outside[-1]) + 1
    start_days = rows["start_day"].to_numpy(dtype=float)
    run_start = start_days[0]
    return {"measure": measure, "level": level, "band": band, "week": week,
            "start_day": None if week is None else float(start_days[week]),
            "run_days": None if week is None else float(start_days[week] - run_start),
            "first": float(welch[0]) if len(welch) else math.nan}
