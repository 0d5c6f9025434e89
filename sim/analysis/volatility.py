"""The roller-coaster: how much bookings and prospecting swing, per rep and team.

The swing shows first in a rep's prospecting hours and Above-the-Funnel stock, and
about one sales cycle later in bookings ("a dry top is always the result of previous
neglect"). All functions are pure functions of a run's tables, over the results period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.levels import level_stock
from sim.analysis.rep_hours import busy_hours_in_period
from sim.rules.calendar import in_period, results_periods, to_date


def cv(values) -> float:
    """Coefficient of variation (population SD / mean); NaN when the mean is 0 or there
    are fewer than two values (one period cannot swing)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return float("nan")
    mean = x.mean()
    return float(x.std() / mean) if mean > 0 else float("nan")


def bookings_by_period(result, period: str = "month", by_rep: bool = False) -> pd.DataFrame:
    """Bookings (won amounts by close date) per whole calendar month or quarter of the
    results period, with zeros for periods without a win. Columns: one per rep when
    ``by_rep``, else ``team``."""
    opps = result.opportunities
    return bookings_per_period(result.scenario, opps["status"], opps["closed_day"],
                               opps["amount"], period,
                               owners=opps["owner"] if by_rep else None,
                               rep_names=result.rep_names)


def bookings_per_period(scenario, status, closed_day, amount, period: str = "month",
                        owners=None, rep_names=()) -> pd.DataFrame:
    """:func:`bookings_by_period` of deals given as arrays (status, close day, amount and,
    per rep, the owner's name): the team's or each rep's bookings per whole period."""
    sc = scenario
    # only whole periods: a half period at the end would look like a slump
    periods = results_periods(sc, period)
    starts = pd.DatetimeIndex(periods.loc[periods["whole"], "start"])
    closed_day = np.asarray(closed_day, dtype=float)
    rows = np.flatnonzero((np.asarray(status, dtype=object) == "won")
                          & in_period(closed_day, sc.horizon_days))
    idx = np.searchsorted(starts.values, to_date(sc.start_date, closed_day[rows]).values,
                          side="right") - 1
    whole = (idx >= 0) & (idx < len(starts))
    rows, idx = rows[whole], idx[whole]
    won = pd.DataFrame({"period": idx, "amount": np.asarray(amount, dtype=float)[rows]})
    cols = list(rep_names) if owners is not None else ["team"]
    table = pd.DataFrame(0.0, index=starts, columns=cols)
    if owners is not None:
        won["owner"] = np.asarray(owners, dtype=object)[rows]
        sums = won.groupby(["period", "owner"])["amount"].sum()
        for (p, rep), total in sums.items():
            table.iloc[p, cols.index(rep)] = total
    else:
        sums = won.groupby("period")["amount"].sum()
        table.iloc[sums.index.to_numpy(), 0] = sums.to_numpy()
    table.index.name = period
    return table


def prospecting_hours(result, window_days: float = 28.0) -> pd.DataFrame:
    """Each rep's prospecting hours per window (4 weeks by default)."""
    sc = result.scenario
    rt = result.rep_time
    rt = rt[rt["activity"] == "prospect"]
    edges = np.arange(0, sc.horizon_days - window_days + 1e-9, window_days)
    hours = busy_hours_in_period(rt, sc.horizon_days)
    idx = np.floor(rt["start_day"].clip(lower=0) / window_days).astype(int)
    table = pd.DataFrame(0.0, index=edges, columns=result.rep_names)
    sums = pd.DataFrame({"w": idx, "rep": rt["rep"], "h": hours}).groupby(["w", "rep"])["h"].sum()
    for (w, rep), h in sums.items():
        if w < len(edges):
            table.loc[edges[w], rep] += h
    table.index.name = "day"
    return table


def dry_top_lag_days(result, step_days: float = 7.0, max_lag_days: float = 270.0) -> float:
    """Lag (days) at which a low Above-the-Funnel stock best predicts low bookings.

    The team's weekly Above-the-Funnel stock and its bookings over the following 4
    weeks are correlated at every lag up to ``max_lag_days``; the lag of the highest
    correlation is returned (NaN when either series is flat).
    """
    stock = level_stock(result, step_days).groupby("day")["above_funnel"].sum()
    opps = result.opportunities
    won = opps[opps["status"] == "won"]
    days = stock.index.to_numpy()
    window = 28.0
    order = np.argsort(won["closed_day"].to_numpy())
    closed = won["closed_day"].to_numpy()[order]
    cum = np.concatenate([[0.0], np.cumsum(won["amount"].to_numpy()[order])])
    booked = (cum[np.searchsorted(closed, days + window, side="left")]
              - cum[np.searchsorted(closed, days, side="left")])
    a = stock.to_numpy(dtype=float)
    best, best_lag = -np.inf, np.nan
    for lag in range(0, int(max_lag_days / step_days) + 1):
        if len(a) - lag < 8:
            break
        x, y = a[: len(a) - lag], booked[lag:]
        if x.std() == 0 or y.std() == 0:
            continue
        r = np.corrcoef(x, y)[0, 1]
        if r > best:
            best, best_lag = r, lag * step_days
    return float(best_lag)


def _mean_of_finite(values) -> float:
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def roller_coaster_summary(result) -> dict[str, float]:
    """Volatility figures: bookings CV per month and quarter (team and mean per rep),
    prospecting-hours CV per 4 weeks and Above-the-Funnel stock CV per week (means over
    reps), and the dry-top lag."""
    month = bookings_by_period(result, "month")
    quarter = bookings_by_period(result, "quarter")
    rep_q = bookings_by_period(result, "quarter", by_rep=True)
    prosp = prospecting_hours(result)
    stock = level_stock(result, 7.0).pivot(index="day", columns="rep", values="above_funnel")
    return {
        "bookings_cv_month": cv(month["team"]),
        "bookings_cv_quarter": cv(quarter["team"]),
        "rep_bookings_cv_quarter": _mean_of_finite([cv(rep_q[c]) for c in rep_q]),
        "rep_prospecting_cv_4weeks": _mean_of_finite([cv(prosp[c]) for c in prosp]),
        "rep_above_funnel_cv_weeks": _mean_of_finite([cv(stock[c]) for c in stock]),
        "dry_top_lag_days": dry_top_lag_days(result),
    }
