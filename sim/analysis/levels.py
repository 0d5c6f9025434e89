"""Miller Heiman levels over time, rebuilt from a run's tables.

Above the Funnel: an unverified lead. In the Funnel: a tracking opportunity that is
not (yet) Best Few. Best Few: the scenario's rule (stage win rate and expected close;
see :class:`sim.rules.deals.BestFewRule`). Orders: a won deal whose post-sale work is pending.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.rep_hours import busy_hours_in_period
from sim.rules.calendar import to_date
from sim.rules.deals import TASK_LEVELS, BestFewRule, in_stage, opportunity_level

LEVEL_COLUMNS = ["above_funnel", "in_funnel", "best_few", "orders"]


def _grid(result, step_days: float, include_warmup: bool) -> np.ndarray:
    sc = result.scenario
    start = -sc.warmup_days if include_warmup else 0.0
    return np.arange(start, sc.horizon_days, step_days)


def _count(owner_idx, active, n_reps):
    """Counts per (grid time, rep) of an (items x times) activity matrix."""
    out = np.zeros((active.shape[1], n_reps))
    for r in range(n_reps):
        out[:, r] = active[owner_idx == r].sum(axis=0)
    return out


def level_stock(result, step_days: float = 7.0, include_warmup: bool = False) -> pd.DataFrame:
    """Stock of each Miller Heiman level per rep at regular times.

    Returns a tidy frame with ``day``, ``date``, ``rep`` and one column per level;
    use :func:`team_level_stock` for the team's totals.
    """
    sc = result.scenario
    t = _grid(result, step_days, include_warmup)
    reps = result.rep_names
    rep_index = {name: i for i, name in enumerate(reps)}
    inf = np.inf

    leads = result.leads
    l_owner = leads["owner"].map(rep_index).to_numpy()
    l_start = leads["created_day"].to_numpy()
    l_end = leads["closed_day"].fillna(inf).to_numpy()
    above = (l_start[:, None] <= t) & (t < l_end[:, None])

    hist = result.stage_history
    opps = result.opportunities.set_index("opportunity_id")
    h_owner = hist["owner"].map(rep_index).to_numpy()
    active = in_stage(hist["entered_day"], hist["decided_day"], t)
    rates = np.asarray(sc.win_rates)[hist["stage_index"].to_numpy(dtype=int)]
    days_to_close = hist["cycle_close_day"].to_numpy()[:, None] - t
    few = BestFewRule.of(sc).holds(rates[:, None], days_to_close)

    won = opps[opps["status"] == "won"]
    done = result.handover_days
    o_owner = won["owner"].map(rep_index).to_numpy()
    o_start = won["closed_day"].to_numpy()
    if sc.post_sale.work_hours > 0:
        o_end = won.index.map(done).to_numpy(dtype=float)
        o_end = np.where(np.isnan(o_end), inf, o_end)
    else:
        o_end = o_start  # no post-sale work: a won deal leaves the Orders level at once
    orders = (o_start[:, None] <= t) & (t < o_end[:, None])

    n = len(reps)
    counts = {
        "above_funnel": _count(l_owner, above, n),
        "in_funnel": _count(h_owner, active & ~few, n),
        "best_few": _count(h_owner, active & few, n),
        "orders": _count(o_owner, orders, n),
    }
    frame = pd.DataFrame({
        "day": np.repeat(t, n),
        "rep": np.tile(np.asarray(reps, dtype=object), len(t)),
        **{level: counts[level].reshape(-1).astype(int) for level in LEVEL_COLUMNS},
    })
    frame.insert(1, "date", to_date(sc.start_date, frame["day"]))
    return frame


def team_level_stock(stock: pd.DataFrame) -> pd.DataFrame:
    """The team's total of each level at each time."""
    return stock.groupby(["day", "date"], as_index=False)[LEVEL_COLUMNS].sum()


def time_by_level(result) -> pd.DataFrame:
    """Hours and share of hours each rep spent per level in the results period."""
    rt = result.rep_time
    return hours_by_level(rt["rep"], rt["level"],
                          busy_hours_in_period(rt, result.scenario.horizon_days),
                          result.rep_names)


def hours_by_level(rep, level, hours, rep_names) -> pd.DataFrame:
    """:func:`time_by_level` of stretches of rep time given as arrays: each stretch's rep
    (name), level and hours in the period."""
    hours = pd.DataFrame({"rep": np.asarray(rep, dtype=object),
                          "level": np.asarray(level, dtype=object),
                          "hours": np.asarray(hours, dtype=float)})
    table = hours.groupby(["rep", "level"])["hours"].sum().unstack("level", fill_value=0.0)
    table = table.reindex(index=list(rep_names), columns=LEVEL_COLUMNS, fill_value=0.0)
    table.columns.name = "level"
    table.index.name = "rep"
    table.loc["team"] = table.sum()
    share = table.div(table.sum(axis=1).where(lambda s: s > 0, 1), axis=0)
    return pd.concat({"hours": table, "share": share}, axis=1)


def work_levels(result) -> pd.Series:
    """The Miller Heiman level of each stretch of rep time, recomputed from the tables.

    The engine notes the level of every task when a rep starts it (``rep_time.level``).
    This recomputes it from the stage history alone, with the same rules: finding and
    verifying leads is Above the Funnel, post-sale work is Orders
    (:data:`sim.rules.deals.TASK_LEVELS`), and work on a deal is Best Few or In the Funnel
    by :class:`~sim.rules.deals.BestFewRule` applied to the deal's stage and its cycle
    close (``stage_history.cycle_close_day``) when the work started.

    Returns
    -------
    Series
        One level per row of ``result.rep_time``, on its index.
    """
    sc = result.scenario
    rt = result.rep_time
    hist = result.stage_history.set_index(["opportunity_id", "stage_index"])
    on_deal = rt["activity"].isin(["stage", "effort"]).to_numpy()
    key = pd.MultiIndex.from_arrays([rt["opportunity_id"].to_numpy()[on_deal],
                                     rt["stage_index"].to_numpy()[on_deal]])
    expected = hist["cycle_close_day"].reindex(key).to_numpy(dtype=float)
    rates = np.asarray(sc.win_rates)[key.get_level_values(1).to_numpy(dtype=int)]
    start = rt["start_day"].to_numpy(dtype=float)[on_deal]
    levels = rt["activity"].map(TASK_LEVELS).to_numpy(dtype=object)
    levels[on_deal] = opportunity_level(BestFewRule.of(sc).holds(rates, expected - start))
    return pd.Series(levels, index=rt.index, name="level")
