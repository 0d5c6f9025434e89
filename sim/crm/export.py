"""A run's deals as a CRM would export them: ``opportunities.csv`` (one row per deal) and
``history.csv`` (one row per change), in the canonical columns of
:mod:`sim.crm.fields`, which :mod:`sim.crm.reader` reads back.

Every deal of the run is exported, those of the warm-up too (a CRM holds them all), with
dates from the engine's days through :mod:`sim.rules.calendar`:

- **opportunities**: ``id`` the opportunity id; ``name``, ``account``, ``owner`` and
  ``lead_source`` the opportunity table's subject, customer, owner and channel;
  ``stage`` the last stage the deal reached (where it was won or lost, for a closed
  deal: ``status`` says which); ``probability`` the stage's win rate while open, 1 for
  won and 0 for lost (as a CRM sets it); ``forecast_category`` the owner's latest, or
  ``closed``/``omitted``; ``expected_close`` the owner's latest estimate while open and
  the day it closed once closed (Salesforce's convention); ``closed_date`` that day;
  ``amount`` in the scenario's currency, to the cent.
- **history**: a row when a deal enters a stage (the owner's estimate and category made
  then), when its owner revises the estimate or category (``forecast_revised`` events,
  where the engine logs them), and when it is won (stage ``Closed Won``, category
  ``closed``) or lost (``Closed Lost``, ``omitted``); timestamps to the second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.crm.fields import CLOSED_LOST, CLOSED_WON, HISTORY_FIELDS, OPPORTUNITY_FIELDS
from sim.rules.calendar import to_date

_CHANGES = ("stage_entered", "forecast_revised")
"""The events at which an owner (re-)estimates a deal's close and category."""


def owner_categories(result) -> pd.DataFrame:
    """The owners' estimates: one row per ``stage_entered`` or ``forecast_revised``
    event, with ``day``, ``opportunity_id``, ``stage`` (index), ``expected_close_day``
    and ``category`` (``pipeline``, ``best_case`` or ``commit``), as the owner set them."""
    ev = result.events
    rows = ev[ev["event"].isin(_CHANGES)]
    return rows[["day", "opportunity_id", "stage", "expected_close_day", "category"]
                ].reset_index(drop=True)


def crm_tables(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run's opportunities and history in the canonical CRM columns.

    Parameters
    ----------
    result : RunResult
        The run.

    Returns
    -------
    (DataFrame, DataFrame)
        ``opportunities`` (:data:`~sim.crm.fields.OPPORTUNITY_FIELDS`, one row per deal
        by id) and ``history`` (:data:`~sim.crm.fields.HISTORY_FIELDS`, in time order),
        as :func:`~sim.crm.reader.read_opportunities` and
        :func:`~sim.crm.reader.read_history` return them (dates at midnight,
        timestamps to the second, ids as text).
    """
    sc = result.scenario
    opps = result.opportunities
    start = sc.start_date
    estimates = owner_categories(result)
    ev = result.events
    closes = ev[ev["event"].isin(("won", "lost"))]
    won = closes["event"].to_numpy() == "won"
    amount_of = opps.set_index("opportunity_id")["amount"]
    history = pd.concat([
        pd.DataFrame({
            "opportunity_id": estimates["opportunity_id"].to_numpy(),
            "day": estimates["day"].to_numpy(dtype=float),
            "stage": np.asarray([s.name for s in sc.stages], dtype=object)[
                estimates["stage"].to_numpy()],
            "amount": estimates["opportunity_id"].map(amount_of).to_numpy(dtype=float),
            "expected_close_day": estimates["expected_close_day"].to_numpy(dtype=float),
            "forecast_category": estimates["category"].to_numpy(dtype=object)}),
        pd.DataFrame({
            "opportunity_id": closes["opportunity_id"].to_numpy(),
            "day": closes["day"].to_numpy(dtype=float),
            "stage": np.where(won, CLOSED_WON, CLOSED_LOST).astype(object),
            "amount": closes["opportunity_id"].map(amount_of).to_numpy(dtype=float),
            "expected_close_day": closes["day"].to_numpy(dtype=float),
            "forecast_category": np.where(won, "closed", "omitted").astype(object)}),
    ], ignore_index=True)
    # time order; at one instant the estimate comes before the decision it led to
    history = history.sort_values(["day", "opportunity_id"], kind="stable")
    history = history.reset_index(drop=True)
    latest = history.groupby("opportunity_id").tail(1).set_index("opportunity_id")
    oid = opps["opportunity_id"]
    status = opps["status"].to_numpy(dtype=object)
    rates = np.asarray(sc.win_rates, dtype=float)[opps["stage_index"].to_numpy()]
    closed_day = opps["closed_day"].to_numpy(dtype=float)
    expected_day = np.where(status == "tracking",
                            oid.map(latest["expected_close_day"]).to_numpy(dtype=float),
                            closed_day)
    opportunities = pd.DataFrame({
        "id": oid.astype(str).to_numpy(dtype=object),
        "name": opps["subject"].to_numpy(dtype=object),
        "account": opps["customer"].to_numpy(dtype=object),
        "owner": opps["owner"].to_numpy(dtype=object),
        "stage": opps["stage"].to_numpy(dtype=object),
        "amount": opps["amount"].to_numpy(dtype=float).round(2),
        "probability": np.select([status == "won", status == "lost"], [1.0, 0.0], rates),
        "forecast_category": oid.map(latest["forecast_category"]).to_numpy(dtype=object),
        "created": _day_date(start, opps["created_day"]),
        "expected_close": _day_date(start, expected_day),
        "closed_date": _day_date(start, closed_day),
        "status": status,
        "lost_reason": opps["lost_reason"].to_numpy(dtype=object),
        "lead_source": opps["channel"].to_numpy(dtype=object),
    })
    history = pd.DataFrame({
        "opportunity_id": history["opportunity_id"].astype(str).to_numpy(dtype=object),
        "timestamp": _stamp(start, history["day"]),
        "stage": history["stage"].to_numpy(dtype=object),
        "amount": history["amount"].to_numpy(dtype=float).round(2),
        "expected_close": _day_date(start, history["expected_close_day"]),
        "forecast_category": history["forecast_category"].to_numpy(dtype=object),
    })
    return opportunities[list(OPPORTUNITY_FIELDS)], history[list(HISTORY_FIELDS)]


def _day_date(start, days) -> np.ndarray:
    """The calendar day (midnight) of each day number; NaT for NaN."""
    return np.asarray(to_date(start, np.asarray(days, dtype=float)).normalize(),
                      dtype="datetime64[ns]")


def _stamp(start, days) -> np.ndarray:
    """The instant of each day number, to the second."""
    return np.asarray(to_date(start, np.asarray(days, dtype=float)).round("s"),
                      dtype="datetime64[ns]")


def write_crm(result, folder) -> list[Path]:
    """Write ``folder/opportunities.csv`` and ``folder/history.csv`` (see
    :func:`crm_tables`); dates as ``YYYY-MM-DD``, timestamps as ``YYYY-MM-DD HH:MM:SS``.

    ``folder`` is created if needed; existing files are not overwritten
    (``FileExistsError``). Returns the files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in zip(("opportunities", "history"), crm_tables(result), strict=True):
        path = folder / f"{name}.csv"
        with path.open("x", encoding="utf-8", newline="") as fh:
            crm_csv(frame, fh)
        written.append(path)
    return written


def crm_csv(frame: pd.DataFrame, fh) -> None:
    """Write one of :func:`crm_tables`' frames as CSV to the open text file ``fh``."""
    out = frame.copy()
    for col in ("created", "expected_close", "closed_date"):
        if col in out:
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    if "timestamp" in out:
        out["timestamp"] = out["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    out.to_csv(fh, index=False)
