"""How fast a marketing channel brings leads, and how many leads a run may ask for.

One home for the arrival rate of an inbound or campaign channel: the engine thins a
Poisson process with it (:func:`sim.engine.leadgen.arrival_days`), and the scenario's
validator checks with it, before anything is drawn, that a run does not ask for more
leads than :data:`MAX_LEADS_PER_RUN` (:func:`leads_drawn`).

Only numpy is needed here (no pandas), so checking a scenario stays quick. A channel
and a scenario are read by their attributes (``kind``, ``leads_per_week``,
``seasonality``, ``growth_per_year``, ``budget_per_month``, ``cost_per_lead``;
``start_date``, ``warmup_days``, ``run_days``), so the rule works on anything shaped
like them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from sim.rules.reps import rep_names

MAX_LEADS_PER_RUN = 1_000_000
"""Most lead arrivals one run may draw from its inbound and campaign channels together.

A lead costs the engine about 1.3 kB of memory (measured: a year with 157,000 leads took
200 MB more than a small run, and 10 to 20 seconds), and the time grows faster than the
count once the reps cannot keep up; so a run at the cap already needs more than a
gigabyte and minutes, and twice that no longer fits a classroom laptop. A course
scenario brings a few thousand leads."""

GRID_POINTS = 400
"""Points of the run at which the peak rate is looked for (the thinning's envelope)."""
PEAK_MARGIN = 1.0001
"""The envelope's margin above the highest rate seen on the grid."""

MARKETING_KINDS = ("inbound", "outbound_campaign")
"""Channel kinds whose leads arrive on their own (a prospecting channel's leads come from
rep time instead)."""


def month_of_run(first_date: dt.date, days: np.ndarray) -> np.ndarray:
    """Calendar month (0 = January) of run ``days`` counted from ``first_date``."""
    origin = np.datetime64(first_date, "D")
    dates = origin + np.floor(days).astype("timedelta64[D]")
    return dates.astype("datetime64[M]").astype(int) % 12


def arrival_rate_per_day(channel, scenario, days: np.ndarray) -> np.ndarray:
    """Mean leads per day of an inbound or campaign channel at simulation ``days``.

    A campaign brings ``budget_per_month / cost_per_lead`` leads a month, evenly; an
    inbound channel ``leads_per_week``, times its month's ``seasonality`` multiplier and
    ``(1 + growth_per_year)`` to the power of the years since ``start_date`` (day 0 of the
    run is the start of the warm-up).
    """
    rate = np.full_like(days, base_rate_per_day(channel), dtype=float)
    if channel.kind == "outbound_campaign":
        return rate
    if channel.seasonality is not None:
        first = scenario.start_date - dt.timedelta(days=scenario.warmup_days)
        rate = rate * np.asarray(channel.seasonality)[month_of_run(first, days)]
    if channel.growth_per_year:
        rate = rate * (1 + channel.growth_per_year) ** ((days - scenario.warmup_days) / 365)
    return rate


def peak_rate_per_day(channel, scenario) -> float:
    """The envelope of the channel's rate over the run: the highest rate on a grid of
    :data:`GRID_POINTS` days, with a small margin. The engine draws candidate arrivals at
    this rate and keeps each with chance rate / peak."""
    if channel.kind == "outbound_campaign" or (channel.seasonality is None
                                               and not channel.growth_per_year):
        return base_rate_per_day(channel) * PEAK_MARGIN  # a flat rate: no grid needed
    grid = np.linspace(0, scenario.run_days, GRID_POINTS)
    return float(arrival_rate_per_day(channel, scenario, grid).max()) * PEAK_MARGIN


def base_rate_per_day(channel) -> float:
    """Leads per day before seasonality and growth."""
    if channel.kind == "outbound_campaign":
        return channel.budget_per_month * 12 / 365 / channel.cost_per_lead
    return channel.leads_per_week / 7


def leads_drawn(channel, scenario) -> float:
    """The candidate arrivals the engine draws for an inbound or campaign channel over the
    whole run (warm-up included), on average: its peak rate times the run's days. This is
    what :data:`MAX_LEADS_PER_RUN` bounds; the leads that arrive are fewer where
    seasonality or growth keep the rate below its peak (:func:`expected_leads`)."""
    return peak_rate_per_day(channel, scenario) * scenario.run_days


def expected_leads(channel, scenario) -> float:
    """The leads an inbound or campaign channel brings over the whole run, on average: its
    rate summed over the run's days (a trapezoid sum, at least daily)."""
    days = scenario.run_days
    grid = np.linspace(0, days, max(GRID_POINTS, int(days) + 1))
    rate = arrival_rate_per_day(channel, scenario, grid)
    return float(np.sum((rate[1:] + rate[:-1]) / 2 * np.diff(grid)))


def prospecting_leads_most(channel, scenario) -> float:
    """The most leads a prospecting channel can bring in a run, on average: every rep
    (hires included) prospecting the week's whole call list (``max_hours_per_week``)
    every week of the run, at ``leads_per_hour``. Reps do less (they also verify, sell
    and hand over), so this bounds the memory a run can need from prospecting, as
    :data:`MAX_LEADS_PER_RUN` does."""
    weeks = scenario.run_days / 7
    reps = len(rep_names(scenario.team))  # hires included
    return reps * channel.max_hours_per_week * weeks * channel.leads_per_hour
