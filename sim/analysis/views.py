"""The opportunity view (销售机会视图) at any date, rebuilt from a run's history.

The course's opportunity view has four parts; the first three are here (the sales
forecast has its own module):

- :func:`opportunity_list`: the CRM list as it stood on a date;
- :func:`distribution`: distribution statistics by category, by time and by status;
- :func:`funnel`: counts and expected amounts per stage, of *tracking* deals only;

and :func:`cohort_funnel`, the funnel of the deals created in each period, which is
what a conversion rate should be read from.

Nothing here reads the engine's state: the list on a date is rebuilt from the stage
history (which stage a deal had entered, its owner's estimate on entering it, when it
was decided), so the view on 31 March does not know what happened in April.

Dates and days. ``on`` may be a date, a :class:`pandas.Timestamp`, a ``'YYYY-MM-DD'``
string or a day number (days from the scenario's ``start_date``, negative in the
warm-up). It is an instant: a date means its midnight, the *start* of that day, as in
the tables' ``*_day`` columns, and everything that happened at or before that instant
is seen (a deal decided exactly at ``on`` is decided). The default is the end of the
results period, ``start_date + horizon_days``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from sim.analysis.activity import last_effort_day
from sim.analysis.owner_forecast import beliefs_at
from sim.rules.calendar import PERIOD_CODES, day_of_run, to_date
from sim.rules.deals import BestFewRule, last_activity_day, stage_row_at

STATUSES = ("tracking", "won", "lost")
"""Opportunity statuses, in the order the course names them."""

PRIORITIES = ("high", "medium", "low")
TYPES = ("strategic", "tactical")
KINDS = ("contract", "order")

VIEW_LEVELS = ("in_funnel", "best_few", "orders", "closed", "lost")
"""The ``level`` column of :func:`opportunity_list`: the Miller Heiman level of a
tracking deal (``in_funnel`` or ``best_few``), ``orders`` for a won deal whose post-sale
work is still to do, ``closed`` for a won deal with nothing left to do, ``lost``."""

DISTRIBUTION_BY = (
    "type", "kind", "priority", "star", "channel", "medium", "owner", "stage", "level",
    "lost_reason", "status", "created_month", "created_quarter", "expected_close_month",
    "expected_close_quarter",
)
"""What :func:`distribution` can group by: opportunity category and type, time, status."""

COHORT_PERIODS = PERIOD_CODES
"""Cohort period name -> pandas period code (the calendar's periods)."""

_STATIC = ("subject", "customer", "priority", "star", "type", "kind", "owner", "channel",
           "medium", "amount")
"""Opportunity fields that do not change during its life, passed through when present."""

LIST_COLUMNS = [
    "opportunity_id", *_STATIC, "created", "expected_close", "stage", "status",
    "lost_reason", "level", "days_in_stage", "days_since_activity", "rotting",
    "created_day", "expected_close_day", "stage_index", "closed_day",
]
"""Columns of :func:`opportunity_list`, in order."""


# -- dates ----------------------------------------------------------------------------
def as_of_day(result, on=None) -> float:
    """The day number (days from ``start_date``) of the instant ``on``.

    Parameters
    ----------
    result : RunResult
        The run (only its ``scenario`` is used).
    on : date, datetime, pandas.Timestamp, str, int or float, optional
        A date or timestamp (a date means its midnight), a ``'YYYY-MM-DD'`` string, or a
        day number from ``start_date``. Default: the end of the results period.

    Returns
    -------
    float
        Days from ``start_date``, between ``-warmup_days`` and ``horizon_days``.

    Raises
    ------
    ValueError
        When ``on`` is not a date or a number, or falls outside the simulated run; the
        message names the value and the allowed range (see
        :func:`sim.rules.calendar.parse_instant`, the one date parser).
    """
    return day_of_run(result.scenario, on)


# -- the list ---------------------------------------------------------------------------
def opportunity_list(result, on=None) -> pd.DataFrame:
    """The opportunity list (CRM list) as it stood on ``on``.

    One row per opportunity created by then, the deals closing soonest first (by
    expected close, then opportunity id).

    Parameters
    ----------
    result : RunResult
        A run: its ``scenario``, ``opportunities``, ``stage_history``, ``rep_time``
        (extra closing effort) and ``events`` (post-sale work done) are used.
    on : date, pandas.Timestamp, str, int or float, optional
        The instant of the view (see :func:`as_of_day`). Default: the end of the results
        period.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LIST_COLUMNS`:

        - ``subject`` ... ``amount``: the deal's fixed fields, as in
          ``result.opportunities``;
        - ``created``, ``created_day``;
        - ``stage``, ``stage_index``: the stage the deal had entered by ``on``;
        - ``expected_close``, ``expected_close_day``: the owner's latest estimate made
          by ``on`` (:func:`sim.analysis.owner_forecast.beliefs_at`; ``expected_close``
          is its calendar date);
        - ``status``: ``tracking``, ``won`` or ``lost`` as of ``on`` (a decision after
          ``on`` is not yet known: the deal is still tracking);
        - ``lost_reason``: only for deals lost by ``on``, else empty;
        - ``closed_day``: day of the win or loss, for deals decided by ``on``;
        - ``level``: see :data:`VIEW_LEVELS` (Best Few by the scenario's rule, from
          the stage's cycle close and win rate, as the engine decides it);
        - ``days_in_stage``: days since the deal entered its stage (for a decided deal:
          the days it spent in the stage where it was decided);
        - ``days_since_activity``: for a tracking deal, days since the last thing done
          on it in its stage (:func:`sim.rules.deals.last_activity_day`): entering the
          stage, starting or finishing the stage's work, or a session of extra closing
          effort; work under way at ``on`` is activity at ``on``;
        - ``rotting``: a tracking deal whose ``days_since_activity`` exceeds its stage's
          ``rot_days`` (strictly: exactly ``rot_days`` is not yet rotting).

    Raises
    ------
    ValueError
        For an ``on`` that is not a date or lies outside the simulated run.
    """
    sc = result.scenario
    day = as_of_day(result, on)
    opps = result.opportunities
    hist = result.stage_history
    ids, rows = stage_row_at(hist["opportunity_id"], hist["stage_index"],
                             hist["entered_day"], day)
    o_ids = opps["opportunity_id"].to_numpy()
    pos = np.searchsorted(ids, o_ids).clip(max=max(len(ids) - 1, 0))
    has_stage = ids[pos] == o_ids if len(ids) else np.zeros(len(o_ids), bool)
    listed = np.flatnonzero(has_stage & (opps["created_day"].to_numpy(dtype=float) <= day))
    rows = rows[pos[listed]]

    def col(name, dtype=float):
        return hist[name].to_numpy(dtype=dtype)[rows]

    stage = col("stage_index", int)
    oid = o_ids[listed]
    entered = col("entered_day")
    expected = beliefs_at(result, day)["expected_close_day"].reindex(oid).to_numpy(dtype=float)
    decided_day = col("decided_day")
    outcome = col("outcome", object)
    closed_now = (decided_day <= day) & np.isin(outcome, ("won", "lost"))
    status = np.where(closed_now, outcome, "tracking").astype(object)
    tracking = status == "tracking"
    # the last activity in the stage: entry, work started, under way or ended, extra effort
    effort = last_effort_day(result.rep_time, day).reindex(
        pd.MultiIndex.from_arrays([oid, stage])).to_numpy(dtype=float)
    last = last_activity_day(day, entered, col("work_start_day"), col("work_end_day"), effort)
    since = np.where(tracking, day - last, np.nan)
    rot_days = np.array([s.rot_days for s in sc.stages])[stage]
    rotting = tracking & (since > rot_days)

    win_rates = np.asarray(sc.win_rates)[stage]
    few = BestFewRule.of(sc).holds(win_rates, col("cycle_close_day") - day)
    won = status == "won"
    pending = np.zeros(len(oid), bool)
    if sc.post_sale.work_hours > 0 and won.any():
        done = result.handover_days.reindex(oid).to_numpy(dtype=float)
        pending = ~(done <= day)
    level = np.select([tracking & few, tracking, won & pending, won],
                      ["best_few", "in_funnel", "orders", "closed"], "lost")

    created_day = opps["created_day"].to_numpy(dtype=float)[listed]
    names = np.array([s.name for s in sc.stages], dtype=object)
    data = {"opportunity_id": oid}
    data |= {c: opps[c].to_numpy()[listed] for c in _STATIC if c in opps}
    data |= {
        "created": to_date(sc.start_date, created_day),
        "expected_close": to_date(sc.start_date, expected).normalize(),
        "stage": names[stage],
        "status": status,
        "lost_reason": np.where(status == "lost", col("lost_reason", object), ""),
        "level": level,
        "days_in_stage": np.where(tracking, day - entered, decided_day - entered),
        "days_since_activity": since,
        "rotting": rotting,
        "created_day": created_day,
        "expected_close_day": expected,
        "stage_index": stage,
        "closed_day": np.where(tracking, np.nan, decided_day),
    }
    order = np.lexsort((oid, expected))
    return pd.DataFrame({c: v[order] for c, v in data.items()})


# -- distribution statistics ---------------------------------------------------------------
def _known_categories(result, by: str) -> list:
    sc = result.scenario
    known = {
        "type": list(TYPES), "kind": list(KINDS), "priority": list(PRIORITIES),
        "star": [True, False], "status": list(STATUSES), "level": list(VIEW_LEVELS),
        "channel": [c.name for c in sc.channels],
        "owner": list(getattr(result, "rep_names", []) or []),
    }
    return known.get(by, [])


def _time_key(frame: pd.DataFrame, by: str) -> pd.Series:
    column, period = by.rsplit("_", 1)
    return frame[column].dt.to_period(COHORT_PERIODS[period]).astype(str)


def distribution(result, by: str, on=None, status=None,
                 include_warmup: bool = True) -> pd.DataFrame:
    """Distribution statistics of the opportunity list on ``on``.

    The course's three views: by opportunity category or type (``type``, ``kind``,
    ``priority``, ``star``, ``channel``, ``medium``, ``owner``, ``stage``, ``level``,
    ``lost_reason``), by time (``created_month``, ``created_quarter``,
    ``expected_close_month``, ``expected_close_quarter``) and by ``status``.

    Parameters
    ----------
    result : RunResult
        A run.
    by : str
        One of :data:`DISTRIBUTION_BY`.
    on : date, pandas.Timestamp, str, int or float, optional
        The date of the list (see :func:`opportunity_list`); default the end of the
        results period. All deals created by then count, warm-up ones included, unless
        ``include_warmup`` is false.
    status : str or list of str, optional
        Keep only deals with this status (or these statuses) on ``on``; default all.
        Grouping by ``lost_reason`` keeps only the deals lost by then.
    include_warmup : bool
        Count the deals created in the warm-up too (the default: the whole CRM list on
        ``on``). False keeps only the deals created in the results period
        (``created_day >= 0``): the same deals as the headline's ``opportunities``
        (:func:`sim.analysis.metrics.kpis`) when ``on`` is the end of the run. Their
        status is still the one they had on ``on``, so with ``by="status"`` the ``won``
        and ``lost`` rows count deals *created* in the period and decided by ``on``,
        while the headline's ``won`` and ``lost`` count deals *closed* in it (some of
        them created in the warm-up).

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` column (with ``stage_index`` before it for
        ``stage``), ``count``, ``amount`` (total, in the scenario currency),
        ``mean_amount``, ``count_share`` and ``amount_share`` (of the deals kept; each
        sums to 1 unless nothing is kept, when they are NaN). Known categories (stages
        in order, the statuses, priorities, types, kinds, the scenario's channels and
        reps) are listed even when empty; periods run in time order.

    Raises
    ------
    ValueError
        For an unknown ``by`` or ``status``, or a bad ``on``.
    """
    if by not in DISTRIBUTION_BY:
        raise ValueError(f"cannot group opportunities by {by!r}: choose one of "
                         f"{', '.join(DISTRIBUTION_BY)}")
    view = opportunity_list(result, on)
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        unknown = [s for s in wanted if s not in STATUSES]
        if unknown:
            raise ValueError(f"unknown status {unknown[0]!r}: choose from "
                             f"{', '.join(STATUSES)}")
        view = view[view["status"].isin(wanted)]
    if not include_warmup:
        view = view[view["created_day"] >= 0]

    if by == "lost_reason":
        view = view[view["status"] == "lost"]

    if by == "stage":
        key, labels = view["stage_index"], list(range(len(result.scenario.stages)))
    elif by.endswith(("_month", "_quarter")):
        key, labels = _time_key(view, by), []
    else:
        key, labels = view[by], _known_categories(result, by)
    stats = view["amount"].groupby(key.to_numpy()).agg(["size", "sum"])
    known = set(labels)
    order = labels + sorted(v for v in stats.index if v not in known)
    stats = stats.reindex(order, fill_value=0)

    count = stats["size"].to_numpy(dtype=int)
    amount = stats["sum"].to_numpy(dtype=float)
    n, total = count.sum(), amount.sum()
    nan = np.full(len(count), np.nan)
    if by == "stage":
        names = [s.name for s in result.scenario.stages]
        groups = {"stage_index": np.asarray(order, dtype=int),
                  "stage": pd.Series([names[k] for k in order], dtype=object)}
    else:
        groups = {by: pd.Series(order, dtype=bool if by == "star" else object)}
    return pd.DataFrame({
        **groups,
        "count": count,
        "amount": amount,
        "mean_amount": np.where(count > 0, amount / np.maximum(count, 1), np.nan),
        "count_share": count / n if n else nan,
        "amount_share": amount / total if total else nan,
    })


# -- the funnel --------------------------------------------------------------------------
def funnel(result, on=None, win_rates: Literal["assumed", "true"] = "assumed") -> pd.DataFrame:
    """The sales funnel on ``on``: count and expected amount per stage.

    As the course says, the funnel counts **only opportunities whose status is
    "tracking"** on that date: won and lost deals are out of the funnel.

    Parameters
    ----------
    result : RunResult
        A run.
    on : date, pandas.Timestamp, str, int or float, optional
        The date of the funnel (see :func:`opportunity_list`); default the end of the
        results period.
    win_rates : {"assumed", "true"}
        The stage win rates that weight the amounts: the manager's
        (``scenario.assumed_win_rates``, the true ones unless set otherwise) or the
        true ones (``scenario.win_rates``).

    Returns
    -------
    pandas.DataFrame
        One row per stage, in order, empty stages included: ``stage_index``, ``stage``,
        ``win_rate``, ``count``, ``amount`` (total expected amount), ``weighted_amount``
        (the sum of amount x stage win rate) and ``rotting`` (how many of them rot).
    """
    sc = result.scenario
    if win_rates not in ("assumed", "true"):
        raise ValueError(f"win_rates={win_rates!r}: choose 'assumed' or 'true'")
    rates = np.asarray(sc.assumed_win_rates if win_rates == "assumed" else sc.win_rates)
    view = opportunity_list(result, on)
    tracking = view[view["status"] == "tracking"]
    k = len(sc.stages)
    stage = tracking["stage_index"].to_numpy(dtype=int)
    amount = tracking["amount"].to_numpy(dtype=float)
    count = np.bincount(stage, minlength=k)
    total = np.bincount(stage, weights=amount, minlength=k)
    rotting = np.bincount(stage, weights=tracking["rotting"].to_numpy(dtype=float),
                          minlength=k)
    return pd.DataFrame({
        "stage_index": np.arange(k),
        "stage": pd.Series([s.name for s in sc.stages], dtype=object),
        "win_rate": rates,
        "count": count,
        "amount": total,
        "weighted_amount": total * rates,
        "rotting": rotting.astype(int),
    })


# -- the cohort funnel ----------------------------------------------------------------
def cohort_funnel(result, period: str = "quarter", include_warmup: bool = False) -> pd.DataFrame:
    """Of the opportunities created in each period, how many reached each stage and won.

    Why a cohort funnel. The funnel on a date (:func:`funnel`) counts the deals that
    are *in* each stage now. Read as conversion it misleads: a deal stuck in an early
    stage stays there and is counted again on every date, while the deals that moved on
    are counted once in each later stage and then leave the funnel when decided. So
    neglected or slow deals make the top look fat, and the ratio of one stage's count
    to the next says how long deals sit in each stage as much as how many advance. A
    cohort funnel follows one group of deals, those created in the same period, and
    counts each deal once in every stage it *reached* (it has a stage history row for
    that stage), whatever became of it later. The counts can only fall from stage to
    stage and their ratios are true conversion rates. Recent cohorts are not finished:
    ``still_open`` says how many of their deals are still tracking in each stage at
    the end of the run.

    Parameters
    ----------
    result : RunResult
        A run (its ``opportunities`` and ``stage_history``, over the whole run).
    period : {"month", "quarter", "year"}
        The cohorts: calendar periods of the creation date.
    include_warmup : bool
        Also the deals created in the warm-up (default: only those created in the
        results period).

    Returns
    -------
    pandas.DataFrame
        One row per cohort and step, cohorts in time order; the steps are the stages in
        order and then ``won``. Columns: ``cohort`` (``'2026Q1'``, ``'2026-01'`` or
        ``'2026'``), ``step_index`` (the stage index; the number of stages for
        ``won``), ``step`` (stage name or ``won``), ``reached`` (deals of the cohort that
        reached the step), ``share_of_cohort`` (``reached`` over the cohort's size),
        ``conversion`` (the share of those that reached the next step; NaN for ``won``
        or when none reached this one) and ``still_open`` (deals still tracking in this
        stage at the end of the run).
    """
    if period not in COHORT_PERIODS:
        raise ValueError(f"period={period!r}: choose one of {', '.join(COHORT_PERIODS)}")
    sc = result.scenario
    k = len(sc.stages)
    opps = result.opportunities
    if not include_warmup:
        opps = opps[opps["created_day"] >= 0]
    created = to_date(sc.start_date, opps["created_day"].to_numpy(dtype=float))
    cohort = created.to_period(COHORT_PERIODS[period])
    cohort = pd.Series(cohort.astype(str).to_numpy(dtype=object),
                       index=opps["opportunity_id"].to_numpy())
    cohorts = sorted(cohort.unique())

    hist = result.stage_history.drop_duplicates(["opportunity_id", "stage_index"])
    hist = hist[hist["opportunity_id"].isin(cohort.index)]
    code = pd.Index(cohorts).get_indexer(hist["opportunity_id"].map(cohort))
    cell = code * (k + 1) + hist["stage_index"].to_numpy(dtype=int)
    outcome = hist["outcome"].to_numpy(dtype=object)
    won = outcome == "won"
    cells = len(cohorts) * (k + 1)
    # each history row counts once at its stage; a won row counts once more at "won"
    reached = (np.bincount(cell, minlength=cells)
               + np.bincount(code[won] * (k + 1) + k, minlength=cells))
    still_open = np.bincount(cell[outcome == "open"], minlength=cells)

    reached = reached.reshape(len(cohorts), k + 1)
    size = cohort.value_counts().reindex(cohorts).to_numpy(dtype=int)[:, None]
    nxt = np.concatenate([reached[:, 1:], np.zeros((len(cohorts), 1), int)], axis=1)
    share = np.where(size > 0, reached / np.maximum(size, 1), np.nan)
    conversion = np.where(reached > 0, nxt / np.maximum(reached, 1), np.nan)
    conversion[:, k] = np.nan
    names = [s.name for s in sc.stages] + ["won"]
    return pd.DataFrame({
        "cohort": pd.Series(np.repeat(np.asarray(cohorts, dtype=object), k + 1), dtype=object),
        "step_index": np.tile(np.arange(k + 1), len(cohorts)),
        "step": pd.Series(np.tile(np.asarray(names, dtype=object), len(cohorts)),
                          dtype=object),
        "reached": reached.reshape(-1),
        "share_of_cohort": share.reshape(-1),
        "conversion": conversion.reshape(-1),
        "still_open": still_open,
    })
