"""Rep hours: how much of each stretch of work falls in the results period."""

from __future__ import annotations

import numpy as np

from sim.rules.calendar import in_period


def busy_hours_in_period(rep_time, horizon: float):
    """Hours of each rep_time row that fall inside the results period."""
    start = rep_time["start_day"].clip(0, horizon)
    end = rep_time["end_day"].clip(0, horizon)
    span = rep_time["end_day"] - rep_time["start_day"]
    share = np.where(span > 0, (end - start) / span.where(span > 0, 1), 0.0)
    # zero-length tasks count when they start inside the period
    share = np.where(span > 0, share, in_period(rep_time["start_day"], horizon))
    return rep_time["hours"] * share
