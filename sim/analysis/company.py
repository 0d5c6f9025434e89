"""The company a scenario describes, in tables a newcomer can read: its team, its funnel's
stages and its marketing channels (lessons 00 and 01).

These are functions of the scenario alone (what the company *plans*: rates, budgets,
win rates), not of a run; what a run *did* is in the other analysis modules. Arrival
rates come from their one home, :mod:`sim.rules.channels`.

>>> from sim.scenario.schema import Scenario
>>> company_profile(Scenario())["reps"]
5
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.rules.channels import base_rate_per_day

WAY = {"inbound": "pull", "outbound_campaign": "push", "outbound_prospecting": "push"}
"""The course's two ways of getting leads, by channel kind: inbound marketing "pulls"
customers in (集客营销), outbound marketing "pushes" the message out (推播营销)."""

DAYS_PER_MONTH = 365 / 12
"""Days in an average month: a monthly budget spreads over them (as the engine does)."""


def company_profile(scenario) -> pd.Series:
    """The company at a glance: team, hours, funnel, channels, quota and run length.

    Returns
    -------
    Series
        ``reps`` (at the start), ``hours_per_day`` (selling hours of a rep),
        ``stages``, ``channels``, ``inbound_channels``, ``outbound_channels``,
        ``quota_per_period`` (the team's bookings quota, in ``currency``; 0 if none is
        set), ``forecast_period``, ``currency``, ``start_date``, ``results_days``
        (``horizon_days``) and ``warmup_days``.
    """
    kinds = [c.kind for c in scenario.channels]
    return pd.Series({
        "reps": scenario.team.reps,
        "hours_per_day": scenario.team.hours_per_day,
        "stages": len(scenario.stages),
        "channels": len(kinds),
        "inbound_channels": sum(WAY[k] == "pull" for k in kinds),
        "outbound_channels": sum(WAY[k] == "push" for k in kinds),
        "quota_per_period": scenario.forecast.quota_per_period or 0.0,
        "forecast_period": scenario.forecast.period,
        "currency": scenario.currency,
        "start_date": scenario.start_date,
        "results_days": scenario.horizon_days,
        "warmup_days": scenario.warmup_days,
    }, dtype=object)


def stage_table(scenario) -> pd.DataFrame:
    """The funnel's stages, first stage first.

    Returns
    -------
    DataFrame
        ``stage`` (the name as written), ``cycle_part`` (design, procurement or
        transaction: the course's parts of the sales cycle), ``win_rate`` (the stage win
        rate, 阶段赢率: the chance that a deal in this stage is eventually won),
        ``work_hours`` (the rep's hours in the stage, on average) and ``decision_days``
        (the customer's mean days to decide).
    """
    return pd.DataFrame({
        "stage": [s.name for s in scenario.stages],
        "cycle_part": [s.cycle_part for s in scenario.stages],
        "win_rate": scenario.win_rates,
        "work_hours": [s.mean_work_hours for s in scenario.stages],
        "decision_days": [s.decision_days.mean for s in scenario.stages],
    })


def channel_table(scenario) -> pd.DataFrame:
    """The marketing channels and what the company plans to get from them.

    Returns
    -------
    DataFrame
        One row per channel: ``channel``, ``kind``, ``way`` ("pull" for inbound, "push"
        for outbound, :data:`WAY`), ``medium``, ``lead_quality`` (the chance that a lead
        answered at once is a real opportunity), ``leads_per_month`` (planned, before
        seasonality and growth; NaN for prospecting, whose leads come from the reps'
        hours), ``cost_per_month`` (content cost or advertising budget; for
        prospecting, its ``cost_per_hour`` beyond the reps' time is not counted here,
        so 0) and ``cost_per_lead`` (planned; NaN where there are no planned leads).
    """
    rows = []
    for c in scenario.channels:
        if c.kind == "outbound_prospecting":
            leads, cost = np.nan, 0.0
        else:
            leads = base_rate_per_day(c) * DAYS_PER_MONTH
            cost = c.cost_per_month if c.kind == "inbound" else c.budget_per_month
        rows.append({"channel": c.name, "kind": c.kind, "way": WAY[c.kind],
                     "medium": c.medium, "lead_quality": c.lead_quality,
                     "leads_per_month": leads, "cost_per_month": cost})
    out = pd.DataFrame(rows, columns=["channel", "kind", "way", "medium", "lead_quality",
                                      "leads_per_month", "cost_per_month"])
    leads = out["leads_per_month"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_lead = out["cost_per_month"].to_numpy(dtype=float) / leads
    out["cost_per_lead"] = np.where(leads > 0, per_lead, np.nan)
    return out
