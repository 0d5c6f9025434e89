"""KPIs: pure functions of a run's tables, over the results period only."""

from __future__ import annotations

import numpy as np

from sim.analysis.cash import dso_days, receivables_overdue
from sim.analysis.levels import LEVEL_COLUMNS, time_by_level
from sim.analysis.rep_hours import busy_hours_in_period
from sim.analysis.volatility import bookings_by_period, cv
from sim.rules.calendar import in_period
from sim.rules.reps import rep_hours_per_day


def kpis(result) -> dict[str, float]:
    """Headline figures of one run.

    Counts of leads and opportunities are those created in the results period, and
    ``lead_to_opportunity_rate`` is the share of those leads that became opportunities; won,
    lost, bookings, win rate and cycle length count deals *closed* in it; ``open`` is
    the tracking pipeline at the end; utilisation is busy hours over available hours.
    ``bookings_cv_month`` / ``_quarter`` measure the roller-coaster (coefficient of
    variation of the team's bookings per whole calendar month / quarter), and
    ``time_share_<level>`` the share of rep hours spent per Miller Heiman level.
    ``billings`` (invoiced) and ``cash_collected`` (paid) count money in the period;
    ``dso_days`` is days sales outstanding and ``receivables_overdue`` the amount past
    due and unpaid at the end.
    """
    sc = result.scenario
    horizon = sc.horizon_days
    leads, opps = result.leads, result.opportunities
    lead_in = in_period(leads["created_day"], horizon)
    new_leads = int(lead_in.sum())
    converted = int(leads.loc[lead_in, "opportunity_id"].notna().sum())
    new_opps = int(in_period(opps["created_day"], horizon).sum())
    closed = opps[in_period(opps["closed_day"], horizon)]
    won = closed[closed["status"] == "won"]
    lost = closed[closed["status"] == "lost"]
    n_closed = len(won) + len(lost)
    bookings = float(won["amount"].sum())
    return {
        "leads": new_leads,
        "opportunities": new_opps,
        "lead_to_opportunity_rate": converted / new_leads if new_leads else np.nan,
        "won": len(won),
        "lost": len(lost),
        "open": int((opps["status"] == "tracking").sum()),
        "win_rate": len(won) / n_closed if n_closed else np.nan,
        "bookings": bookings,
        "avg_deal_size": bookings / len(won) if len(won) else np.nan,
        "avg_cycle_days": float(won["cycle_days"].mean()) if len(won) else np.nan,
        "lost_to_neglect": int((lost["lost_reason"] == "lost_to_neglect").sum()),
        "rep_utilization": utilization(result),
        "billings": float(result.invoices.loc[
            in_period(result.invoices["issued_day"], horizon), "amount"].sum()),
        "cash_collected": float(result.payments.loc[
            in_period(result.payments["paid_day"], horizon), "amount"].sum()),
        "dso_days": dso_days(result),
        "receivables_overdue": receivables_overdue(result),
        "bookings_cv_month": cv(bookings_by_period(result, "month")["team"]),
        "bookings_cv_quarter": cv(bookings_by_period(result, "quarter")["team"]),
        **{f"time_share_{level}": float(share) for level, share in
           time_by_level(result).loc["team", "share"][LEVEL_COLUMNS].items()},
    }


def utilization(result) -> float:
    """Share of the reps' selling hours spent on tasks during the results period."""
    sc = result.scenario
    rt = result.rep_time
    busy = float(busy_hours_in_period(rt, sc.horizon_days).sum())
    available = sum(rep_hours_per_day(sc.team)) * sc.horizon_days
    return busy / available if available else np.nan
