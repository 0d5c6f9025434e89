"""Pipeline (sales) velocity: how much money the pipeline turns into per day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.diagnostics._shared import TEAM, _overlap, _ratio, _rep_index, _sum_by_rep
from sim.rules.calendar import in_period


def pipeline_velocity(result) -> pd.DataFrame:
    """Sales (pipeline) velocity over the results period, per rep and team.

    The usual formula: velocity = N x p x S / L, in money per day, with

    - N, ``open_opportunities``: the deals in the pipeline, here the *time-average*
      number of tracking opportunities over the period (a stock: N / L is a rate);
    - p, ``win_rate``: won / (won + lost) of the deals closed in the period;
    - S, ``avg_deal_size``: mean amount of the deals won in the period;
    - L, ``cycle_days``: mean days from creation to close of the deals won in the
      period (the usual "sales cycle").

    ``velocity_per_day`` uses that L and so *understates* the money made per day: lost
    deals leave the pipeline sooner than won ones, so the pipeline turns over faster
    than the won cycle says. By Little's law (stock = throughput x time in the system)
    N / (mean time to close of *all* deals closed, ``days_to_close``) is the rate at
    which deals close, and ``flow_velocity_per_day`` = N x p x S / ``days_to_close``
    matches the realised ``bookings_per_day`` in a steady flow (when deal size does not
    depend on the outcome). ``new_opportunities`` (created in the period) is given for
    reference; some texts put it in place of N, which does not give money per day.

    Returns
    -------
    DataFrame
        Per rep and team: ``rep``, ``new_opportunities``, ``open_opportunities``,
        ``win_rate``, ``avg_deal_size``, ``cycle_days``, ``days_to_close``,
        ``velocity_per_day``, ``flow_velocity_per_day`` and ``bookings_per_day``.
    """
    sc = result.scenario
    horizon = sc.horizon_days
    reps = list(result.rep_names)
    opps = result.opportunities
    idx = _rep_index(opps["owner"], reps)

    def per_rep(values):
        return _sum_by_rep(idx, values, len(reps))

    created = opps["created_day"].to_numpy(dtype=float)
    closed = opps["closed_day"].fillna(np.inf).to_numpy(dtype=float)
    span = _overlap(created, closed, np.zeros(1), np.full(1, horizon))[:, 0]
    in_p = in_period(closed, horizon)
    is_won = in_p & (opps["status"] == "won").to_numpy()
    is_closed = in_p & (opps["status"] != "tracking").to_numpy()
    amount = opps["amount"].to_numpy(dtype=float)
    cycle = opps["cycle_days"].fillna(0.0).to_numpy(dtype=float)
    n_won, n_closed = per_rep(is_won), per_rep(is_closed)
    out = pd.DataFrame({
        "rep": [*reps, TEAM],
        "new_opportunities": per_rep(in_period(created, horizon)).astype(int),
        "open_opportunities": per_rep(span) / horizon,
        "win_rate": _ratio(n_won, n_closed),
        "avg_deal_size": _ratio(per_rep(amount * is_won), n_won),
        "cycle_days": _ratio(per_rep(cycle * is_won), n_won),
        "days_to_close": _ratio(per_rep(cycle * is_closed), n_closed),
        "bookings_per_day": per_rep(amount * is_won) / horizon,
    })
    value = out["open_opportunities"] * out["win_rate"] * out["avg_deal_size"]
    out["velocity_per_day"] = _ratio(value, out["cycle_days"])
    out["flow_velocity_per_day"] = _ratio(value, out["days_to_close"])
    return out[["rep", "new_opportunities", "open_opportunities", "win_rate",
                "avg_deal_size", "cycle_days", "days_to_close", "velocity_per_day",
                "flow_velocity_per_day", "bookings_per_day"]]
