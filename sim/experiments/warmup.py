"""Running the replications for a warm-up study (see :mod:`sim.analysis.warmup`).

Each replication is run whole, warm-up included, and ships back only its weekly
measures (a few hundred numbers), not its tables.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

from sim.analysis.result import RunResult
from sim.analysis.warmup import (
    WARMUP_MEASURES,
    WEEK_DAYS,
    settling_point,
    warmup_table,
    weekly_measures,
)
from sim.experiments.runner import compare
from sim.scenario.schema import Scenario

_SEP = "|"


def weekly_of(result: RunResult, step_days: float = WEEK_DAYS) -> dict:
    """The weekly measures of one run as one flat row (``"bookings|3"``: week 3's
    bookings), the shape :func:`~sim.experiments.runner.compare` collects."""
    weeks = weekly_measures(result, step_days)
    row = {f"start_day{_SEP}{w}": d for w, d in zip(weeks["week"], weeks["start_day"],
                                                    strict=True)}
    for measure in WARMUP_MEASURES:
        row |= {f"{measure}{_SEP}{w}": float(v) for w, v in zip(weeks["week"],
                                                                 weeks[measure], strict=True)}
    return row


def weekly_runs(scenario: Scenario, replications=10, *, step_days: float = WEEK_DAYS,
                **execution) -> pd.DataFrame:
    """The weekly measures of several replications, warm-up included.

    Parameters
    ----------
    scenario : Scenario
        What to run (its ``warmup_days`` and ``horizon_days`` set the weeks).
    replications : int or iterable of int
        As for :func:`~sim.experiments.runner.compare`.
    step_days : float
        The period (a week).
    **execution
        Passed on to :func:`~sim.experiments.runner.compare`.

    Returns
    -------
    DataFrame
        One row per replication and week: ``replication``, ``week``, ``start_day`` and
        the :data:`~sim.analysis.warmup.WARMUP_MEASURES`.
    """
    wide = compare({scenario.name: scenario}, replications,
                   metrics=functools.partial(weekly_of, step_days=step_days), **execution)
    long = wide.drop(columns="scenario").melt(id_vars="replication")
    parts = long["variable"].str.rsplit(_SEP, n=1, expand=True)
    long = long.assign(measure=parts[0], week=parts[1].astype(int))
    table = long.pivot_table(index=["replication", "week"], columns="measure",
                             values="value", sort=True).reset_index()
    table.columns.name = None
    return table[["replication", "week", "start_day", *WARMUP_MEASURES]]


@dataclass(frozen=True)
class WarmupStudy:
    """A warm-up study: the weekly runs, the smoothed table and the advice.

    Attributes
    ----------
    scenario : Scenario
        The scenario studied.
    weekly : DataFrame
        :func:`weekly_runs`.
    table : DataFrame
        :func:`~sim.analysis.warmup.warmup_table` (weekly means and Welch's average).
    advice : DataFrame
        One row per measure: :func:`~sim.analysis.warmup.settling_point`.
    window, tolerance
        The settings used.
    """

    scenario: Scenario
    weekly: pd.DataFrame
    table: pd.DataFrame
    advice: pd.DataFrame
    window: int
    tolerance: float

    def suggested_days(self) -> float | None:
        """The longest of the measures' settling points, in days from the start of the
        run (None when a measure does not settle)."""
        days = self.advice["run_days"]
        return None if days.isna().any() else float(days.max())


def warmup_study(scenario: Scenario, replications=10, *, window: int = 5,
                 tolerance: float = 0.1, measures=WARMUP_MEASURES,
                 **execution) -> WarmupStudy:
    """Run replications and read where the weekly measures settle.

    Parameters
    ----------
    scenario : Scenario
        What to run.
    replications : int or iterable of int
        As for :func:`~sim.experiments.runner.compare`.
    window : int
        Weeks on each side of Welch's moving average.
    tolerance : float
        The settling band, as a share of the settled level (see
        :func:`~sim.analysis.warmup.settling_point`).
    measures : list of str
        Which of :data:`~sim.analysis.warmup.WARMUP_MEASURES` to advise on.
    **execution
        Passed on to :func:`~sim.experiments.runner.compare`.
    """
    unknown = [m for m in measures if m not in WARMUP_MEASURES]
    if unknown or not measures:
        raise ValueError(f"measures: {unknown or 'none'} not allowed: choose from "
                         f"{', '.join(WARMUP_MEASURES)}")
    weekly = weekly_runs(scenario, replications, **execution)
    table = warmup_table(weekly, window, measures)
    advice = pd.DataFrame([settling_point(table, m, tolerance) for m in measures])
    return WarmupStudy(scenario, weekly, table, advice, window, tolerance)
