"""Rep hours: how much of each stretch of work falls in a period, the hours the reps
really had (the team's plan: hires ramping up, leavers, leaves), and the team over time.

The hours available come from the one rule, :func:`sim.rules.reps.working_hours`, that
the engine follows; utilisation divides the hours worked by them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.rules.calendar import results_periods
from sim.rules.dates import add_months
from sim.rules.reps import (
    available_hours,
    has_plan,
    hire_names,
    rep_hours_per_day,
)


def busy_hours_in_period(rep_time, horizon: float) -> np.ndarray:
    """Hours of each rep_time row that fall inside the results period.

    ``rep_time`` is the table, or its facts (``RunResult.facts("rep_time")``): anything
    with ``start_day``, ``end_day`` and ``hours`` columns.
    """
    return busy_hours_between(rep_time, 0.0, horizon)


def busy_hours_between(rep_time, first: float, last: float) -> np.ndarray:
    """Hours of each rep_time row that fall in ``[first, last)`` (days from
    ``start_date``), spread evenly over the row's stretch of time."""
    start_day = np.asarray(rep_time["start_day"], dtype=float)
    end_day = np.asarray(rep_time["end_day"], dtype=float)
    start, end = np.clip(start_day, first, last), np.clip(end_day, first, last)
    span = end_day - start_day
    share = np.where(span > 0, (end - start) / np.where(span > 0, span, 1), 0.0)
    # zero-length tasks count when they start inside the period
    share = np.where(span > 0, share, (start_day >= first) & (start_day < last))
    return np.asarray(rep_time["hours"], dtype=float) * share


def available_hours_in_period(scenario) -> np.ndarray:
    """Each rep's selling hours available in the results period: hours per day times
    its days, less what the team's plan takes away (before joining, a ramp, after
    leaving, on leave)."""
    if not has_plan(scenario.team):
        return np.asarray(rep_hours_per_day(scenario.team), dtype=float) * scenario.horizon_days
    return np.asarray(available_hours(scenario, 0.0, scenario.horizon_days), dtype=float)


def team_available_hours(scenario) -> float:
    """The team's selling hours available in the results period (the sum of
    :func:`available_hours_in_period`)."""
    if not has_plan(scenario.team):  # the sum as it always was, to the last bit
        return sum(rep_hours_per_day(scenario.team)) * scenario.horizon_days
    return float(available_hours_in_period(scenario).sum())


def team_plan(scenario) -> pd.DataFrame:
    """The team's plan, one row per change: ``rep``, ``change`` (``joins``, ``ramp``: a
    new ramp month, ``full``: the ramp's end, ``leave`` or ``leaves``), ``start`` and
    ``end`` (its dates; ``end`` the last day of a leave, empty where a change has none)
    and ``share`` (of full hours worked: a ramp month's share, 0 on leave and after
    leaving, 1 from joining on when no ramp)."""
    team = scenario.team
    rows = []
    for hire in team.hires:
        for name in hire_names(hire):
            rows.append((name, "joins", hire.joins, None, hire.ramp[0] if hire.ramp else 1.0))
            for m in range(1, len(hire.ramp)):
                rows.append((name, "ramp", add_months(hire.joins, m), None, hire.ramp[m]))
            if hire.ramp:
                rows.append((name, "full", add_months(hire.joins, len(hire.ramp)), None, 1.0))
    for d in team.departures:
        rows.append((d.rep, "leaves", d.leaves, None, 0.0))
    for a in team.absences:
        rows.append((a.rep, "leave", a.start, a.end, 0.0))
    out = pd.DataFrame(rows, columns=["rep", "change", "start", "end", "share"])
    return out.sort_values(["start", "rep"], kind="stable").reset_index(drop=True)


def team_over_time(result, period: str = "month") -> pd.DataFrame:
    """The team period by period over the results period: who was there, for how many
    hours, and how busy.

    Parameters
    ----------
    result : RunResult
        A run (its scenario and ``rep_time``).
    period : str
        ``"month"``, ``"quarter"`` or ``"year"``.

    Returns
    -------
    DataFrame
        One row per period and rep (then ``rep`` ``"team"``, the sums): ``period``,
        ``start`` (its first day), ``rep``, ``available_hours`` (the hours the plan gave
        the rep in the part of the period inside the results period), ``full_hours``
        (what a full-time rep would have had), ``fte`` (full-time equivalents:
        available / full; the team's is its headcount), ``hours`` (worked) and
        ``utilisation`` (hours / available; NaN with none available).
    """
    sc = result.scenario
    names = list(result.rep_names)
    periods = results_periods(sc, period)
    full = np.asarray(rep_hours_per_day(sc.team), dtype=float)
    rt = result.facts("rep_time")
    rows = []
    for p in periods.itertuples():
        first, last = max(p.start_day, 0.0), min(p.end_day, sc.horizon_days)
        available = np.asarray(available_hours(sc, first, last), dtype=float)
        worked = np.bincount(np.asarray(rt["rep"], dtype=np.int64),
                             weights=busy_hours_between(rt, first, last), minlength=len(names))
        whole = full * (last - first)
        fte = np.divide(available, whole, out=np.zeros_like(available), where=whole > 0)
        for i, name in enumerate(names):
            rows.append((p.period, p.start, name, available[i], whole[i], fte[i], worked[i]))
        rows.append((p.period, p.start, "team", available.sum(), whole.sum(), fte.sum(),
                     worked.sum()))
    out = pd.DataFrame(rows, columns=["period", "start", "rep", "available_hours",
                                      "full_hours", "fte", "hours"])
    available = out["available_hours"].to_numpy()
    out["utilisation"] = np.divide(out["hours"].to_numpy(), available,
                                   out=np.full(len(out), np.nan), where=available > 0)
    return out
