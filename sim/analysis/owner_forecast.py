"""What each owner believed about their deals at any time: the one home of "a deal's
expected close and forecast category at t".

The engine records every estimate an owner makes (``stage_entered`` and
``forecast_revised`` events); ``result.forecast_history`` has one row per estimate, in
force from its ``day`` until ``until_day`` (the deal's next estimate, or its win or loss).
Every view, diagnostic and forecast that needs an owner's belief at a time reads it here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.rules.deals import in_stage, stage_row_at

BELIEF_COLUMNS = ["opportunity_id", "owner", "stage_index", "expected_close_day", "category",
                  "revision", "day"]


def in_force(history: pd.DataFrame, t) -> np.ndarray:
    """(rows x times) mask: the row of ``history`` (a ``forecast_history``) in force for
    its deal at each time ``t`` (days from start_date), for deals still tracking then."""
    return in_stage(history["day"], history["until_day"], t)


def beliefs_at(result, on: float) -> pd.DataFrame:
    """Each deal's latest estimate made by day ``on``: the owner's expected close and
    forecast category as they stood then (for a deal decided by ``on``, its last).

    Parameters
    ----------
    result : RunResult
        Its ``forecast_history`` is used.
    on : float
        Days from start_date.

    Returns
    -------
    DataFrame
        Indexed by ``opportunity_id`` (sorted), columns :data:`BELIEF_COLUMNS` but the
        index; ``day`` is when the estimate was made.
    """
    hist = result.forecast_history
    ids, rows = stage_row_at(hist["opportunity_id"], hist["revision"], hist["day"], on)
    out = hist.iloc[rows][BELIEF_COLUMNS].set_index("opportunity_id")
    out.index = pd.Index(ids, name="opportunity_id")
    return out
