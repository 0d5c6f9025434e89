"""The movement ("waterfall") view of a period's pipeline, from an opportunity history.

The **pipeline of a period** ``[start, end)`` at an instant ``t`` is the set of deals open
at ``t`` whose expected close (as known at ``t``) falls in the period. A deal's state at
``t`` is its latest history row at or before ``t`` (:func:`deal_states`): its stage (a
``Closed Won``/``Closed Lost`` stage closes it, see
:func:`sim.crm.fields.status_of_stage`), amount, expected close and forecast category.

:func:`movement` follows that pipeline from the instant the period opens to the instant
it ends. Each change of a deal in the period (a history row, in time order; rows at the
same instant in the file's order) moves it:

========== ===================================================================
Opening    the pipeline as the period opens (rows before ``start``)
New        a deal created in the period (or reopened) expected in the period
Pulled in  an open deal re-dated into the period (from later, or an overdue
           deal from earlier)
Pushed out a deal of the pipeline re-dated out of the period
Won        a deal of the pipeline won
Lost       a deal of the pipeline lost
Amount up  a deal of the pipeline whose amount rose (by the rise)
Amount down  ... or fell (by the fall)
Closing    the pipeline as the period ends (rows before ``end``)
========== ===================================================================

A deal that leaves the pipeline with a new amount first moves by the change of amount,
then leaves at its new amount; one that enters counts at the amount it enters with. So
the rows reconcile: Opening plus every move gives Closing, in deals and in amount.
:func:`category_changes` counts the forecast-category changes of deals that stay in the
pipeline (they move no money: a second table).

Amounts missing from a history row are carried forward from the deal's earlier rows,
else taken from the opportunity file; so are missing expected closes and categories. A
deal of the opportunity file without any history row counts as created, on its
``created`` date, as it is now, and closed on its ``closed_date`` if it is closed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.crm.export import crm_tables
from sim.crm.fields import CLOSED_LOST, CLOSED_WON, status_of_stage
from sim.rules.calendar import period_bounds

MOVES = ("Opening", "New", "Pulled in", "Pushed out", "Won", "Lost", "Amount up",
         "Amount down", "Closing")
"""The rows of :func:`movement`, in order."""

MOVEMENT_COLUMNS = ["movement", "deals", "amount", "changes"]
CATEGORY_COLUMNS = ["from_category", "to_category", "deals", "amount"]


def _timeline(opportunities: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Every deal's history rows, by deal and in time order, with the gaps filled and
    ``open`` (the deal is open after the row) and ``first`` (its first row)."""
    hist = history.reset_index(drop=True)
    opps = opportunities.reset_index(drop=True)
    missing = opps[~opps["id"].isin(hist["opportunity_id"])]
    made = pd.DataFrame({
        "opportunity_id": missing["id"], "timestamp": missing["created"],
        "stage": missing["stage"], "amount": missing["amount"],
        "expected_close": missing["expected_close"],
        "forecast_category": missing["forecast_category"]})
    closed = missing[missing["status"] != "tracking"]
    made_closed = pd.DataFrame({
        "opportunity_id": closed["id"], "timestamp": closed["closed_date"],
        "stage": np.where(closed["status"] == "won", CLOSED_WON, CLOSED_LOST),
        "amount": closed["amount"], "expected_close": closed["closed_date"],
        "forecast_category": np.where(closed["status"] == "won", "closed", "omitted")})
    parts = [p for p in (hist, made, made_closed) if len(p)]
    rows = pd.concat(parts, ignore_index=True) if parts else hist.iloc[:0].copy()
    rows = rows[rows["timestamp"].notna()]
    rows = rows.assign(_order=np.arange(len(rows)))
    rows = rows.sort_values(["opportunity_id", "timestamp", "_order"], kind="stable")
    rows = rows.reset_index(drop=True)
    deal = rows["opportunity_id"]
    amount_of = opps.drop_duplicates("id").set_index("id")["amount"]
    rows["amount"] = (rows["amount"].groupby(deal).ffill()
                      .fillna(deal.map(amount_of)).astype(float))
    rows["expected_close"] = rows["expected_close"].groupby(deal).ffill()
    category = rows["forecast_category"].replace("", np.nan)
    rows["forecast_category"] = category.groupby(deal).ffill().fillna("").astype(object)
    rows["open"] = rows["stage"].map(status_of_stage).to_numpy() == "tracking"
    rows["first"] = (deal != deal.shift()).to_numpy()
    return rows.drop(columns="_order")


def deal_states(opportunities: pd.DataFrame, history: pd.DataFrame, t) -> pd.DataFrame:
    """Each deal's state at the instant ``t``: its latest history row at or before
    ``t`` (deals created later are absent).

    Returns
    -------
    DataFrame
        One row per deal: ``opportunity_id``, ``timestamp`` (of the row in force),
        ``stage``, ``amount``, ``expected_close``, ``forecast_category`` and ``open``.
    """
    rows = _timeline(opportunities, history)
    rows = rows[rows["timestamp"] <= pd.Timestamp(t)]
    return rows.groupby("opportunity_id", sort=False).tail(1).drop(columns="first") \
        .reset_index(drop=True)


def _transitions(opportunities, history, start, end) -> tuple[pd.DataFrame, dict]:
    """The changes of the period's rows, each with the state before and after it, and
    the opening and closing pipelines."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if not start < end:
        raise ValueError(f"the period's end {end} must come after its start {start}")
    rows = _timeline(opportunities, history)
    within = ((rows["expected_close"] >= start) & (rows["expected_close"] < end)).to_numpy()
    rows["in_pipeline"] = rows["open"].to_numpy() & within
    before = {}
    for name, t in (("opening", start), ("closing", end)):
        state = rows[rows["timestamp"] < t].groupby("opportunity_id", sort=False).tail(1)
        before[name] = state[state["in_pipeline"]]
    prev = rows.groupby("opportunity_id", sort=False)[
        ["in_pipeline", "amount", "open", "forecast_category"]].shift()
    first = rows["first"].to_numpy()
    moves = pd.DataFrame({
        "opportunity_id": rows["opportunity_id"],
        "timestamp": rows["timestamp"],
        "was_in": np.where(first, False, prev["in_pipeline"].fillna(False)).astype(bool),
        "was_open": np.where(first, False, prev["open"].fillna(False)).astype(bool),
        "is_in": rows["in_pipeline"].to_numpy(),
        "stage": rows["stage"].to_numpy(),
        "old_amount": prev["amount"].to_numpy(dtype=float),
        "amount": rows["amount"].to_numpy(dtype=float),
        "old_category": prev["forecast_category"].to_numpy(dtype=object),
        "category": rows["forecast_category"].to_numpy(dtype=object),
        "first": first,
    })
    in_period = ((moves["timestamp"] >= start) & (moves["timestamp"] < end)).to_numpy()
    return moves[in_period].reset_index(drop=True), before


def movement(opportunities: pd.DataFrame, history: pd.DataFrame, start, end) -> pd.DataFrame:
    """How the pipeline of the period ``[start, end)`` moved from its opening to its
    closing (see the module's notes).

    Parameters
    ----------
    opportunities, history : DataFrame
        As :func:`sim.crm.reader.read_opportunities` and
        :func:`~sim.crm.reader.read_history` return them (or
        :func:`sim.crm.export.crm_tables`).
    start, end : date or Timestamp
        The period, ``end`` excluded (:func:`sim.rules.calendar.period_bounds`).

    Returns
    -------
    DataFrame
        One row per :data:`MOVES` entry: ``movement``, ``deals`` (the change in the
        pipeline's number of deals; the count for Opening and Closing), ``amount`` (the
        change in its amount, outflows negative; the total for Opening and Closing) and
        ``changes`` (how many changes the row counts). Opening plus the moves equals
        Closing, in ``deals`` and in ``amount``.

    Examples
    --------
    >>> from sim.crm.reader import read_history, read_opportunities
    >>> opps = read_opportunities("tests/data/salesforce_opportunities.csv")
    >>> hist = read_history("tests/data/salesforce_history.csv")
    >>> table = movement(opps, hist, *period_bounds("2027-Q2"))
    >>> list(table["movement"]) == list(MOVES)
    True
    >>> bool(table["deals"].iloc[:-1].sum() == table["deals"].iloc[-1])
    True
    """
    moves, before = _transitions(opportunities, history, start, end)
    was, now = moves["was_in"].to_numpy(), moves["is_in"].to_numpy()
    status = moves["stage"].map(status_of_stage).to_numpy()
    enter, leave = ~was & now, was & ~now
    delta = np.where(was, moves["amount"] - moves["old_amount"], 0.0)
    new = enter & (moves["first"].to_numpy() | ~moves["was_open"].to_numpy())
    amount = moves["amount"].to_numpy(dtype=float)
    masks = {
        "New": (new, 1), "Pulled in": (enter & ~new, 1),
        "Pushed out": (leave & (status == "tracking"), -1),
        "Won": (leave & (status == "won"), -1), "Lost": (leave & (status == "lost"), -1),
    }
    rows = [("Opening", len(before["opening"]), before["opening"]["amount"].sum(),
             len(before["opening"]))]
    for name, (mask, sign) in masks.items():
        rows.append((name, sign * int(mask.sum()), sign * amount[mask].sum(), int(mask.sum())))
    up, down = was & (delta > 0), was & (delta < 0)
    rows.append(("Amount up", 0, delta[up].sum(), int(up.sum())))
    rows.append(("Amount down", 0, delta[down].sum(), int(down.sum())))
    rows.append(("Closing", len(before["closing"]), before["closing"]["amount"].sum(),
                 len(before["closing"])))
    table = pd.DataFrame(rows, columns=MOVEMENT_COLUMNS)
    table["amount"] = table["amount"].astype(float) + 0.0  # no -0.0 for an empty outflow
    return table


def category_changes(opportunities: pd.DataFrame, history: pd.DataFrame, start,
                     end) -> pd.DataFrame:
    """The forecast-category changes of deals that stayed in the period's pipeline
    (see :func:`movement`): they move no money, only the manager's confidence.

    Returns
    -------
    DataFrame
        One row per (``from_category``, ``to_category``) pair seen, with ``deals`` (how
        many changes) and ``amount`` (the deals' amounts after the change), largest
        amount first.
    """
    moves, _ = _transitions(opportunities, history, start, end)
    stay = moves["was_in"] & moves["is_in"] & (moves["old_category"] != moves["category"])
    changed = moves[stay].rename(columns={"old_category": "from_category",
                                          "category": "to_category"})
    table = changed.groupby(["from_category", "to_category"], as_index=False).agg(
        deals=("amount", "size"), amount=("amount", "sum"))
    return table.sort_values("amount", ascending=False, kind="stable")[
        CATEGORY_COLUMNS].reset_index(drop=True)


def movement_of_run(result, period: str) -> pd.DataFrame:
    """:func:`movement` of a run's CRM files (:func:`sim.crm.export.crm_tables`) for a
    calendar period such as ``"2026-Q2"`` (:func:`sim.rules.calendar.period_bounds`).
    """
    opportunities, history = crm_tables(result)
    return movement(opportunities, history, *period_bounds(period))
