"""The limits of the classic funnel (course section 4): its win rates are team averages.

Two things go wrong when a funnel built on averages is used for one rep or believed
blindly:

- **Few deals, big swings.** With ``n`` deals, each won with chance ``p``, the number won
  swings around its average ``n p`` by about ``sqrt(n p (1 - p))``: as a share of the
  average, the *relative swing* (coefficient of variation) is ``sqrt((1 - p) / (n p))``,
  and the win rate seen swings by ``sqrt(p (1 - p) / n)``. One rep sees a fifth of a team
  of five's deals, so their rate swings about ``sqrt(5)`` (2.2) times as much: the law of
  large numbers. :func:`win_rate_swing`, :func:`win_rate_sd`, :func:`chance_of_no_win`
  and :func:`swing_table` give the figures; :func:`rep_win_rates` measures them in a run.
- **Wrong beliefs.** The weighted forecast multiplies each deal by the win rate the
  manager *believes* (``forecast.assumed_win_rates``). :func:`shifted_win_rates` makes a
  belief some points off the true rates; :func:`forecast_figures` measures what the forecast
  then says against what happened (a metrics function for
  :func:`sim.experiments.runner.compare`).

>>> round(win_rate_swing(4, 0.25), 2), round(win_rate_swing(400, 0.25), 3)
(0.87, 0.087)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.forecast import accuracy, snapshots
from sim.rules.calendar import in_period


def win_rate_swing(deals, win_rate):
    """Relative swing (coefficient of variation) of the number of deals won, and so of
    the win rate seen and of revenue from equal deals: ``sqrt((1 - p) / (n p))``.

    Parameters
    ----------
    deals : int or array-like
        ``n``, the number of deals decided (won or lost), 1 or more.
    win_rate : float or array-like
        ``p``, each deal's chance to be won, above 0.

    Returns
    -------
    float or ndarray
        0.5 means "a normal period is easily 50% above or below the average".

    >>> float(win_rate_swing(12, 0.25))
    0.5
    """
    n, p = np.asarray(deals, dtype=float), np.asarray(win_rate, dtype=float)
    if np.any(n < 1) or np.any(p <= 0) or np.any(p > 1):
        raise ValueError(f"win_rate_swing: needs deals >= 1 and 0 < win_rate <= 1; got "
                         f"deals={deals!r}, win_rate={win_rate!r}")
    return _plain(np.sqrt((1 - p) / (n * p)))


def _plain(values: np.ndarray):
    """A float for a single value, else the array."""
    return float(values) if values.ndim == 0 else values


def win_rate_sd(deals, win_rate):
    """How far the win rate seen over ``deals`` decided deals typically lies from the true
    ``win_rate`` (its standard deviation, in the rate's own units): ``sqrt(p (1 - p) / n)``
    (``win_rate`` times :func:`win_rate_swing`).

    >>> round(win_rate_sd(100, 0.25), 4)
    0.0433
    """
    return _plain(np.asarray(win_rate, dtype=float) * win_rate_swing(deals, win_rate))


def chance_of_no_win(deals, win_rate):
    """The chance that none of ``deals`` independent deals is won: ``(1 - p) ** n``.

    >>> round(chance_of_no_win(4, 0.25), 2)
    0.32
    """
    return _plain((1 - np.asarray(win_rate, dtype=float)) ** np.asarray(deals, dtype=float))


def swing_table(win_rate: float, deals=(4, 10, 40, 100, 400)) -> pd.DataFrame:
    """The law of large numbers in a table: for each number of deals, the expected wins,
    the relative swing (:func:`win_rate_swing`), how far the win rate seen typically lies
    from ``win_rate`` (:func:`win_rate_sd`) and the chance of winning none.

    >>> swing_table(0.25, [4, 400])["relative swing"].round(3).tolist()
    [0.866, 0.087]
    """
    n = np.asarray(deals, dtype=float)
    return pd.DataFrame({
        "deals": np.asarray(deals, dtype=int),
        "expected wins": n * win_rate,
        "relative swing": win_rate_swing(n, win_rate),
        "win rate seen: typical miss": win_rate_sd(n, win_rate),
        "chance of winning none": chance_of_no_win(n, win_rate),
    })


def rep_win_rates(result) -> pd.DataFrame:
    """Each rep's and the team's win rate over the results period (won / decided of the
    deals closed in it), with the deals decided, and how far a rate seen over that many
    deals typically lies from the team's by chance alone (:func:`win_rate_sd` at the
    team's rate).

    Returns
    -------
    DataFrame
        Indexed by ``rep`` (the reps, then ``team``): ``decided``, ``won``, ``win_rate``,
        ``chance_sd`` (NaN without decisions).
    """
    opps = result.opportunities
    closed = opps[(opps["status"] != "tracking")
                  & in_period(opps["closed_day"], result.scenario.horizon_days)]
    reps = list(result.rep_names)
    decided = closed.groupby("owner").size().reindex(reps, fill_value=0)
    won = closed[closed["status"] == "won"].groupby("owner").size().reindex(
        reps, fill_value=0)
    decided["team"], won["team"] = decided.sum(), won.sum()
    out = pd.DataFrame({"decided": decided.astype(int), "won": won.astype(int)})
    out["win_rate"] = out["won"] / out["decided"].where(out["decided"] > 0)
    team_rate = out.loc["team", "win_rate"]
    out["chance_sd"] = np.nan
    if team_rate > 0:  # (NaN or 0: no decision or no win in the period)
        ok = out["decided"] > 0
        out.loc[ok, "chance_sd"] = win_rate_sd(out.loc[ok, "decided"], team_rate)
    out.index.name = "rep"
    return out


def win_rates_by_rep(result) -> dict[str, float]:
    """Metrics for :func:`sim.experiments.runner.compare`: each rep's win rate (by name)
    and the team's (``team``), from :func:`rep_win_rates`."""
    return {rep: float(rate) for rep, rate in rep_win_rates(result)["win_rate"].items()}


def shifted_win_rates(win_rates, points: float) -> list[float]:
    """A belief ``points`` away from ``win_rates`` (0.10 = ten points too high), each kept
    within 0..1 (so a belief stays a set of chances, still rising stage by stage).

    >>> shifted_win_rates([0.25, 0.35, 0.55, 0.95], 0.10)
    [0.35, 0.45, 0.65, 1.0]
    """
    return [round(float(np.clip(w + points, 0.0, 1.0)), 10) for w in win_rates]


def forecast_figures(result) -> dict[str, float]:
    """What the manager's forecast said against what happened, over the results period
    (a metrics function for :func:`sim.experiments.runner.compare`).

    Returns
    -------
    dict
        ``bias_at_start_pct``: the average error of the forecasts made on each period's
        first day, in percent of the actual (+ = too high);
        ``bias_30_days_before_end_pct``: the same for the forecasts made 30 days before
        each period's end; ``believed_chance_of_quota``: the chance of making quota the
        forecast gave, averaged over the weekly snapshots of the period being forecast;
        ``periods_at_quota``: the share of periods that really made quota.
    """
    start = accuracy(result)
    late = accuracy(result, lead_days=30)
    weekly = snapshots(result)
    current = weekly[(weekly["periods_ahead"] == 0)
                     & (weekly["day"] < result.scenario.horizon_days)]
    periods = start.periods
    return {
        "bias_at_start_pct": float(start.bias_pct),
        "bias_30_days_before_end_pct": float(late.bias_pct),
        "believed_chance_of_quota": float(current["p_quota"].mean()),
        "periods_at_quota": float((periods["actual"] >= periods["quota"]).mean()),
    }
