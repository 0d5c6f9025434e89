"""KPIs: pure functions of a run's tables, over the results period only."""

from __future__ import annotations

import numpy as np

from sim.analysis.cash import ageing, days_sales_outstanding
from sim.analysis.levels import LEVEL_COLUMNS, hours_by_level
from sim.analysis.rep_hours import busy_hours_in_period, team_available_hours
from sim.analysis.volatility import bookings_per_period, cv
from sim.rules.calendar import in_period
from sim.rules.deals import LOST_TO_NEGLECT


def kpis(result) -> dict[str, float]:
    """Headline figures of one run.

    Counts of leads and opportunities are those created in the results period, and
    ``lead_to_opportunity_rate`` is the share of those leads that became opportunities; won,
    lost, bookings, win rate and cycle length count deals *closed* in it; ``open`` is
    the tracking pipeline at the end; utilisation is busy hours over the hours the reps
    really had (the team's plan: a hire's ramp, leavers and leaves take some away).
    ``bookings_cv_month`` / ``_quarter`` measure the roller-coaster (coefficient of
    variation of the team's bookings per whole calendar month / quarter), and
    ``time_share_<level>`` the share of rep hours spent per Miller Heiman level.
    ``billings`` (invoiced) and ``cash_collected`` (paid) count money in the period;
    ``dso_days`` is days sales outstanding and ``receivables_overdue`` the amount past
    due and unpaid at the end.

    The figures are computed from the run's facts (:meth:`RunResult.facts`), not from
    its tables, so that a replication's KPIs cost little more than the run itself.
    """
    sc = result.scenario
    horizon = sc.horizon_days
    leads, opps = result.facts("leads"), result.facts("opportunities")
    rep_time, invoices = result.facts("rep_time"), result.facts("invoices")
    lead_in = in_period(leads["created_day"], horizon)
    new_leads = int(lead_in.sum())
    converted = int((leads["opportunity_id"][lead_in] >= 0).sum())
    new_opps = int(in_period(opps["created_day"], horizon).sum())
    closed = in_period(opps["closed_day"], horizon)
    won = closed & (opps["status"] == "won")
    lost = closed & (opps["status"] == "lost")
    n_won, n_lost = int(won.sum()), int(lost.sum())
    bookings = float(opps["amount"][won].sum())
    paid = invoices["status"] == "paid"
    per_period = {period: bookings_per_period(sc, opps["status"], opps["closed_day"],
                                              opps["amount"], period)["team"]
                  for period in ("month", "quarter")}
    hours = hours_by_level(np.asarray(result.rep_names, dtype=object)[rep_time["rep"]],
                           rep_time["level"], busy_hours_in_period(rep_time, horizon),
                           result.rep_names)
    return {
        "leads": new_leads,
        "opportunities": new_opps,
        "lead_to_opportunity_rate": converted / new_leads if new_leads else np.nan,
        "won": n_won,
        "lost": n_lost,
        "open": int((opps["status"] == "tracking").sum()),
        "win_rate": n_won / (n_won + n_lost) if n_won + n_lost else np.nan,
        "bookings": bookings,
        "avg_deal_size": bookings / n_won if n_won else np.nan,
        "avg_cycle_days": float(opps["cycle_days"][won].mean()) if n_won else np.nan,
        "lost_to_neglect": int((opps["lost_reason"][lost] == LOST_TO_NEGLECT).sum()),
        "rep_utilization": busy_share(sc, rep_time),
        "billings": float(invoices["amount"][in_period(invoices["issued_day"], horizon)].sum()),
        "cash_collected": float(invoices["amount"][
            paid & in_period(invoices["paid_day"], horizon)].sum()),
        "dso_days": days_sales_outstanding(invoices, horizon),
        "receivables_overdue": float(ageing(invoices, horizon - 1e-9)["overdue"].sum()),
        "bookings_cv_month": cv(per_period["month"]),
        "bookings_cv_quarter": cv(per_period["quarter"]),
        **{f"time_share_{level}": float(share) for level, share in
           hours.loc["team", "share"][LEVEL_COLUMNS].items()},
    }


def utilization(result) -> float:
    """Share of the reps' selling hours spent on tasks during the results period."""
    return busy_share(result.scenario, result.rep_time)


def busy_share(scenario, rep_time) -> float:
    """:func:`utilization` of ``rep_time`` (the table or its facts)."""
    sc = scenario
    busy = float(busy_hours_in_period(rep_time, sc.horizon_days).sum())
    available = team_available_hours(sc)
    return busy / available if available else np.nan
