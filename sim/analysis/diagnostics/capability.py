"""Sales capability: how each rep converts each stage, and the stages at which a rep
converts significantly worse than the rest of the team (a capability gap)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.diagnostics._shared import NEGLECT, TEAM, _ratio
from sim.analysis.statistics import Adjust, adjust_p_values, fisher_lower_p
from sim.rules.calendar import in_period


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
    grid = pd.MultiIndex.from_product([[*result.rep_names, TEAM], range(k)],
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
    :func:`~sim.analysis.diagnostics.neglect_summary` and
    :func:`~sim.analysis.diagnostics.load_balance` cover, not a selling skill.

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
    out["p_adjusted"] = adjust_p_values(p, adjust)
    out["flagged"] = out["p_adjusted"].le(alpha).to_numpy()
    return out
