"""Diagnostics: what a sales manager uses the funnel for.

The course (section 3, "Using the funnel to manage opportunities") names the uses:
assess sales capability, find anomalous opportunities, prevent the loss of customer
resources and balance their allocation; Miller Heiman adds that the funnel reveals gaps in
a rep's selling skills (section 4) and shows flow problems when snapshots are compared over
time: a dry top, a jammed middle and premature Best Few (``domain/PARAMETERS.md``).

Every function is a pure function of a run's tables (``result.scenario``,
``result.rep_names``, ``result.leads``, ``result.opportunities``,
``result.stage_history``, ``result.rep_time``) and returns a tidy ``DataFrame``. Unless a
function says otherwise it looks at the results period ``[0, horizon_days)``: flows
(leads, opportunities, decisions, wins, losses, hours) count when they *happen* in it,
stocks (open deals, pipeline) are read at its end. Rows of one rep carry the rep's name in
``rep``; the whole team's row has ``rep == "team"``.

=============================  ==============================================================
function                       question it answers
=============================  ==============================================================
:func:`stage_conversion`       how well does each rep (and the team) convert each stage?
:func:`capability_gaps`        whose conversion at a stage is significantly below the rest's?
:func:`rotting_deals`          which open deals have had no activity for too long?
:func:`stuck_deals`            which open deals sit in a stage far longer than usual?
:func:`neglect_summary`        rotting, stuck and lost-to-neglect deals per rep
:func:`funnel_flow`            the Miller Heiman levels over time (trailing time-averages)
:func:`dry_top_warning`        when did the top of the funnel run dry, and for whom?
:func:`jammed_middle_warning`  when did deals pile up In the Funnel?
:func:`premature_best_few`     do Best Few deals close as often as the forecast counts on?
:func:`load_balance`           is the work spread evenly? (spread: :func:`load_spread`)
:func:`lost_reasons`           why are deals lost, and at which stage?
:func:`channel_economics`      what does a lead, a deal, a win cost per channel?
:func:`pipeline_velocity`      how much money does the pipeline turn into per day?
=============================  ==============================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from sim.analysis.rep_hours import busy_hours_in_period, in_period

TEAM = "team"
"""The value of ``rep`` in rows about the whole team."""

NEGLECT = "lost_to_neglect"

Adjust = Literal["holm", "bonferroni", "none"]


# -- small helpers --------------------------------------------------------------------
def _reps(result) -> list[str]:
    return list(result.rep_names)


def _day(result, on) -> float:
    """A review day (days from ``start_date``): None = the end of the results period; a
    number is a day; a date or timestamp is converted."""
    if on is None:
        return float(result.scenario.horizon_days)
    if isinstance(on, dt.date | pd.Timestamp | str):
        delta = pd.Timestamp(on) - pd.Timestamp(result.scenario.start_date)
        return delta / pd.Timedelta(days=1)
    return float(on)


def _dates(result, days) -> pd.Series:
    return pd.Timestamp(result.scenario.start_date) + pd.to_timedelta(
        np.asarray(days, dtype=float), unit="D")


def _ratio(num, den):
    """``num / den`` with NaN where ``den`` is 0 (no division warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _hours_per_day(result) -> np.ndarray:
    team = result.scenario.team
    hpd = []
    for i in range(len(result.rep_names)):
        spec = team.members[i] if i < len(team.members) else None
        hpd.append(spec.hours_per_day if spec and spec.hours_per_day else team.hours_per_day)
    return np.asarray(hpd, dtype=float)


def _rep_index(owner: pd.Series, reps: list[str]) -> np.ndarray:
    """Position of each item's owner in ``reps`` (-1 for an unknown owner)."""
    return owner.map({r: i for i, r in enumerate(reps)}).fillna(-1).to_numpy(dtype=int)


def _sum_by_rep(idx: np.ndarray, values: np.ndarray, n_reps: int) -> np.ndarray:
    """Sums of ``values`` (items, or items x times) per rep, then the team's total as a
    last row. Sorting and ``reduceat`` rather than a one-hot matrix product: BLAS can be
    needlessly slow on such thin products."""
    values = np.asarray(values, dtype=float)
    out = np.zeros((n_reps + 1, *values.shape[1:]))
    known = idx >= 0
    idx, values = idx[known], values[known]
    if len(idx):
        order = np.argsort(idx, kind="stable")
        ids = idx[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        out[ids[starts]] = np.add.reduceat(values[order], starts, axis=0)
    out[n_reps] = out[:n_reps].sum(axis=0)
    return out


def _overlap(start, end, lo, hi) -> np.ndarray:
    """(items x windows) length of ``[start, end)`` inside each window ``[lo, hi)``."""
    s = np.asarray(start, dtype=float)[:, None]
    e = np.asarray(end, dtype=float)[:, None]
    return np.clip(np.minimum(e, hi[None, :]) - np.maximum(s, lo[None, :]), 0.0, None)


def _stage_end(hist: pd.DataFrame) -> np.ndarray:
    """Day each stage row ends: its decision (advance, win or loss), or never (open)."""
    return hist["decided_day"].fillna(np.inf).to_numpy(dtype=float)


def _best_few_start(result, hist: pd.DataFrame) -> np.ndarray:
    """Day each stage row becomes Best Few under the scenario's rule (the same rule as
    :func:`sim.engine.policies.best_few`): a stage win rate of at least ``min_win_rate`` and an
    expected close within the share of the normal cycle. ``inf`` when it never does."""
    sc = result.scenario
    max_days = sc.best_few.close_within_cycle_share * sc.typical_cycle_days
    rates = np.asarray(sc.win_rates)[hist["stage_index"].to_numpy(dtype=int)]
    entered = hist["entered_day"].to_numpy(dtype=float)
    end = _stage_end(hist)
    start = np.maximum(entered, hist["expected_close_day"].to_numpy(dtype=float) - max_days)
    ok = (rates >= sc.best_few.min_win_rate) & (start < end)
    return np.where(ok, start, np.inf)


def _adjust(p: np.ndarray, how: Adjust) -> np.ndarray:
    """Family-wise adjusted p-values (NaN entries are not part of the family)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    q = p[tested]
    m = len(q)
    if how == "none" or m == 0:
        out[tested] = q
    elif how == "bonferroni":
        out[tested] = np.minimum(1.0, m * q)
    elif how == "holm":
        order = np.argsort(q, kind="stable")
        stepped = np.maximum.accumulate((m - np.arange(m)) * q[order])
        adj = np.empty(m)
        adj[order] = np.minimum(1.0, stepped)
        out[tested] = adj
    else:
        raise ValueError(f"adjust must be 'holm', 'bonferroni' or 'none', not {how!r}")
    return out


def _log_factorials(n: int) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=float)))])


def fisher_lower_p(a, n, b, m) -> np.ndarray:
    """One-sided Fisher exact test: is ``a`` successes of ``n`` *lower* than ``b`` of ``m``?

    Conditional on the margins, the first group's successes follow a hypergeometric law
    (``n`` draws from ``n + m`` items of which ``a + b`` are successes); the p-value is
    ``P(X <= a)``. Vectorised over arrays of counts; computed with exact log-factorials,
    so it needs no scipy.
    """
    a, n, b, m = (np.atleast_1d(np.asarray(v, dtype=np.int64)) for v in (a, n, b, m))
    total, succ = n + m, a + b
    if len(a) == 0:
        return np.empty(0)
    lf = _log_factorials(int(total.max()))

    def lchoose(x, y):
        return lf[x] - lf[y] - lf[x - y]

    x = np.arange(int(a.max()) + 1)[None, :]
    lo = np.maximum(0, n - (total - succ))[:, None]
    valid = (x >= lo) & (x <= a[:, None])
    xs = np.where(valid, x, lo)  # any valid index; masked out below
    logp = (lchoose(succ[:, None], xs) + lchoose((total - succ)[:, None], n[:, None] - xs)
            - lchoose(total, n)[:, None])
    p = np.where(valid, np.exp(logp), 0.0).sum(axis=1)
    return np.minimum(p, 1.0)


def poisson_binomial_cdf(k: int, probs) -> float:
    """``P(X <= k)`` for a sum of independent Bernoulli trials with chances ``probs``."""
    pmf = np.ones(1)
    for p in np.asarray(probs, dtype=float):
        pmf = np.convolve(pmf, [1.0 - p, p])
    return float(min(1.0, pmf[: k + 1].sum()))


# -- 1. capability: stage conversion and capability gaps --------------------------------
def stage_conversion(result) -> pd.DataFrame:
    """Conversion of each stage, per rep and for the team, in the results period.

    A *decision* is the customer's answer at the end of a stage (advance, win at the last
    stage, or loss); it counts in the period in which it happened, whenever the deal
    entered the stage. The deal counts for the rep who owned it.

    Returns
    -------
    DataFrame
        One row per rep (then ``"team"``) and stage, with columns ``rep``,
        ``stage_index``, ``stage``, ``decided`` (decisions), ``advanced`` (advanced, or
        won at the last stage), ``lost``, ``lost_to_neglect`` (losses the engine put down
        to a task left waiting past the stage's ``rot_days``), ``conversion_rate``
        (advanced / decided; NaN without decisions), ``mean_days_in_stage`` (entered ->
        decided), ``mean_wait_days`` (queue wait before the rep started the stage's work)
        and ``in_stage_at_end`` (deals in the stage at the end of the run).
        The product of the team's conversion rates over the stages is the win rate of a
        new opportunity (for a steady flow of deals).
    """
    sc = result.scenario
    hist = result.stage_history
    k = len(sc.stages)
    decided = hist[(hist["outcome"] != "open")
                   & in_period(hist["decided_day"], sc.horizon_days)]
    rows = pd.DataFrame({
        "rep": decided["owner"].to_numpy(dtype=object),
        "stage_index": decided["stage_index"].to_numpy(dtype=int),
        "advanced": decided["outcome"].isin(["advanced", "won"]).to_numpy(),
        "lost_to_neglect": (decided["lost_reason"] == NEGLECT).to_numpy(),
        "days": (decided["decided_day"] - decided["entered_day"]).to_numpy(dtype=float),
        "wait": decided["wait_days"].to_numpy(dtype=float),
    })
    both = pd.concat([rows, rows.assign(rep=TEAM)], ignore_index=True)
    agg = both.groupby(["rep", "stage_index"]).agg(
        decided=("advanced", "size"), advanced=("advanced", "sum"),
        lost_to_neglect=("lost_to_neglect", "sum"), mean_days_in_stage=("days", "mean"),
        mean_wait_days=("wait", "mean"))
    is_open = hist["outcome"] == "open"
    open_rows = pd.DataFrame({"rep": hist.loc[is_open, "owner"].to_numpy(dtype=object),
                              "stage_index": hist.loc[is_open, "stage_index"].to_numpy(int)})
    open_counts = pd.concat([open_rows, open_rows.assign(rep=TEAM)]).value_counts(
        ["rep", "stage_index"])
    grid = pd.MultiIndex.from_product([[*_reps(result), TEAM], range(k)],
                                      names=["rep", "stage_index"])
    out = agg.reindex(grid)
    for col in ("decided", "advanced", "lost_to_neglect"):
        out[col] = out[col].fillna(0).astype(int)
    out["in_stage_at_end"] = open_counts.reindex(grid, fill_value=0).astype(int)
    out = out.reset_index()
    out.insert(2, "stage", [sc.stages[i].name for i in out["stage_index"]])
    out["lost"] = out["decided"] - out["advanced"]
    out["conversion_rate"] = _ratio(out["advanced"], out["decided"])
    return out[["rep", "stage_index", "stage", "decided", "advanced", "lost",
                "lost_to_neglect", "conversion_rate", "mean_days_in_stage", "mean_wait_days",
                "in_stage_at_end"]]


def capability_gaps(result, alpha: float = 0.05, min_decisions: int = 10,
                    adjust: Adjust = "holm", exclude_neglect: bool = True) -> pd.DataFrame:
    """Stages at which a rep converts significantly worse than the rest of the team.

    A *capability gap* in Miller Heiman's sense: a selling skill a rep lacks, seen as a
    stage the rep's deals fail at more often than the colleagues' deals do.

    The test, per rep and stage, compares the rep's decisions at the stage with those of
    the rest of the team (the team without that rep, so the two samples are disjoint): a
    one-sided Fisher exact test of the 2 x 2 table (advanced / not, rep / rest). It is
    exact for the small counts a single rep has, and conservative (its real false-alarm
    rate is at or below the nominal one). A cell is tested only when both the rep and the
    rest have at least ``min_decisions`` decisions.

    Why adjust: a team of 5 reps and 4 stages makes 20 tests; at 5% each, an entirely
    even team would show at least one "gap" in up to 1 - 0.95**20 = 64% of reviews
    (measured on 40 runs of the baseline, with this conservative test: 19), and the
    manager would coach the wrong person. Holm's step-down method (the default)
    keeps the chance of *any* false flag in the review at or below ``alpha`` under any
    dependence between the tests (here they share the rest-of-team data), and rejects
    everything Bonferroni (``m x p``) rejects and sometimes more. ``adjust="none"``
    shows the raw per-test decisions.

    Losses put down to neglect (a stage task left waiting past ``rot_days``) are left out
    by default (``exclude_neglect``): they measure the rep's time management, which
    :func:`neglect_summary` and :func:`load_balance` cover, not a selling skill.

    Parameters
    ----------
    alpha : float
        Family-wise error rate over all the tested (rep, stage) cells.
    min_decisions : int
        Fewest decisions the rep, and the rest of the team, need at a stage to test it.
    adjust : {"holm", "bonferroni", "none"}
        Multiple-comparison adjustment over the tested cells.
    exclude_neglect : bool
        Leave losses to neglect out of the decisions.

    Returns
    -------
    DataFrame
        One row per rep and stage: ``rep``, ``stage_index``, ``stage``, ``decided``,
        ``advanced``, ``conversion_rate``, ``rest_decided``, ``rest_advanced``,
        ``rest_conversion_rate``, ``gap`` (rest rate minus the rep's, in rate points),
        ``tested``, ``p_value``, ``p_adjusted`` (NaN when not tested) and ``flagged``
        (``p_adjusted <= alpha``).
    """
    conv = stage_conversion(result)
    neglect = conv["lost_to_neglect"] if exclude_neglect else 0
    conv = conv.assign(decided=conv["decided"] - neglect)
    is_team = conv["rep"] == TEAM
    team = conv[is_team].set_index("stage_index")
    out = conv.loc[~is_team, ["rep", "stage_index", "stage", "decided", "advanced"]]
    out = out.reset_index(drop=True)
    out["conversion_rate"] = _ratio(out["advanced"], out["decided"])
    stage = out["stage_index"]
    out["rest_decided"] = stage.map(team["decided"]).to_numpy() - out["decided"]
    out["rest_advanced"] = stage.map(team["advanced"]).to_numpy() - out["advanced"]
    out["rest_conversion_rate"] = _ratio(out["rest_advanced"], out["rest_decided"])
    out["gap"] = out["rest_conversion_rate"] - out["conversion_rate"]
    out["tested"] = (out["decided"] >= min_decisions) & (out["rest_decided"] >= min_decisions)
    p = np.full(len(out), np.nan)
    t = out["tested"].to_numpy()
    p[t] = fisher_lower_p(out.loc[t, "advanced"], out.loc[t, "decided"],
                          out.loc[t, "rest_advanced"], out.loc[t, "rest_decided"])
    out["p_value"] = p
    out["p_adjusted"] = _adjust(p, adjust)
    out["flagged"] = out["p_adjusted"].le(alpha).to_numpy()
    return out


# -- 2. anomalies: rotting and stuck deals -----------------------------------------------
def _open_stages(result, on: float) -> pd.DataFrame:
    """The stage each deal tracking at day ``on`` is in, with its last activity."""
    sc = result.scenario
    hist = result.stage_history
    end = _stage_end(hist)
    current = hist[(hist["entered_day"].to_numpy() <= on) & (on < end)]
    opps = result.opportunities.set_index("opportunity_id")
    out = current[["opportunity_id", "owner", "stage_index", "stage", "entered_day",
                   "expected_close_day"]].reset_index(drop=True)
    out.insert(4, "amount", out["opportunity_id"].map(opps["amount"]).to_numpy(dtype=float))
    start = current["work_start_day"].to_numpy(dtype=float)
    stop = current["work_end_day"].to_numpy(dtype=float)
    started = start <= on  # NaN compares False
    finished = stop <= on
    # activity resets the clock: entering the stage, starting and ending its work
    # (being worked on right now counts as activity now) and extra closing effort
    last = out["entered_day"].to_numpy(dtype=float)
    last = np.fmax(last, np.where(started, np.where(finished, stop, on), np.nan))
    rt = result.rep_time
    effort = rt[(rt["activity"] == "effort") & (rt["start_day"] <= on)]
    if len(effort):
        # the opportunity a row is about (older tables called it subject_id)
        opp_col = "opportunity_id" if "opportunity_id" in effort.columns else "subject_id"
        touched = pd.DataFrame({
            "opportunity_id": effort[opp_col].to_numpy(dtype=int),
            "stage_index": effort["stage_index"].to_numpy(dtype=int),
            "day": np.minimum(effort["end_day"].to_numpy(dtype=float), on),
        }).groupby(["opportunity_id", "stage_index"])["day"].max()
        key = pd.MultiIndex.from_arrays([out["opportunity_id"], out["stage_index"]])
        last = np.fmax(last, touched.reindex(key).to_numpy(dtype=float))
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
        The review day (days from ``start_date``, or a calendar date); None = the end of
        the results period.

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
    return _rotting(_open_stages(result, _day(result, on)))


def _rotting(open_: pd.DataFrame) -> pd.DataFrame:
    rot = open_[open_["days_idle"] > open_["rot_days"]]
    return rot.sort_values("days_idle", ascending=False, kind="stable").reset_index(drop=True)


def typical_stage_days(result, on=None, min_decisions: int = 5) -> np.ndarray:
    """Each stage's typical duration: the median days from entering to leaving it over the
    decisions made up to ``on``, as a CRM's history shows it; the scenario's own figure
    (mean work at the team's hours per day plus the mean decision time) for a stage with
    fewer than ``min_decisions`` decisions."""
    sc = result.scenario
    day = _day(result, on)
    hist = result.stage_history
    done = hist[(hist["outcome"] != "open") & (hist["decided_day"] <= day)]
    med = (done["decided_day"] - done["entered_day"]).groupby(done["stage_index"]).agg(
        ["median", "size"])
    hpd = sc.team.hours_per_day
    typical = np.array([s.mean_work_hours / hpd + s.decision_days.mean for s in sc.stages])
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
        The review day; None = the end of the results period.
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
    day = _day(result, on)
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

    Returns
    -------
    DataFrame
        ``rep``, ``tracking``, ``rotting``, ``rotting_amount``, ``stuck``,
        ``stuck_amount``, ``lost``, ``lost_to_neglect``, ``lost_to_neglect_amount`` and
        ``neglect_share_of_losses``.
    """
    day = _day(result, on)
    reps = [*_reps(result), TEAM]
    open_ = _open_stages(result, day)
    rot = _rotting(open_)
    stuck = _stuck(open_, typical_stage_days(result, day), factor)
    opps = result.opportunities
    lost = opps[(opps["status"] == "lost") & (opps["closed_day"] >= 0)
                & (opps["closed_day"] < min(day, result.scenario.horizon_days))]
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


# -- 3. flow: dry top, jammed middle, premature Best Few -------------------------------
def funnel_flow(result, step_days: float = 7.0, window_days: float = 28.0,
                include_warmup: bool = False) -> pd.DataFrame:
    """The Miller Heiman levels at regular review days, averaged over a trailing window.

    A point snapshot of a level holding a handful of deals is mostly noise; the manager's
    view here is each level's *time-average* stock over the ``window_days`` before each
    review day (exact, from the start and end of every lead and stage), the same levels
    and Best Few rule as :mod:`sim.analysis.levels`.

    Returns
    -------
    DataFrame
        One row per review day and rep (then ``"team"``): ``day``, ``date``, ``rep``,
        ``above_funnel`` (unverified leads), ``in_funnel``, ``best_few`` (time-averages
        over ``(day - window_days, day]``) and ``new_leads`` (leads that entered Above
        the Funnel in that window). Review days run every ``step_days`` from 0 (or from
        the first whole window of the warm-up, with ``include_warmup``) to the end of the
        results period.
    """
    sc = result.scenario
    reps = _reps(result)
    # review days fall on whole steps from day 0, back to the first whole window
    back = np.floor(max(sc.warmup_days - window_days, 0.0) / step_days) * step_days
    first = -back if include_warmup and back > 0 else 0.0
    t = np.arange(first, sc.horizon_days, step_days)
    lo = t - window_days

    n, r = len(t), len(reps)
    leads = result.leads
    l_rep = _rep_index(leads["owner"], reps)
    l_start = leads["created_day"].to_numpy(dtype=float)
    l_end = leads["closed_day"].fillna(np.inf).to_numpy(dtype=float)
    above = _sum_by_rep(l_rep, _overlap(l_start, l_end, lo, t), r) / window_days
    new = _sum_by_rep(l_rep, (l_start[:, None] > lo) & (l_start[:, None] <= t), r)

    hist = result.stage_history
    h_rep = _rep_index(hist["owner"], reps)
    entered = hist["entered_day"].to_numpy(dtype=float)
    end = _stage_end(hist)
    few_start = np.minimum(_best_few_start(result, hist), end)
    in_funnel = _sum_by_rep(h_rep, _overlap(entered, few_start, lo, t), r) / window_days
    best_few = _sum_by_rep(h_rep, _overlap(few_start, end, lo, t), r) / window_days

    out = pd.DataFrame({  # (reps + team) x times -> rows by day, then rep, team last
        "day": np.repeat(t, r + 1),
        "rep": np.tile(np.asarray([*reps, TEAM], dtype=object), n),
        "above_funnel": above.T.reshape(-1), "in_funnel": in_funnel.T.reshape(-1),
        "best_few": best_few.T.reshape(-1), "new_leads": new.T.reshape(-1).astype(int),
    })
    out.insert(1, "date", _dates(result, out["day"]))
    return out


def dry_top_warning(result, share: float = 0.5, window_days: float = 28.0,
                    baseline_days: float = 84.0, step_days: float = 7.0) -> pd.DataFrame:
    """Review days on which the top of a rep's (or the team's) funnel ran dry.

    "A dry top is always the result of previous neglect": about one sales cycle later
    nothing reaches Best Few. Two rules, by what the scenario sets:

    - **target**: the prospecting channel has ``target_leads_above_funnel > 0`` (the
      engine's own flow target: a stock of unverified leads per rep). Warn when the
      rep's Above-the-Funnel stock, averaged over the last ``window_days``, is below
      ``share`` (50%) of the target (the team's target is the sum over the reps). A rep
      who protects the target hovers just around it, so the literal "below target"
      (``share=1``) warns about every other week on noise alone.
    - **trailing average** (no such target): warn when the leads *entering* Above the
      Funnel in the last ``window_days`` fall below ``share`` of the rep's own average
      per window over the ``baseline_days`` before that. The flow in, not the stock,
      because here leads are verified within hours or days: the unverified stock is small
      and noisy, and it *rises* when a rep is too busy to verify, the opposite of a dry
      top; what dries up is the inflow. The rule compares a rep with their own recent
      past (what a manager knows at the time), so a rep whose top dries slowly drags the
      reference down too; ``baseline_days`` bounds that memory. No warning is given
      before a full baseline exists (counted from the start of the warm-up).

    On the shipped roller-coaster scenario (4 self-prospecting reps, two years) the
    trailing rule warns in about half the rep-weeks under ``close_first`` and in 1-2%
    under ``miller_heiman``.

    Returns
    -------
    DataFrame
        The warning rows only: ``day``, ``date``, ``rep``, ``above_funnel``,
        ``new_leads``, ``reference`` (``share`` x the target stock, or ``share`` x the
        trailing average of leads per window) and ``basis`` (``"target"`` or
        ``"trailing_average"``).
    """
    sc = result.scenario
    target = max((c.target_leads_above_funnel for c in sc.channels
                  if c.kind == "outbound_prospecting"), default=0)
    flow = funnel_flow(result, step_days, window_days)
    if target > 0:
        n_reps = len(_reps(result))
        ref = share * np.where(flow["rep"] == TEAM, target * n_reps, target).astype(float)
        low = flow["above_funnel"].to_numpy() < ref
        basis = "target"
    else:
        leads = result.leads
        reps = _reps(result)
        start = leads["created_day"].to_numpy(dtype=float)
        t = flow["day"].to_numpy()[:: len(reps) + 1]
        hi, lo = t - window_days, t - window_days - baseline_days
        counts = _sum_by_rep(_rep_index(leads["owner"], reps),
                             (start[:, None] > lo) & (start[:, None] <= hi), len(reps))
        ref = share * counts.T.reshape(-1) * window_days / baseline_days
        ref[np.repeat(lo < -sc.warmup_days, len(reps) + 1)] = np.nan
        low = flow["new_leads"].to_numpy() < ref
        basis = "trailing_average"
    out = flow.loc[low, ["day", "date", "rep", "above_funnel", "new_leads"]]
    out = out.assign(reference=ref[low], basis=basis)
    return out.reset_index(drop=True)


def jammed_middle_warning(result, change: float = 0.3, min_growth: float = 4.0,
                          window_days: float = 28.0, min_best_few: float = 1.0,
                          step_days: float = 7.0) -> pd.DataFrame:
    """Review days on which the middle of the funnel jammed: deals piled up In the
    Funnel while the Best Few did not grow with it.

    Each level's time-average over the last ``window_days`` is compared with the
    ``window_days`` before. A jam is In the Funnel up by at least ``change`` (30%) and by
    at least ``min_growth`` deals, *and* the ratio In the Funnel : Best Few up by at
    least ``change`` too: deals enter the middle and do not come out of it. A Best Few
    that actually shrinks while the middle grows is the plainest case; the ratio also
    catches a Best Few that stands still, which is what a real jam looks like when
    closing work keeps the first claim on the reps' time (tried on the baseline with a
    fourfold lead spike under ``miller_heiman``: the middle grew 2.5 times while the Best
    Few held steady, and "Best Few down 20%" never fired). The earlier Best Few must
    average at least ``min_best_few`` deals.

    One rep's levels hold a handful of deals and swing by chance: on the steady baseline
    about 3% of rep-weeks warn at the defaults, against under 1% of team-weeks; read a
    rep's warning as a place to look, the team's as a signal.

    Returns
    -------
    DataFrame
        The warning rows only: ``day``, ``date``, ``rep``, ``in_funnel_before``,
        ``in_funnel``, ``best_few_before``, ``best_few``.
    """
    if not np.isclose(window_days / step_days, round(window_days / step_days)):
        raise ValueError(f"window_days ({window_days}) must be a whole number of "
                         f"step_days ({step_days})")
    flow = funnel_flow(result, step_days, window_days, include_warmup=True)
    flow["key"] = flow["day"].round(6)
    prev = flow[["key", "rep", "in_funnel", "best_few"]].assign(
        key=(flow["day"] + window_days).round(6))
    both = flow.merge(prev, on=["key", "rep"], suffixes=("", "_before"))
    grow = 1 + change
    jam = ((both["day"] >= 0)
           & (both["in_funnel"] >= grow * both["in_funnel_before"])
           & (both["in_funnel"] - both["in_funnel_before"] >= min_growth)
           & (both["in_funnel"] * both["best_few_before"]
              >= grow * both["in_funnel_before"] * both["best_few"])
           & (both["best_few_before"] >= min_best_few))
    cols = ["day", "date", "rep", "in_funnel_before", "in_funnel", "best_few_before",
            "best_few"]
    return both.loc[jam, cols].reset_index(drop=True)


def premature_best_few(result, alpha: float = 0.05, claimed: float | None = None,
                       min_deals: int = 10, adjust: Adjust = "holm") -> pd.DataFrame:
    """Do Best Few deals close as often as their promotion claims?

    Premature Best Few are deals promoted before they qualify, which inflates the
    forecast. A deal promoted to Best Few carries a claim: the manager's win rate
    (``scenario.assumed_win_rates``) of the stage it was in when it became Best Few, or
    ``claimed`` for every deal (e.g. 0.9 to hold the Best Few to Miller Heiman's "about
    90% sure"). For the deals that had been Best Few and closed in the results period,
    the realised wins are compared with the claims: a one-sided exact test that the wins
    are fewer than independent trials at the claimed chances would give (a
    Poisson-binomial lower tail), Holm-adjusted over the reps and the team by default.
    Deals closing in the period (not those promoted in it) keep the win rate unbiased in
    a steady flow: wins and losses of the same deals close at different times.

    Returns
    -------
    DataFrame
        Per rep and team: ``rep``, ``best_few_closed``, ``won``, ``realised_win_rate``,
        ``claimed_win_rate`` (mean claim), ``expected_wins``, ``shortfall``
        (claimed - realised), ``tested`` (at least ``min_deals``), ``p_value``,
        ``p_adjusted`` and ``flagged``.
    """
    sc = result.scenario
    hist = result.stage_history
    few = _best_few_start(result, hist)
    first = (hist.assign(_few=few)[np.isfinite(few)]
             .sort_values(["opportunity_id", "stage_index"], kind="stable")
             .drop_duplicates("opportunity_id"))
    claim = (np.full(len(first), float(claimed)) if claimed is not None
             else np.asarray(sc.assumed_win_rates)[first["stage_index"].to_numpy(dtype=int)])
    opps = result.opportunities.set_index("opportunity_id")
    oid = first["opportunity_id"]
    deals = pd.DataFrame({
        "rep": oid.map(opps["owner"]).to_numpy(dtype=object),
        "status": oid.map(opps["status"]).to_numpy(dtype=object),
        "closed_day": oid.map(opps["closed_day"]).to_numpy(dtype=float),
        "claim": claim,
    })
    deals = deals[(deals["status"] != "tracking")
                  & in_period(deals["closed_day"], sc.horizon_days)]
    rows = []
    for rep in [*_reps(result), TEAM]:
        sub = deals if rep == TEAM else deals[deals["rep"] == rep]
        n, won = len(sub), int((sub["status"] == "won").sum())
        tested = n >= min_deals
        rows.append({
            "rep": rep, "best_few_closed": n, "won": won,
            "realised_win_rate": won / n if n else np.nan,
            "claimed_win_rate": float(sub["claim"].mean()) if n else np.nan,
            "expected_wins": float(sub["claim"].sum()),
            "tested": tested,
            "p_value": poisson_binomial_cdf(won, sub["claim"]) if tested else np.nan,
        })
    out = pd.DataFrame(rows)
    out["shortfall"] = out["claimed_win_rate"] - out["realised_win_rate"]
    out["p_adjusted"] = _adjust(out["p_value"].to_numpy(), adjust)
    out["flagged"] = out["p_adjusted"].le(alpha).to_numpy()
    return out[["rep", "best_few_closed", "won", "realised_win_rate", "claimed_win_rate",
                "expected_wins", "shortfall", "tested", "p_value", "p_adjusted", "flagged"]]


# -- 4. allocation: load balance ------------------------------------------------------
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
        ``available_hours`` (hours per day x days) and ``utilisation`` (hours /
        available). See :func:`load_spread` for the spread across reps.
    """
    sc = result.scenario
    horizon = sc.horizon_days
    reps = _reps(result)
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
    available = _hours_per_day(result) * horizon
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


# -- 5. lost customers: lost reasons ----------------------------------------------------
def lost_reasons(result, by: str | None = None) -> pd.DataFrame:
    """Deals lost in the results period, by reason.

    Parameters
    ----------
    by : str, optional
        Also split by a column of ``result.opportunities``: ``"stage"`` (the stage the
        deal was lost at), ``"owner"``, ``"channel"``, ``"type"``...

    Returns
    -------
    DataFrame
        ``[by,]`` ``lost_reason``, ``deals``, ``amount``, ``share`` (of the deals lost
        in the group) and ``amount_share``; every reason of the scenario and
        ``lost_to_neglect`` appear, with zeros. Shares are NaN in a group without
        losses. With ``by="stage"`` rows follow the funnel's order and carry
        ``stage_index`` too.
    """
    sc = result.scenario
    opps = result.opportunities
    lost = opps[(opps["status"] == "lost") & in_period(opps["closed_day"], sc.horizon_days)]
    reasons = [*sc.opportunities.lost_reasons, NEGLECT]
    reasons += sorted(set(lost["lost_reason"]) - set(reasons))
    if by is None:
        keys, groups = ["lost_reason"], [reasons]
    elif by == "stage":
        keys, groups = ["stage_index", "lost_reason"], [range(len(sc.stages)), reasons]
    else:
        keys, groups = [by, "lost_reason"], [sorted(opps[by].unique()), reasons]
    grid = pd.MultiIndex.from_product(groups, names=keys)
    g = lost.groupby(keys)["amount"]
    out = pd.DataFrame({"deals": g.size().reindex(grid, fill_value=0).astype(int),
                        "amount": g.sum().reindex(grid, fill_value=0.0).astype(float)})
    if by is None:
        out["share"] = _ratio(out["deals"], out["deals"].sum())
        out["amount_share"] = _ratio(out["amount"], out["amount"].sum())
    else:
        totals = out.groupby(level=0)[["deals", "amount"]].transform("sum")
        out["share"] = _ratio(out["deals"], totals["deals"])
        out["amount_share"] = _ratio(out["amount"], totals["amount"])
    out = out.reset_index()
    if by == "stage":
        out.insert(1, "stage", [sc.stages[i].name for i in out["stage_index"]])
    return out


# -- 6. channel economics -------------------------------------------------------------
def channel_economics(result, rep_cost_per_hour: float = 0.0) -> pd.DataFrame:
    """What each channel costs and brings in over the results period.

    Spend: an inbound channel's ``cost_per_month`` and a campaign's ``budget_per_month``
    times the months of the period (``horizon_days x 12 / 365``, the engine's own
    conversion of a monthly budget into a daily lead rate); a prospecting channel's
    ``cost_per_hour`` times the reps' prospecting hours in the period. The reps'
    prospecting hours are also reported, and priced at ``rep_cost_per_hour`` (0 by
    default) in ``rep_time_cost``: outbound's classic cost per lead (about 220 USD
    against about 84 inbound, HubSpot 2009) includes that labour.

    Leads and opportunities count when created in the period; wins and bookings when
    closed in it (so some of this period's wins came from last period's leads: the ratios
    are steady-state figures, which the warm-up makes fair).

    Returns
    -------
    DataFrame
        One row per channel, then ``inbound``, ``outbound`` (campaigns and prospecting)
        and ``total``: ``channel``, ``kind`` (the channel's kind, or the group's name),
        ``spend``, ``prospecting_hours``, ``rep_time_cost``, ``cost`` (spend + rep time),
        ``leads``, ``opportunities``, ``won``, ``bookings``, ``cost_per_lead``,
        ``cost_per_opportunity``, ``cost_per_win`` and ``bookings_per_cost`` (NaN where
        the divisor is 0).
    """
    sc = result.scenario
    horizon = sc.horizon_days
    months = horizon * 12 / 365
    rt = result.rep_time
    prospect = rt[rt["activity"] == "prospect"]
    prospect_hours = float(busy_hours_in_period(prospect, horizon).sum())
    leads, opps = result.leads, result.opportunities
    won = opps[(opps["status"] == "won") & in_period(opps["closed_day"], horizon)]
    names = [c.name for c in sc.channels]
    n_leads = leads[in_period(leads["created_day"], horizon)].groupby("channel").size()
    n_opps = opps[in_period(opps["created_day"], horizon)].groupby("channel").size()
    rows = []
    for c in sc.channels:
        hours = prospect_hours if c.kind == "outbound_prospecting" else 0.0
        if c.kind == "inbound":
            spend = c.cost_per_month * months
        elif c.kind == "outbound_campaign":
            spend = c.budget_per_month * months
        else:
            spend = c.cost_per_hour * hours
        rows.append({"channel": c.name, "kind": c.kind, "spend": spend,
                     "prospecting_hours": hours})
    out = pd.DataFrame(rows, columns=["channel", "kind", "spend", "prospecting_hours"])
    out["rep_time_cost"] = out["prospecting_hours"] * rep_cost_per_hour
    out["leads"] = n_leads.reindex(names, fill_value=0).to_numpy(dtype=int)
    out["opportunities"] = n_opps.reindex(names, fill_value=0).to_numpy(dtype=int)
    out["won"] = won.groupby("channel").size().reindex(names, fill_value=0).to_numpy(int)
    out["bookings"] = won.groupby("channel")["amount"].sum().reindex(
        names, fill_value=0.0).to_numpy(dtype=float)
    group = np.where(out["kind"] == "inbound", "inbound", "outbound")
    sums = ["spend", "prospecting_hours", "rep_time_cost", "leads", "opportunities", "won",
            "bookings"]
    totals = out[sums].groupby(group).sum().reindex(["inbound", "outbound"], fill_value=0)
    totals.loc["total"] = out[sums].sum()
    totals = totals.rename_axis("channel").reset_index()
    out = pd.concat([out, totals.assign(kind=totals["channel"])], ignore_index=True)
    for col in ("leads", "opportunities", "won"):
        out[col] = out[col].astype(int)
    out["cost"] = out["spend"] + out["rep_time_cost"]
    out["cost_per_lead"] = _ratio(out["cost"], out["leads"])
    out["cost_per_opportunity"] = _ratio(out["cost"], out["opportunities"])
    out["cost_per_win"] = _ratio(out["cost"], out["won"])
    out["bookings_per_cost"] = _ratio(out["bookings"], out["cost"])
    return out[["channel", "kind", "spend", "prospecting_hours", "rep_time_cost", "cost",
                "leads", "opportunities", "won", "bookings", "cost_per_lead",
                "cost_per_opportunity", "cost_per_win", "bookings_per_cost"]]


# -- 7. pipeline velocity -------------------------------------------------------------
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
    reps = _reps(result)
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
