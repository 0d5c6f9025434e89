"""Allocation of the reps' time and of the deals: how evenly the work is spread."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.diagnostics._shared import TEAM, _ratio, _rep_index, _sum_by_rep
from sim.analysis.rep_hours import available_hours_in_period, busy_hours_in_period
from sim.rules.calendar import in_period


def load_balance(result) -> pd.DataFrame:
    """How the work is spread over the reps in the results period.

    Returns
    -------
    DataFrame
        Per rep (then ``"team"``, the sums): ``rep``, ``leads`` (assigned, created in the
        period), ``opportunities`` (created in the period), ``won`` and ``bookings``
        (closed in the period), ``open_opportunities`` and ``open_pipeline`` (tracking
        deals and their amount at the end), ``weighted_pipeline`` (amount x stage win
        rate), ``hours`` (worked in the period), ``prospecting_hours``,
        ``available_hours`` (hours per day x days, less what the team's plan takes
        away: before joining, a ramp, after leaving, on leave) and ``utilisation`` (hours /
        available). See :func:`load_spread` for the spread across reps.
    """
    sc = result.scenario
    horizon = sc.horizon_days
    reps = list(result.rep_names)
    leads, opps, rt = result.leads, result.opportunities, result.rep_time
    n = len(reps)
    l_rep, o_rep = _rep_index(leads["owner"], reps), _rep_index(opps["owner"], reps)
    t_rep = _rep_index(rt["rep"], reps)
    amount = opps["amount"].to_numpy(dtype=float)
    won = ((opps["status"] == "won") & in_period(opps["closed_day"], horizon)).to_numpy()
    tracking = (opps["status"] == "tracking").to_numpy()
    rates = np.asarray(sc.win_rates)[opps["stage_index"].to_numpy(dtype=int)]
    hours = np.asarray(busy_hours_in_period(rt, horizon), dtype=float)
    prospect = (rt["activity"] == "prospect").to_numpy()
    out = pd.DataFrame({
        "rep": [*reps, TEAM],
        "leads": _sum_by_rep(l_rep, in_period(leads["created_day"], horizon), n).astype(int),
        "opportunities": _sum_by_rep(o_rep, in_period(opps["created_day"], horizon),
                                     n).astype(int),
        "won": _sum_by_rep(o_rep, won, n).astype(int),
        "bookings": _sum_by_rep(o_rep, amount * won, n),
        "open_opportunities": _sum_by_rep(o_rep, tracking, n).astype(int),
        "open_pipeline": _sum_by_rep(o_rep, amount * tracking, n),
        "weighted_pipeline": _sum_by_rep(o_rep, amount * rates * tracking, n),
        "hours": _sum_by_rep(t_rep, hours, n),
        "prospecting_hours": _sum_by_rep(t_rep, hours * prospect, n),
    })
    available = available_hours_in_period(sc)
    out["available_hours"] = np.append(available, available.sum())
    out["utilisation"] = _ratio(out["hours"], out["available_hours"])
    return out


def load_spread(balance: pd.DataFrame) -> pd.DataFrame:
    """Spread across reps of each :func:`load_balance` measure.

    Returns
    -------
    DataFrame
        One row per measure: ``measure``, ``mean``, ``min``, ``max``, ``cv``
        (population standard deviation / mean; NaN when the mean is 0) and
        ``max_min_ratio`` (inf when the smallest is 0 and the largest is not).
    """
    reps = balance[balance["rep"] != TEAM].drop(columns="rep")
    x = reps.to_numpy(dtype=float)
    mean, lo, hi = x.mean(axis=0), x.min(axis=0), x.max(axis=0)
    ratio = _ratio(hi, lo)
    ratio[(lo == 0) & (hi > 0)] = np.inf
    return pd.DataFrame({"measure": reps.columns, "mean": mean, "min": lo, "max": hi,
                         "cv": _ratio(x.std(axis=0), mean), "max_min_ratio": ratio})
