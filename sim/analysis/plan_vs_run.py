"""The funnel's plan set beside what a run shows: the chance to advance from each stage
(lesson 02) and the sales cycle in its four parts (lesson 03).

The plan is the scenario's: the stage win rates w[k] give the chance to advance
w[k] / w[k+1] (:meth:`sim.scenario.schema.Scenario.advance_rates`), and the typical stage
days (:func:`sim.rules.deals.typical_stage_days`) added up by each stage's
``cycle_part`` give the planned design, procurement and transaction time. The run gives
the share of decided deals that moved on
(:func:`sim.analysis.diagnostics.capability.stage_conversion`) and the days the won deals
really took (:func:`sim.analysis.cash.sales_cycle_summary`).
"""

from __future__ import annotations

import pandas as pd

from sim.analysis.cash import CYCLE_PARTS, sales_cycle_summary
from sim.analysis.diagnostics.capability import stage_conversion
from sim.rules.deals import typical_stage_days


def advance_plan_vs_run(result) -> pd.DataFrame:
    """Each stage's planned chance to advance and the share of the team's decided deals
    that moved on in the run.

    Returns
    -------
    DataFrame
        One row per stage, in order: ``stage_index``, ``stage``, ``win_rate`` (w[k]),
        ``planned`` (w[k] / w[k+1], the last stage's next step being the signature),
        ``decided`` (the customers' decisions in the run: moved on, won or lost) and
        ``seen`` (the share of them that moved on; NaN if none was decided).
    """
    sc = result.scenario
    conversion = stage_conversion(result)
    team = conversion[conversion["rep"] == "team"].set_index("stage_index")
    index = pd.RangeIndex(len(sc.stages))
    return pd.DataFrame({
        "stage_index": index,
        "stage": [s.name for s in sc.stages],
        "win_rate": sc.win_rates,
        "planned": sc.advance_rates(),
        "decided": team["decided"].reindex(index, fill_value=0).astype(int).to_numpy(),
        "seen": team["conversion_rate"].reindex(index).to_numpy(dtype=float),
    })


def drop_out_metrics(result) -> dict:
    """The overall win rate of a run and the share of deals that moved on from each
    stage ("moved on from <stage>"): where deals drop out. A ``metrics`` function for
    :func:`sim.experiments.runner.compare`."""
    table = advance_plan_vs_run(result)
    return {"win_rate": result.kpis()["win_rate"],
            **{f"moved on from {s}": v for s, v in zip(table["stage"], table["seen"],
                                                       strict=True)}}


def planned_cycle_parts(scenario) -> pd.DataFrame:
    """The planned days of each selling part of the cycle (design, procurement,
    transaction): the typical days of the stages tagged with that part, added up.

    Collection has no plan here (it follows payment terms and late payers, after the
    win); a stage without a ``cycle_part`` counts as ``"untagged"``.

    >>> from sim.scenario.schema import Scenario
    >>> sc = Scenario()
    >>> plan = planned_cycle_parts(sc)
    >>> list(plan["part"]), bool(round(plan["planned_days"].sum(), 6) == round(
    ...     sum(typical_stage_days(sc.stages, sc.team.hours_per_day)), 6))
    (['design', 'procurement', 'transaction'], True)
    """
    days = typical_stage_days(scenario.stages, scenario.team.hours_per_day)
    parts = [s.cycle_part or "untagged" for s in scenario.stages]
    planned = pd.Series(days, index=parts).groupby(level=0, sort=False).sum()
    order = [p for p in [*CYCLE_PARTS, "untagged"] if p in planned.index]
    return pd.DataFrame({"part": order, "planned_days": planned.reindex(order).to_numpy()})


def cycle_plan_vs_run(result) -> pd.DataFrame:
    """The sales cycle in its four parts: planned days beside the mean days of the deals
    won in the results period.

    Returns
    -------
    DataFrame
        One row per part (``design``, ``procurement``, ``transaction``, ``collection``,
        and ``untagged`` if a stage has no part): ``part``, ``planned_days`` (NaN for
        collection), ``actual_days`` (mean over the won deals; for collection, over
        those fully paid) and ``deals`` (how many deals the mean is over).
    """
    actual = sales_cycle_summary(result).set_index("part").drop(index="total")
    plan = planned_cycle_parts(result.scenario).set_index("part")["planned_days"]
    order = [p for p in [*CYCLE_PARTS, "untagged"] if p in actual.index or p in plan.index]
    return pd.DataFrame({
        "part": order,
        "planned_days": plan.reindex(order).to_numpy(dtype=float),
        "actual_days": actual["mean_days"].reindex(order).to_numpy(dtype=float),
        "deals": actual["deals"].reindex(order, fill_value=0).astype(int).to_numpy(),
    })
