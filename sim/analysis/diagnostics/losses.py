"""Lost customers: why deals are lost, and at which stage."""

from __future__ import annotations

import pandas as pd

from sim.analysis.diagnostics._shared import NEGLECT, _ratio
from sim.rules.calendar import in_period


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
