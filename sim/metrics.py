"""KPIs: pure functions of a run's tables, over the results period only."""

from __future__ import annotations

import numpy as np


def in_period(day, horizon: float):
    """True where ``day`` (days from start_date) falls in the results period."""
    return (day >= 0) & (day < horizon)


def kpis(result) -> dict[str, float]:
    """Headline figures of one run.

    Counts of leads and opportunities are those created in the results period; won,
    lost, bookings, win rate and cycle length count deals *closed* in it; ``open`` is
    the tracking pipeline at the end; utilisation is busy hours over available hours.
    """
    sc = result.scenario
    horizon = sc.horizon_days
    leads, opps = result.leads, result.opportunities
    new_leads = int(in_period(leads["created_day"], horizon).sum())
    new_opps = int(in_period(opps["created_day"], horizon).sum())
    closed = opps[in_period(opps["closed_day"], horizon)]
    won = closed[closed["status"] == "won"]
    lost = closed[closed["status"] == "lost"]
    n_closed = len(won) + len(lost)
    bookings = float(won["amount"].sum())
    return {
        "leads": new_leads,
        "opportunities": new_opps,
        "lead_to_opportunity_rate": new_opps / new_leads if new_leads else np.nan,
        "won": len(won),
        "lost": len(lost),
        "open": int((opps["status"] == "tracking").sum()),
        "win_rate": len(won) / n_closed if n_closed else np.nan,
        "bookings": bookings,
        "avg_deal_size": bookings / len(won) if len(won) else np.nan,
        "avg_cycle_days": float(won["cycle_days"].mean()) if len(won) else np.nan,
        "lost_to_neglect": int((lost["lost_reason"] == "lost_to_neglect").sum()),
        "rep_utilization": utilization(result),
    }


def busy_hours_in_period(rep_time, horizon: float):
    """Hours of each rep_time row that fall inside the results period."""
    start = rep_time["start_day"].clip(0, horizon)
    end = rep_time["end_day"].clip(0, horizon)
    span = rep_time["end_day"] - rep_time["start_day"]
    share = np.where(span > 0, (end - start) / span.where(span > 0, 1), 0.0)
    return rep_time["hours"] * share


def utilization(result) -> float:
    """Share of the reps' selling hours spent on tasks during the results period."""
    sc = result.scenario
    rt = result.rep_time
    busy = float(busy_hours_in_period(rt, sc.horizon_days).sum())
    team = sc.team
    hours = [
        (team.members[i].hours_per_day if i < len(team.members)
         and team.members[i].hours_per_day else team.hours_per_day)
        for i in range(team.reps)
    ]
    available = sum(hours) * sc.horizon_days
    return busy / available if available else np.nan
