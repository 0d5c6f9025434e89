"""Calendar dates without pandas: the date arithmetic a scenario's rules need.

The command line reads and checks scenarios before it loads pandas (``funnel --help``
stays quick), so the rules a scenario is checked by count calendar dates here, with the
standard library; :mod:`sim.rules.calendar` holds everything else about days and dates
(timestamps, periods, parsing). A date means its midnight, as there.
"""

from __future__ import annotations

import datetime as dt
import math
from calendar import monthrange


def day_of(start_date: dt.date, date: dt.date) -> float:
    """Days from ``start_date`` to the calendar date ``date`` (negative before it).

    >>> day_of(dt.date(2027, 1, 1), dt.date(2027, 4, 1))
    90.0
    """
    return float((date - start_date).days)


def date_of(start_date: dt.date, day: float) -> dt.date:
    """The calendar date holding day number ``day`` (days from ``start_date``)."""
    return start_date + dt.timedelta(days=math.floor(day))


def first_date(scenario) -> dt.date:
    """The first calendar day of the run: the day the warm-up starts (``warmup_days``
    before ``start_date``, a part day counting as a day)."""
    return scenario.start_date - dt.timedelta(days=math.ceil(scenario.warmup_days))


def add_months(date: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` calendar months after ``date`` (the month's
    last day when it is shorter).

    >>> add_months(dt.date(2027, 1, 31), 1)
    datetime.date(2027, 2, 28)
    """
    year, month = divmod(date.year * 12 + date.month - 1 + months, 12)
    return dt.date(year, month + 1, min(date.day, monthrange(year, month + 1)[1]))


def last_date(scenario) -> dt.date:
    """The last calendar day of the results period (``horizon_days`` from ``start_date``,
    a part day counting as a day)."""
    days = max(math.ceil(scenario.horizon_days) - 1, 0)
    return scenario.start_date + dt.timedelta(days=days)
