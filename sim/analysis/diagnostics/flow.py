"""Flow through the funnel over time (Miller Heiman): the levels' trailing averages, and
the warnings read from them: a dry top, a jammed middle and premature Best Few."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.diagnostics._shared import (
    TEAM,
    _overlap,
    _rep_index,
    _stage_left_day,
    _sum_by_rep,
)
from sim.analysis.statistics import Adjust, adjust_p_values, poisson_binomial_cdf
from sim.rules.calendar import in_period, to_date
from sim.rules.deals import BestFewRule


def _best_few_start(scenario, hist: pd.DataFrame) -> np.ndarray:
    """The day each ``stage_history`` row becomes Best Few under the scenario's rule
    (:class:`sim.rules.deals.BestFewRule`); ``inf`` when it never does."""
    rates = np.asarray(scenario.win_rates)[hist["stage_index"].to_numpy(dtype=int)]
    return BestFewRule.of(scenario).start_day(
        hist["entered_day"].to_numpy(dtype=float), _stage_left_day(hist),
        hist["cycle_close_day"].to_numpy(dtype=float), rates)


def funnel_flow(result, step_days: float = 7.0, window_days: float = 28.0,
                include_warmup: bool = False) -> pd.DataFrame:
    """The Miller Heiman levels at regular review days, averaged over a trailing window.

    A point snapshot of a level holding a handful of deals is mostly noise; the manager's
    view here is each level's *time-average* stock over the ``window_days`` before each
    review day (exact, from the start and end of every lead and stage), the same levels
    and Best Few rule (:class:`sim.rules.deals.BestFewRule`) as
    :mod:`sim.analysis.levels`.

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
    reps = list(result.rep_names)
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
    end = _stage_left_day(hist)
    few_start = np.minimum(_best_few_start(sc, hist), end)
    in_funnel = _sum_by_rep(h_rep, _overlap(entered, few_start, lo, t), r) / window_days
    best_few = _sum_by_rep(h_rep, _overlap(few_start, end, lo, t), r) / window_days

    out = pd.DataFrame({  # (reps + team) x times -> rows by day, then rep, team last
        "day": np.repeat(t, r + 1),
        "rep": np.tile(np.asarray([*reps, TEAM], dtype=object), n),
        "above_funnel": above.T.reshape(-1), "in_funnel": in_funnel.T.reshape(-1),
        "best_few": best_few.T.reshape(-1), "new_leads": new.T.reshape(-1).astype(int),
    })
    out.insert(1, "date", to_date(sc.start_date, out["day"]))
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
        n_reps = len(result.rep_names)
        ref = share * np.where(flow["rep"] == TEAM, target * n_reps, target).astype(float)
        low = flow["above_funnel"].to_numpy() < ref
        basis = "target"
    else:
        leads = result.leads
        reps = list(result.rep_names)
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
    few = _best_few_start(sc, hist)
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
    for rep in [*result.rep_names, TEAM]:
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
    out["p_adjusted"] = adjust_p_values(out["p_value"].to_numpy(), adjust)
    out["flagged"] = out["p_adjusted"].le(alpha).to_numpy()
    return out[["rep", "best_few_closed", "won", "realised_win_rate", "claimed_win_rate",
                "expected_wins", "shortfall", "tested", "p_value", "p_adjusted", "flagged"]]
