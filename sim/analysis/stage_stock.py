"""The pipeline over time: the stock of tracking deals in each stage at regular days.

A deal is in a stage from the day it entered it until its decision there (it advanced,
was won or was lost; :func:`sim.rules.deals.in_stage`), so on any day the stock per
stage is the funnel of that day (:func:`sim.analysis.views.funnel`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.rules.calendar import to_date
from sim.rules.deals import in_stage


def stage_stock(result, step_days: float = 7.0,
                days: Sequence[float] | None = None) -> pd.DataFrame:
    """Tracking deals per stage at regular days of the results period.

    Parameters
    ----------
    result : RunResult
        One run.
    step_days : float
        Days between two snapshots, from day 0 up to (not including) ``horizon_days``.
    days : sequence of float, optional
        The snapshot days instead (days from ``start_date``).

    Returns
    -------
    pandas.DataFrame
        Long, one row per snapshot day and stage, empty stages included: ``day``,
        ``date``, ``stage_index``, ``stage``, ``count`` (tracking deals in the stage)
        and ``amount`` (their total amount, in the scenario's currency).
    """
    sc = result.scenario
    t = (np.arange(0.0, sc.horizon_days, step_days) if days is None
         else np.asarray(days, dtype=float))
    hist = result.stage_history
    # a stage row lasts until its decision; an undecided row is open for good
    left = hist["decided_day"].to_numpy(dtype=float, na_value=np.nan)
    held = in_stage(hist["entered_day"], np.where(np.isnan(left), np.inf, left), t)
    amount_of = result.opportunities.set_index("opportunity_id")["amount"]
    amount = hist["opportunity_id"].map(amount_of).to_numpy(dtype=float)
    stage = hist["stage_index"].to_numpy(dtype=int)
    n = len(sc.stages)
    count = np.zeros((len(t), n))
    total = np.zeros((len(t), n))
    for k in range(n):
        rows = held[stage == k]
        count[:, k] = rows.sum(axis=0)
        total[:, k] = (rows * amount[stage == k][:, None]).sum(axis=0)
    frame = pd.DataFrame({
        "day": np.repeat(t, n),
        "stage_index": np.tile(np.arange(n), len(t)),
        "stage": np.tile(np.asarray([s.name for s in sc.stages], dtype=object), len(t)),
        "count": count.reshape(-1).astype(int),
        "amount": total.reshape(-1),
    })
    frame.insert(1, "date", to_date(sc.start_date, frame["day"]))
    return frame
