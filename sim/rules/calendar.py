"""The one calendar: day numbers and dates, the results period, and calendar periods.

Every table counts time in *days from the scenario's* ``start_date`` (negative in the
warm-up); the engine's own clock starts at the warm-up, ``warmup_days`` earlier. A date
means its midnight, the start of that day. Periods are calendar months, quarters or
years, each the half-open interval ``[start_day, end_day)``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re

import numpy as np
import pandas as pd

PERIOD_CODES = {"month": "M", "quarter": "Q", "year": "Y"}
"""Period name -> pandas period code."""


def to_date(start_date, days):
    """Calendar timestamps of day numbers (days from ``start_date``).

    A scalar gives a :class:`pandas.Timestamp`, a Series a Series, an array or list a
    :class:`pandas.DatetimeIndex`.
    """
    if not isinstance(days, pd.Series | pd.Index | float | int | np.floating | np.integer):
        days = np.asarray(days, dtype=float)
    return pd.Timestamp(start_date) + pd.to_timedelta(days, unit="D")


def to_day(start_date, when) -> float:
    """Days from ``start_date`` to the instant ``when`` (a date means its midnight)."""
    return (pd.Timestamp(when) - pd.Timestamp(start_date)) / pd.Timedelta(days=1)


def in_period(day, horizon: float):
    """True where ``day`` (days from start_date) falls in the results period
    ``[0, horizon)``."""
    return (day >= 0) & (day < horizon)


def _show(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")


def parse_instant(on, start_date, first_day: float, last_day: float) -> float:
    """The day number of the instant ``on``, checked to lie in ``[first_day, last_day]``.

    The one date parser. ``on`` may be a date or datetime, a :class:`pandas.Timestamp`,
    a ``'YYYY-MM-DD'`` string or a day number (days from ``start_date``).

    Raises
    ------
    ValueError
        When ``on`` is not a date or a number, or falls outside the range; the message
        names the value and the range allowed.
    """
    origin = pd.Timestamp(start_date)
    if isinstance(on, bool | np.bool_):
        raise ValueError(f"on={on!r} is not a date: give a date such as "
                         f"'{_show(origin)}', a pandas Timestamp, or a day number")
    if isinstance(on, int | float | np.integer | np.floating):
        day = float(on)
    elif isinstance(on, str | dt.date | pd.Timestamp | np.datetime64):
        try:
            ts = pd.Timestamp(on)
        except (ValueError, TypeError) as err:
            raise ValueError(f"on={on!r} is not a date: give a date such as "
                             f"'{_show(origin)}' (YYYY-MM-DD), a pandas Timestamp, or a day "
                             f"number from start_date") from err
        if pd.isna(ts):
            raise ValueError(f"on={on!r} is not a date: give a date such as '{_show(origin)}'")
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        day = (ts - origin) / pd.Timedelta(days=1)
    else:
        raise ValueError(f"on={on!r} is not a date: give a date, a pandas Timestamp, a "
                         f"'YYYY-MM-DD' string or a day number (got {type(on).__name__})")
    if not math.isfinite(day) or not first_day <= day <= last_day:
        start = origin + pd.Timedelta(days=first_day)
        end = origin + pd.Timedelta(days=last_day)
        shown = f"day {day:g}" if math.isfinite(day) else "not a finite day"
        raise ValueError(
            f"on={on!r} ({shown}) is outside the simulated run: choose a date from "
            f"{_show(start)} to {_show(end)}, or a day number from {first_day:g} to "
            f"{last_day:g} (days from start_date {_show(origin)}; negative days are the "
            "warm-up)")
    return float(day)


def day_of_run(scenario, on=None) -> float:
    """The instant ``on`` of a run as days from ``start_date`` (see :func:`parse_instant`),
    anywhere from the start of the warm-up to the end of the results period; None means
    the end of the results period."""
    if on is None:
        return float(scenario.horizon_days)
    return parse_instant(on, scenario.start_date, -float(scenario.warmup_days),
                         float(scenario.horizon_days))


def period_table(start_date, period: str, first_day: float, last_day: float,
                 extra: int = 0) -> pd.DataFrame:
    """The calendar periods from the one holding ``first_day`` to the one holding
    ``last_day``, and ``extra`` more after it.

    Returns
    -------
    DataFrame
        One row per period: ``period`` (label such as ``2026Q1``, ``2026-01`` or
        ``2026``), ``start`` (its first day as a timestamp), ``start_day`` and
        ``end_day`` (days from ``start_date``; the period is ``[start_day, end_day)``).
    """
    labels, edges, days = _periods(start_date, period, first_day, last_day, extra)
    return pd.DataFrame({"period": labels, "start": edges[:-1], "start_day": days[:-1].copy(),
                         "end_day": days[1:].copy()})


@functools.lru_cache(maxsize=256)
def _periods(start_date, period: str, first_day: float, last_day: float, extra: int):
    """Labels, edge timestamps and edge day numbers of :func:`period_table` (cached: a
    run's KPIs ask for the same calendar again and again)."""
    code = PERIOD_CODES[period]
    origin = pd.Timestamp(start_date)
    first = (origin + pd.Timedelta(days=first_day)).to_period(code)
    last = (origin + pd.Timedelta(days=last_day)).to_period(code) + extra
    spans = pd.period_range(first, last + 1, freq=code)
    edges = spans.to_timestamp()
    days = ((edges - origin) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    days.flags.writeable = False
    return [str(p) for p in spans[:-1]], edges, days


def results_periods(scenario, period: str) -> pd.DataFrame:
    """The periods that overlap the results period ``[0, horizon_days)``, with ``whole``:
    the period lies entirely inside it, so its flows are fully observed."""
    table = period_table(scenario.start_date, period, 0.0, scenario.horizon_days - 1e-9)
    return table.assign(whole=(table["start_day"] >= 0)
                        & (table["end_day"] <= scenario.horizon_days))


def period_bounds(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The calendar period a user names, as ``(start, end)``: midnight of its first day
    and of the day after its last (the period is the half-open ``[start, end)``).

    ``text`` is a quarter (``2027-Q1`` or ``2027Q1``), a month (``2027-03``) or a year
    (``2027``); case and surrounding spaces do not matter.

    Raises
    ------
    ValueError
        When ``text`` names no such period; the message names the value and the forms
        accepted.

    Examples
    --------
    >>> period_bounds("2027-Q1")
    (Timestamp('2027-01-01 00:00:00'), Timestamp('2027-04-01 00:00:00'))
    >>> period_bounds("2027-02")[1]
    Timestamp('2027-03-01 00:00:00')
    """
    raw = str(text).strip().upper().replace(" ", "")
    forms = (
        (r"(\d{4})-?Q([1-4])", "Q", lambda m: f"{m[1]}Q{m[2]}"),
        (r"(\d{4})-(0[1-9]|1[0-2])", "M", lambda m: f"{m[1]}-{m[2]}"),
        (r"(\d{4})", "Y", lambda m: m[1]),
    )
    for pattern, code, label in forms:
        match = re.fullmatch(pattern, raw)
        if match:
            period = pd.Period(label(match), freq=code)
            return period.start_time.normalize(), (period + 1).start_time.normalize()
    raise ValueError(f"value {text!r} is not a period: give a quarter (2027-Q1), a month "
                     "(2027-03) or a year (2027)")
