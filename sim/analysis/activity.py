"""What the reps did on each deal, read from ``rep_time``: the facts that a deal's last
activity (:func:`sim.rules.deals.last_activity_day`) is made of, shared by the diagnostics
and the opportunity view so that both call the same deal idle."""

from __future__ import annotations

import numpy as np
import pandas as pd


def last_effort_day(rep_time: pd.DataFrame, on: float) -> pd.Series:
    """The last extra closing effort on each deal's stage, as known at day ``on``.

    Late stages accept *effort*: sessions of extra rep hours while the customer decides
    (``rep_time`` rows with ``activity == "effort"``). A session counts once it has
    started by ``on``; one still under way at ``on`` counts as activity at ``on`` (a deal
    a rep is working on is not idle).

    Parameters
    ----------
    rep_time : DataFrame
        A run's ``rep_time`` table: at least ``activity``, ``opportunity_id``,
        ``stage_index``, ``start_day`` and ``end_day`` (days from ``start_date``).
    on : float
        The day the deals are looked at (days from ``start_date``).

    Returns
    -------
    Series
        Float day numbers, indexed by ``(opportunity_id, stage_index)``, one entry per
        stage of a deal that had effort started by ``on``: the latest ``min(end_day,
        on)`` over its sessions. A stage with no such session has no entry (reindex it
        to get NaN, which :func:`sim.rules.deals.last_activity_day` ignores).
    """
    effort = rep_time[(rep_time["activity"] == "effort") & (rep_time["start_day"] <= on)]
    days = pd.DataFrame({
        "opportunity_id": effort["opportunity_id"].to_numpy(dtype=int),
        "stage_index": effort["stage_index"].to_numpy(dtype=int),
        "last_effort_day": np.minimum(effort["end_day"].to_numpy(dtype=float), on),
    })
    return days.groupby(["opportunity_id", "stage_index"])["last_effort_day"].max()
