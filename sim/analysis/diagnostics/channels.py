"""Channel economics: what a lead, an opportunity and a win cost per channel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.diagnostics._shared import _ratio
from sim.analysis.rep_hours import busy_hours_in_period
from sim.rules.calendar import in_period


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
    return _with_ratios(out)


_SUMS = ["spend", "prospecting_hours", "rep_time_cost", "cost", "leads", "opportunities",
         "won", "bookings"]
"""The columns of :func:`channel_economics` that add up over runs (the rest are ratios)."""


def _with_ratios(out: pd.DataFrame) -> pd.DataFrame:
    """The ratio columns of :func:`channel_economics`, from its sums, in its column order."""
    out = out.copy()
    out["cost_per_lead"] = _ratio(out["cost"], out["leads"])
    out["cost_per_opportunity"] = _ratio(out["cost"], out["opportunities"])
    out["cost_per_win"] = _ratio(out["cost"], out["won"])
    out["bookings_per_cost"] = _ratio(out["bookings"], out["cost"])
    return out[["channel", "kind", *_SUMS[:4], *_SUMS[4:], "cost_per_lead",
                "cost_per_opportunity", "cost_per_win", "bookings_per_cost"]]


def pooled_channel_economics(runs: pd.DataFrame) -> pd.DataFrame:
    """:func:`channel_economics` of several runs (e.g. replications) pooled into one table.

    Costs, leads, opportunities, wins and bookings are added up over the runs and the
    ratios computed from the totals (a ratio of sums, not a mean of ratios: a channel
    that won no deal in one run still counts its cost there).

    Parameters
    ----------
    runs : DataFrame
        :func:`channel_economics` tables stacked (any extra columns, such as
        ``replication``, are ignored); every run has the same channels.

    Returns
    -------
    DataFrame
        The columns of :func:`channel_economics`, one row per channel in the order of
        the first run.
    """
    order = list(dict.fromkeys(runs["channel"]))
    kinds = runs.drop_duplicates("channel").set_index("channel")["kind"]
    sums = runs.groupby("channel", sort=False)[_SUMS].sum().reindex(order)
    sums.insert(0, "kind", kinds.reindex(order))
    out = _with_ratios(sums.rename_axis("channel").reset_index())
    for col in ("leads", "opportunities", "won"):
        out[col] = out[col].astype(int)
    return out
