"""Rep hours: how much of each stretch of work falls in the results period."""

from __future__ import annotations

import numpy as np

from sim.rules.calendar import in_period


def busy_hours_in_period(rep_time, horizon: float) -> np.ndarray:
    """Hours of each rep_time row that fall inside the results period.

    ``rep_time`` is the table, or its facts (``RunResult.facts("rep_time")``): anything
    with ``start_day``, ``end_day`` and ``hours`` columns.
    """
    first = np.asarray(rep_time["start_day"], dtype=float)
    last = np.asarray(rep_time["end_day"], dtype=float)
    start, end = np.clip(first, 0, horizon), np.clip(last, 0, horizon)
    span = last - first
    share = np.where(span > 0, (end - start) / np.where(span > 0, span, 1), 0.0)
    # zero-length tasks count when they start inside the period
    share = np.where(span > 0, share, in_period(first, horizon))
    return np.asarray(rep_time["hours"], dtype=float) * share
