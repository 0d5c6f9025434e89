"""Anomalous opportunities: deals rotting (no activity for too long) or stuck (in a stage
far longer than usual), and deals lost to neglect, per rep."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.activity import last_effort_day
from sim.analysis.diagnostics._shared import NEGLECT, TEAM, _ratio, _stage_left_day
from sim.analysis.owner_forecast import beliefs_at
from sim.rules import deals
from sim.rules.calendar import day_of_run, in_period


def _open_stages(result, on: float) -> pd.DataFrame:
    """The stage each deal tracking at day ``on`` is in, with its last activity."""
    sc = result.scenario
    hist = result.stage_history
    now = deals.in_stage(hist["entered_day"], _stage_left_day(hist), [on])[:, 0]
    current = hist[now]
    opps = result.opportunities.set_index("opportunity_id")
    out = current[["opportunity_id", "owner", "stage_index", "stage", "entered_day",
                   "expected_close_day"]].reset_index(drop=True)
    out.insert(4, "amount", out["opportunity_id"].map(opps["amount"]).to_numpy(dtype=float))
    # the owner's latest estimate by then, not the one made on entering the stage
    out["expected_close_day"] = out["opportunity_id"].map(
        beliefs_at(result, on)["expected_close_day"]).to_numpy(dtype=float)
    start = current["work_start_day"].to_numpy(dtype=float)
    stop = current["work_end_day"].to_numpy(dtype=float)
    started, finished = start <= on, stop <= on  # NaN compares False
    key = pd.MultiIndex.from_arrays([out["opportunity_id"], out["stage_index"]])
    effort = last_effort_day(result.rep_time, on).reindex(key).to_numpy(dtype=float)
    last = deals.last_activity_day(on, out["entered_day"], start, stop, effort)
    out["last_activity_day"] = last
    out["days_idle"] = on - last
    out["days_in_stage"] = on - out["entered_day"]
    rot_days = np.asarray([s.rot_days for s in sc.stages])
    out["rot_days"] = rot_days[out["stage_index"].to_numpy(dtype=int)]
    out["waiting_on"] = np.select([finished, started], ["customer", "rep_working"], "rep")
    out["days_past_expected_close"] = (on - out["expected_close_day"]).clip(lower=0)
    return out


def rotting_deals(result, on=None) -> pd.DataFrame:
    """Tracking deals with no activity for longer than their stage's ``rot_days``.

    As in Pipedrive or Odoo, a deal *rots* when nobody has touched it for a set number of
    days (30 is the usual default); any activity resets the clock. Activity here is what
    the run records: entering the stage, the rep starting and finishing the stage's
    work, and sessions of extra closing effort. The engine itself penalises only the wait
    *before* the rep starts the stage's work (``waiting_on == "rep"``); a deal waiting
    for the customer's decision (``"customer"``) rots in the CRM's sense too, and is a
    deal the rep should chase.

    Parameters
    ----------
    on : float, date or None
        The review day: a day number (days from ``start_date``), a date, a timestamp or a
        ``'YYYY-MM-DD'`` string, within the run (warm-up included); None = the end of the
        results period. Anything else raises ``ValueError`` (see
        :func:`sim.rules.calendar.parse_instant`).

    Returns
    -------
    DataFrame
        One row per rotting deal, longest idle first: ``opportunity_id``, ``owner``,
        ``stage_index``, ``stage``, ``amount``, ``entered_day``, ``expected_close_day``,
        ``last_activity_day``, ``days_idle``, ``days_in_stage``, ``rot_days``,
        ``waiting_on`` (``"rep"``: the stage's work is not started; ``"rep_working"``;
        ``"customer"``: the work is done, the customer decides) and
        ``days_past_expected_close``.
    """
    return _rotting(_open_stages(result, day_of_run(result.scenario, on)))


def _rotting(open_: pd.DataFrame) -> pd.DataFrame:
    rot = open_[open_["days_idle"] > open_["rot_days"]]
    return rot.sort_values("days_idle", ascending=False, kind="stable").reset_index(drop=True)


def typical_stage_days(result, on=None, min_decisions: int = 5) -> np.ndarray:
    """Each stage's typical duration, as a CRM's history shows it.

    The median days from entering to leaving the stage over the decisions made up to
    ``on``; for a stage with fewer than ``min_decisions`` decisions, the scenario's own
    figure (:func:`sim.rules.deals.typical_stage_days`: mean work at the team's hours per
    day plus the mean decision time).

    Parameters
    ----------
    on : float, date or None
        The review day, as in :func:`rotting_deals`; None = the end of the results period.
    min_decisions : int
        Fewest decisions for the history's median to stand for a stage.

    Returns
    -------
    ndarray
        Days, one per stage.
    """
    sc = result.scenario
    day = day_of_run(result.scenario, on)
    hist = result.stage_history
    done = hist[(hist["outcome"] != "open") & (hist["decided_day"] <= day)]
    med = (done["decided_day"] - done["entered_day"]).groupby(done["stage_index"]).agg(
        ["median", "size"])
    typical = np.array(deals.typical_stage_days(sc.stages, sc.team.hours_per_day))
    ok = med[med["size"] >= min_decisions]["median"]
    typical[ok.index.to_numpy(dtype=int)] = ok.to_numpy()
    return typical


def stuck_deals(result, on=None, factor: float = 2.0,
                typical_days: Sequence[float] | None = None) -> pd.DataFrame:
    """Tracking deals that have been in their stage far longer than it usually takes.

    A deal is *stuck* when its days in the current stage exceed ``factor`` times the
    stage's typical duration. Unlike rotting, activity does not reset this clock: a deal
    the rep keeps touching but the customer never moves is stuck, not rotting.

    Parameters
    ----------
    on : float, date or None
        The review day, as in :func:`rotting_deals`; None = the end of the results period.
    factor : float
        How many typical durations make a deal stuck.
    typical_days : sequence of float, optional
        Each stage's typical duration in days; by default :func:`typical_stage_days`
        (the median of the run's own history up to ``on``).

    Returns
    -------
    DataFrame
        The columns of :func:`rotting_deals` plus ``typical_days`` and ``times_typical``
        (days in stage / typical), most stuck first.
    """
    day = day_of_run(result.scenario, on)
    typical = (np.asarray(typical_days, dtype=float) if typical_days is not None
               else typical_stage_days(result, day))
    return _stuck(_open_stages(result, day), typical, factor)


def _stuck(open_: pd.DataFrame, typical: np.ndarray, factor: float) -> pd.DataFrame:
    open_ = open_.assign(typical_days=typical[open_["stage_index"].to_numpy(dtype=int)])
    open_["times_typical"] = _ratio(open_["days_in_stage"], open_["typical_days"])
    stuck = open_[open_["days_in_stage"] > factor * open_["typical_days"]]
    return stuck.sort_values("times_typical", ascending=False,
                             kind="stable").reset_index(drop=True)


def neglect_summary(result, on=None, factor: float = 2.0) -> pd.DataFrame:
    """Per rep and team: deals tracking, rotting and stuck at ``on``, and deals lost to
    neglect in the results period up to ``on``.

    Parameters
    ----------
    on : float, date or None
        The review day, as in :func:`rotting_deals`; None = the end of the results period.
    factor : float
        How many typical durations make a deal stuck (see :func:`stuck_deals`).

    Returns
    -------
    DataFrame
        ``rep``, ``tracking``, ``rotting``, ``rotting_amount``, ``stuck``,
        ``stuck_amount``, ``lost``, ``lost_to_neglect``, ``lost_to_neglect_amount`` and
        ``neglect_share_of_losses``.
    """
    day = day_of_run(result.scenario, on)
    reps = [*result.rep_names, TEAM]
    open_ = _open_stages(result, day)
    rot = _rotting(open_)
    stuck = _stuck(open_, typical_stage_days(result, day), factor)
    opps = result.opportunities
    lost = opps[(opps["status"] == "lost")
                & in_period(opps["closed_day"], min(day, result.scenario.horizon_days))]
    neglect = lost[lost["lost_reason"] == NEGLECT]

    def per_rep(frame, owner="owner", value=None):
        s = (frame.groupby(owner).size() if value is None
             else frame.groupby(owner)[value].sum())
        s = s.reindex(reps[:-1], fill_value=0)
        return np.append(s.to_numpy(), s.sum())

    out = pd.DataFrame({
        "rep": reps,
        "tracking": per_rep(open_),
        "rotting": per_rep(rot),
        "rotting_amount": per_rep(rot, value="amount").astype(float),
        "stuck": per_rep(stuck),
        "stuck_amount": per_rep(stuck, value="amount").astype(float),
        "lost": per_rep(lost),
        "lost_to_neglect": per_rep(neglect),
        "lost_to_neglect_amount": per_rep(neglect, value="amount").astype(float),
    })
    out["neglect_share_of_losses"] = _ratio(out["lost_to_neglect"], out["lost"])
    return out
