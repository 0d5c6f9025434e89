"""What a CRM export says about its own funnel: the stages in order, each stage's win
rate, its decision time and its chance to slip out of a period.

Every function takes the canonical frames of :mod:`sim.crm.reader` (opportunities, one
row per deal; history, one row per change) and returns plain tables. Rates are Beta
posteriors from a uniform prior (``Beta(1 + s, 1 + n - s)`` after ``s`` of ``n``),
reported by their mean and 95% credible interval; a figure resting on fewer than
:data:`SMALL_SAMPLE` observations is flagged ``small``.

How each figure is read from the data:

- **The stages in order** (:func:`stage_order`). With a history, from the order in
  which deals went through them: stage A comes before B when more deals entered A
  before B than the other way round; stages are ranked by how many others they come
  before (a Copeland ranking: robust to a deal that went back a stage or skipped one).
  Stages no history row shows are placed by their probability among the others. Without
  a history, by ascending probability (the CRM's stage probability rises down the
  funnel), then by name. Closed stages ("Closed Won", "Closed Lost") are not funnel
  stages (:func:`closed_stages`).
- **A closed deal's path** (:func:`deal_paths`): the first and the furthest funnel
  stage it was in. A won deal went through the whole funnel from its first stage, so
  its furthest stage is the last.
- **Win rate** ``P(win | reached stage)`` (:func:`win_rates`): among the closed deals
  whose path covers the stage, the share won. Open deals are left out (their outcome is
  not known).
- **Days in stage** (:func:`stage_days`): from the history, each stay from the first
  row in a stage to the first row in another; a stay still going on at the export is
  left out (censored) and counted.
- **Slip** (:func:`slip_rates`): for past periods as long as the one asked about, the
  deals open at a period's start whose expected close then lay inside it; the share of
  them not closed (won or lost) by its end, by their stage at its start.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.statistics import beta_interval, mean_ci
from sim.rules.calendar import to_day

SMALL_SAMPLE = 20
"""Fewer observations than this and a figure is flagged ``small``: a Beta interval from
under 20 trials is wider than about +-0.2 for a rate near one half."""

OPEN = "tracking"
WON = "won"
LOST = "lost"

_CLOSED_NAME = re.compile(r"closed|\bwon\b|\blost\b", re.IGNORECASE)


@dataclass(frozen=True)
class PipelineFit:
    """What :func:`fit_pipeline` learnt from a CRM export.

    Attributes
    ----------
    stages : tuple of str
        The funnel stages in order (closed stages left out).
    order_from : str
        ``"history"`` or ``"probability"`` (how the order was found; see the module).
    table : DataFrame
        One row per stage, in order: ``stage``, ``position``; the win rate's
        ``reached`` (closed deals whose path covers the stage), ``won``, ``win_rate``
        (posterior mean), ``win_low``, ``win_high`` (95% interval), ``win_small``; the
        days in stage's ``stays``, ``days_mean``, ``days_sd``, ``days_low``,
        ``days_high`` (95% t-interval of the mean), ``days_small``; the slip's
        ``expected`` (deals expected to close in a past period, at its start),
        ``slipped``, ``slip_rate``, ``slip_low``, ``slip_high``, ``slip_small``; and
        ``probability`` (the median probability the file gives the stage's deals).
        Figures with no data are NaN.
    paths : DataFrame
        One row per closed deal with a known path: ``id``, ``status``, ``first`` and
        ``furthest`` (stage positions).
    notes : tuple of str
        What was left out or could not be fitted, and why.
    """

    stages: tuple[str, ...]
    order_from: str
    table: pd.DataFrame
    paths: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


# -- the stages -------------------------------------------------------------------------

def closed_stages(opportunities: pd.DataFrame,
                  history: pd.DataFrame | None = None) -> set[str]:
    """The stage names that mark a closed deal rather than a funnel stage.

    In the opportunities, a stage is closed when every deal the file shows in it is
    closed with one outcome (all won, or all lost) and its name says so ("Closed Won",
    "Won", "Lost") or the file gives it a probability of 0 or 1 throughout; an export
    that leaves a lost deal in the stage where it was lost (as the sandbox and Odoo do)
    keeps that stage a funnel stage. In the history, a stage is closed when every row in
    it has the category ``closed`` or ``omitted`` and its name says so, or it is always
    a deal's last row (Salesforce's "Closed Won" / "Closed Lost" rows).
    """
    found = set()
    for stage, rows in opportunities.groupby("stage", sort=False):
        statuses = set(rows["status"])
        if len(statuses) != 1 or statuses == {OPEN}:
            continue
        probs = rows["probability"].dropna()
        certain = len(probs) > 0 and bool(probs.isin([0.0, 1.0]).all())
        if _CLOSED_NAME.search(str(stage)) or certain:
            found.add(stage)
    if history is not None and len(history):
        open_stages = set(opportunities.loc[opportunities["status"] == OPEN, "stage"])
        h = history.sort_values(["opportunity_id", "timestamp"], kind="stable")
        last = ~h["opportunity_id"].duplicated(keep="last")
        final = h["forecast_category"].isin(["closed", "omitted"])
        for stage, rows in h.groupby("stage", sort=False):
            if stage in open_stages or not final[rows.index].all():
                continue
            if _CLOSED_NAME.search(str(stage)) or last[rows.index].all():
                found.add(stage)
    return found


def stage_order(opportunities: pd.DataFrame,
                history: pd.DataFrame | None = None) -> tuple[list[str], str]:
    """The funnel stages in order, and how the order was found (``"history"`` or
    ``"probability"``); see the module's notes.

    Examples
    --------
    >>> opps = pd.DataFrame({"stage": ["Proposal", "Qualify", "Closed Won"],
    ...                      "probability": [0.6, 0.2, 1.0],
    ...                      "status": ["tracking", "tracking", "won"]})
    >>> stage_order(opps)
    (['Qualify', 'Proposal'], 'probability')
    """
    closed = closed_stages(opportunities, history)
    stages = [s for s in pd.unique(opportunities["stage"]) if s not in closed]
    if history is not None:
        stages += [s for s in pd.unique(history["stage"].dropna())
                   if s not in closed and s not in stages]
    prob = _stage_probability(opportunities, stages)
    by_probability = sorted(stages, key=lambda s: (_nan_last(prob[s]), str(s)))
    if history is None or history.empty:
        return by_probability, "probability"
    seen = [s for s in by_probability if s in set(history["stage"])]
    if not seen:
        return by_probability, "probability"
    order = _copeland(history, seen, closed)
    for s in by_probability:  # stages no history row shows: by probability among the rest
        if s in order:
            continue
        after = [i for i, t in enumerate(order) if _nan_last(prob[t]) <= _nan_last(prob[s])]
        order.insert(after[-1] + 1 if after else 0, s)
    return order, "history"


def _nan_last(x: float) -> float:
    return math.inf if x != x else x


def _stage_probability(opportunities: pd.DataFrame, stages) -> dict:
    """Each stage's median probability over its open deals (over all its deals when none
    is open: a closed deal's probability is its outcome, 0 or 1)."""
    is_open = opportunities["status"] == OPEN
    med = opportunities[is_open].groupby("stage")["probability"].median()
    med = med.combine_first(opportunities.groupby("stage")["probability"].median())
    return {s: float(med.get(s, math.nan)) for s in stages}


def _copeland(history: pd.DataFrame, stages: list[str], closed: set[str]) -> list[str]:
    """Stages ranked by how many others most deals entered after them; ties keep the
    order given (by probability)."""
    h = history[history["stage"].isin(stages)]
    first = h.groupby(["opportunity_id", "stage"])["timestamp"].min().unstack()
    first = first.reindex(columns=stages).to_numpy(dtype="datetime64[ns]")
    k = len(stages)
    before = np.zeros((k, k))
    for a in range(k):  # deals that entered a before b, over all deals at once
        before[a] = (first[:, [a]] < first).sum(axis=0)  # NaT compares False
    score = np.sign(before - before.T).sum(axis=1)
    ranked = sorted(range(k), key=lambda i: (-score[i], i))
    return [stages[i] for i in ranked]


# -- each closed deal's path -----------------------------------------------------------

def deal_paths(opportunities: pd.DataFrame, history: pd.DataFrame | None,
               stages: list[str]) -> tuple[pd.DataFrame, int]:
    """Each closed deal's first and furthest funnel stage (positions in ``stages``), and
    how many closed deals have no known path (a lost deal shown only as "Closed Lost"
    with no history row in a funnel stage).

    A won deal's furthest stage is the last one; its first stage is its earliest in the
    history, or the first stage of the funnel without one.
    """
    pos = {s: i for i, s in enumerate(stages)}
    closed = opportunities[opportunities["status"].isin([WON, LOST])]
    first = pd.Series(np.nan, index=closed["id"].to_numpy())
    furthest = first.copy()
    if history is not None and not history.empty:
        h = history[history["stage"].isin(pos)]
        where = h["stage"].map(pos)
        g = where.groupby(h["opportunity_id"])
        lo, hi = g.min(), g.max()
        first = first.fillna(lo.reindex(first.index))
        furthest = furthest.fillna(hi.reindex(furthest.index))
    own = closed["stage"].map(pos).to_numpy(dtype=float)  # a lost deal left in its stage
    first = first.fillna(pd.Series(own, index=first.index))
    furthest = pd.Series(np.fmax(furthest.to_numpy(dtype=float), own), index=first.index)
    won = (closed["status"] == WON).to_numpy()
    last = len(stages) - 1
    furthest[won] = last
    first[won] = first[won].fillna(0.0)
    paths = pd.DataFrame({"id": closed["id"].to_numpy(), "status": closed["status"].to_numpy(),
                          "first": first.to_numpy(), "furthest": furthest.to_numpy()})
    known = paths["furthest"].notna() & paths["first"].notna()
    paths = paths[known].astype({"first": int, "furthest": int}).reset_index(drop=True)
    paths["first"] = np.minimum(paths["first"], paths["furthest"])
    return paths, int((~known).sum())


# -- the figures -------------------------------------------------------------------------

def beta_summary(successes, trials) -> pd.DataFrame:
    """Mean and 95% interval of each rate's posterior ``Beta(1 + s, 1 + n - s)``.

    Returns
    -------
    DataFrame
        ``mean``, ``low``, ``high``, ``small`` (fewer than :data:`SMALL_SAMPLE` trials);
        one row per rate.
    """
    rows = []
    for s, n in zip(np.asarray(successes, dtype=float), np.asarray(trials, dtype=float),
                    strict=True):
        if n <= 0:
            rows.append((math.nan, math.nan, math.nan, True))
            continue
        a, b = 1 + s, 1 + n - s
        lo, hi = beta_interval(a, b)
        rows.append((a / (a + b), lo, hi, bool(n < SMALL_SAMPLE)))
    return pd.DataFrame(rows, columns=["mean", "low", "high", "small"])


def win_rates(paths: pd.DataFrame, n_stages: int) -> pd.DataFrame:
    """``P(win | reached stage)`` per stage from the closed deals' paths.

    Returns
    -------
    DataFrame
        ``reached``, ``won``, ``win_rate``, ``win_low``, ``win_high``, ``win_small``; one
        row per stage position.
    """
    k = np.arange(n_stages)[:, None]
    covers = (paths["first"].to_numpy()[None, :] <= k) & (k <= paths["furthest"].to_numpy())
    won = (paths["status"] == WON).to_numpy()[None, :]
    reached = covers.sum(axis=1)
    wins = (covers & won).sum(axis=1)
    post = beta_summary(wins, reached)
    return pd.DataFrame({"reached": reached, "won": wins, "win_rate": post["mean"],
                         "win_low": post["low"], "win_high": post["high"],
                         "win_small": post["small"]})


def stage_days(history: pd.DataFrame | None, stages: list[str]) -> tuple[pd.DataFrame, int]:
    """Days in each stage from the history, and how many stays were still going on
    (left out: their length is not known yet).

    Returns
    -------
    DataFrame
        ``stays``, ``days_mean``, ``days_sd``, ``days_low``, ``days_high``,
        ``days_small``, ``days`` (the list of stays); one row per stage position.
    int
        Stays still going on at the export.
    """
    spells = stays(history, stages)
    done = spells.dropna(subset=["days"])
    rows = []
    for i in range(len(stages)):
        d = done.loc[done["position"] == i, "days"].to_numpy(dtype=float)
        mean, sd, lo, hi = mean_ci(d)
        rows.append({"stays": len(d), "days_mean": mean, "days_sd": sd, "days_low": lo,
                     "days_high": hi, "days_small": bool(len(d) < SMALL_SAMPLE),
                     "days": d})
    return pd.DataFrame(rows), int(spells["days"].isna().sum())


def stays(history: pd.DataFrame | None, stages: list[str]) -> pd.DataFrame:
    """Each stay of a deal in a funnel stage: ``opportunity_id``, ``position``,
    ``start``, ``end`` (timestamps; NaT while it goes on) and ``days``.

    A stay starts at the deal's first row in the stage and ends at its first later row in
    another stage (a funnel stage or a closed one); rows that change only the amount or
    the close date do not end it.
    """
    cols = ["opportunity_id", "position", "start", "end", "days"]
    if history is None or history.empty:
        return pd.DataFrame(columns=cols)
    pos = {s: i for i, s in enumerate(stages)}
    h = history.dropna(subset=["stage"]).sort_values(["opportunity_id", "timestamp"],
                                                     kind="stable")
    opp = h["opportunity_id"].to_numpy()
    stage = h["stage"].to_numpy()
    new = np.ones(len(h), dtype=bool)
    new[1:] = (opp[1:] != opp[:-1]) | (stage[1:] != stage[:-1])
    runs = h[new].reset_index(drop=True)
    same_next = runs["opportunity_id"].shift(-1) == runs["opportunity_id"]
    runs["end"] = runs["timestamp"].shift(-1).where(same_next)
    runs = runs[runs["stage"].isin(pos)]
    origin = runs["timestamp"].min() if len(runs) else pd.Timestamp(0)
    days = days_from(origin, runs["end"]) - days_from(origin, runs["timestamp"])
    return pd.DataFrame({"opportunity_id": runs["opportunity_id"].to_numpy(),
                         "position": runs["stage"].map(pos).to_numpy(dtype=int),
                         "start": runs["timestamp"].to_numpy(),
                         "end": runs["end"].to_numpy(), "days": days.to_numpy()})


def days_from(origin, when: pd.Series) -> pd.Series:
    """Days from ``origin`` to each instant of ``when`` (NaN for NaT), converted by the
    calendar (:func:`sim.rules.calendar.to_day`) once per distinct instant."""
    when = pd.Series(when)
    distinct = when.dropna().unique()
    table = {t: to_day(origin, t) for t in distinct}
    return when.map(table).astype(float)


def slip_rates(opportunities: pd.DataFrame, history: pd.DataFrame | None,
               stages: list[str], start, end) -> tuple[pd.DataFrame, int]:
    """Each stage's chance that a deal expected to close in a period does not close in
    it, from past periods of the same length as ``[start, end)``.

    The past periods are ``[start - k L, start - (k - 1) L)`` for ``k = 1, 2, ...``
    (``L`` the period's days) while they lie within the history (from its first row to
    its last). In each, the deals open at its start (their latest history row by then
    in a funnel stage) whose expected close then lay inside it count as *expected*; they
    *slipped* if they had not closed (won or lost) by its end.

    Returns
    -------
    DataFrame
        ``expected``, ``slipped``, ``slip_rate``, ``slip_low``, ``slip_high``,
        ``slip_small``; one row per stage position.
    int
        How many past periods were used.
    """
    n = len(stages)
    counts = np.zeros((2, n))
    periods = 0
    if history is not None and not history.empty:
        pos = {s: i for i, s in enumerate(stages)}
        origin = pd.Timestamp(start)
        length = to_day(origin, end)
        h = history.sort_values(["opportunity_id", "timestamp"], kind="stable").copy()
        h["expected_close"] = h.groupby("opportunity_id")["expected_close"].ffill()
        h["t"] = days_from(origin, h["timestamp"])
        h["close_t"] = days_from(origin, h["expected_close"])
        closed_at = _closed_days(opportunities, h, origin, set(pos))
        first, last = h["t"].min(), h["t"].max()
        k = 1
        while -k * length >= first and length > 0:
            t0, t1 = -k * length, -(k - 1) * length
            if t1 <= last:
                periods += 1
                state = h[h["t"] <= t0].groupby("opportunity_id").tail(1)
                state = state[state["stage"].isin(pos)
                              & (state["close_t"] >= t0) & (state["close_t"] < t1)]
                done = closed_at.reindex(state["opportunity_id"]).to_numpy()
                open_at_start = ~(done <= t0)
                state, done = state[open_at_start], done[open_at_start]
                slipped = ~(done < t1)
                where = state["stage"].map(pos).to_numpy(dtype=int)
                np.add.at(counts[0], where, 1)
                np.add.at(counts[1], where, slipped.astype(float))
            k += 1
    post = beta_summary(counts[1], counts[0])
    return pd.DataFrame({"expected": counts[0].astype(int), "slipped": counts[1].astype(int),
                         "slip_rate": post["mean"], "slip_low": post["low"],
                         "slip_high": post["high"], "slip_small": post["small"]}), periods


def _closed_days(opportunities, h, origin, funnel: set) -> pd.Series:
    """Each deal's closing instant in days from ``origin``: its ``closed_date``, else its
    first history row in a closed stage (NaN while open)."""
    opps = opportunities.set_index("id")
    closed = days_from(origin, opps["closed_date"].where(opps["status"] != OPEN))
    ended = h[~h["stage"].isin(funnel) & h["stage"].notna()]
    by_history = ended.groupby("opportunity_id")["t"].min()
    return closed.fillna(by_history.reindex(closed.index))


def fit_pipeline(opportunities: pd.DataFrame, history: pd.DataFrame | None = None, *,
                 period: tuple | None = None) -> PipelineFit:
    """Fit the funnel of a CRM export: stage order, win rates, days in stage and slip.

    Parameters
    ----------
    opportunities : DataFrame
        The canonical opportunities (:func:`sim.crm.reader.read_opportunities`).
    history : DataFrame, optional
        The canonical history (:func:`sim.crm.reader.read_history`); without it there
        are no days in stage and no slip, and the order comes from the probabilities.
    period : (start, end), optional
        The period a slip is measured against (its length sets the past periods); none:
        no slip.

    Returns
    -------
    PipelineFit
    """
    if history is not None and history.empty:
        history = None
    stages, how = stage_order(opportunities, history)
    notes = []
    if how == "probability" and history is None:
        notes.append("stage order: by ascending probability (no history given)")
    paths, unknown = deal_paths(opportunities, history, stages)
    if unknown:
        notes.append(f"win rates: {unknown} lost deal(s) left out: no stage they reached is "
                     "known (give the history)")
    n_open = int((opportunities["status"] == OPEN).sum())
    if n_open:
        notes.append(f"win rates: {n_open} open deal(s) left out (outcome not known yet)")
    table = pd.DataFrame({"stage": stages, "position": range(len(stages))})
    table = pd.concat([table, win_rates(paths, len(stages))], axis=1)
    days, going_on = stage_days(history, stages)
    table = pd.concat([table, days.drop(columns="days")], axis=1)
    if history is None:
        notes.append("days in stage: need the history")
    elif going_on:
        notes.append(f"days in stage: {going_on} stay(s) still going on left out")
    if period is not None:
        slip, periods = slip_rates(opportunities, history, stages, *period)
        if history is None:
            notes.append("slip: needs the history")
        elif periods == 0:
            notes.append("slip: the history does not cover a whole past period as long as "
                         "the one asked about")
    else:
        slip, _ = slip_rates(opportunities, None, stages, None, None)
    table = pd.concat([table, slip], axis=1)
    prob = _stage_probability(opportunities, stages)
    table["probability"] = [prob[s] for s in stages]
    return PipelineFit(tuple(stages), how, table, paths, tuple(notes))
