"""Sweeps: a scenario run over a grid of field values (and policies), paired.

Every cell of the grid is a variant made with :func:`~sim.scenario.variants.vary`, and
every cell runs on the same replication numbers, so that cell ``a`` and cell ``b`` face
the same leads in replication ``r`` (common random numbers) and their difference is
measured with far less noise than two independent runs would give.

The tidy frame (:func:`sweep`, :func:`tidy_sweep`) has one row per cell and
replication: ``scenario`` (the cell's label, such as ``team.reps=3 policy=fifo``), one
column per swept field (named by its path; ``policy`` for the policies), ``replication``
and one column per KPI. :func:`summarize_sweep` gives each cell's mean and 95% CI per
KPI and the paired difference to the first cell.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sim.analysis.result import RunResult
from sim.analysis.statistics import mean_ci
from sim.experiments.runner import compare, kpis_of, paired_difference
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import POLICY_NAMES, Scenario
from sim.scenario.variants import policy_changes, vary

POLICY_FIELD = "policy"
"""The column (and label part) naming a cell's policy."""

SWEEP_POLICIES = tuple(p for p in POLICY_NAMES if p != "custom")
"""The policies a sweep may name (``custom`` needs an order, which a name cannot give)."""

KPI_NAMES = ("leads", "opportunities", "lead_to_opportunity_rate", "won", "lost", "open",
             "win_rate", "bookings", "avg_deal_size", "avg_cycle_days", "lost_to_neglect",
             "rep_utilization", "billings", "cash_collected", "dso_days",
             "receivables_overdue", "bookings_cv_month", "bookings_cv_quarter",
             "time_share_above_funnel", "time_share_in_funnel", "time_share_best_few",
             "time_share_orders")
"""The KPIs of a replication (:func:`sim.analysis.metrics.kpis`), in its order."""

MAIN_KPIS = ("bookings", "won", "win_rate", "cash_collected", "lost_to_neglect",
             "rep_utilization", "avg_cycle_days")
"""The KPIs a sweep shows by default."""


@dataclass(frozen=True)
class Cell:
    """One cell of a sweep: its label, the values it sets, and its validated scenario."""

    label: str
    settings: dict
    scenario: Scenario


def value_text(value) -> str:
    """A swept value as the label shows it: as TOML writes it, text bare.

    >>> value_text(True), value_text(0.4), value_text("fifo")
    ('true', '0.4', 'fifo')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def sweep_cells(scenario: Scenario, grid: Mapping[str, Sequence],
                policies: Iterable[str] | None = None, source: str = "sweep") -> list[Cell]:
    """Every cell of the grid, each validated (all problems are reported at once).

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    grid : dict of str to list
        Field path -> the values to try there (as TOML writes them), such as
        ``{"team.reps": [3, 5, 7]}``; the cells are their cartesian product, the first
        path varying slowest.
    policies : list of str, optional
        Policies to sweep too (every rep gets the policy, as ``funnel run --policy``
        does); the last, fastest-varying dimension.
    source : str
        What the grid came from, naming it in error messages (``--set``).

    Returns
    -------
    list of Cell
        In grid order; the first is the reference of the paired differences.

    Raises
    ------
    TypeError
        If ``grid`` is not a dict of path -> list of values.
    ScenarioError
        For an empty grid or list, a value listed twice, an unknown policy, or a cell
        whose scenario breaks a rule (naming the cell).

    Examples
    --------
    >>> [c.label for c in sweep_cells(Scenario(), {"team.reps": [3, 5]}, ["fifo"])]
    ['team.reps=3 policy=fifo', 'team.reps=5 policy=fifo']
    """
    if not isinstance(grid, Mapping) or not all(
            isinstance(k, str) and isinstance(v, Sequence) and not isinstance(v, str)
            for k, v in grid.items()):
        raise TypeError("grid: must be a dict of field path -> list of values, such as "
                        f"{{'team.reps': [3, 5, 7]}}; got {grid!r}")
    problems = []
    for path, values in grid.items():
        if not values:
            problems.append(f"{path}: no values given: list one or more")
        for i, v in enumerate(values):
            if any(type(w) is type(v) and w == v for w in values[:i]):
                problems.append(f"{path}: value {value_text(v)} is not allowed: it is "
                                "listed twice")
    names = list(policies) if policies is not None else []
    for name in names:
        if name not in SWEEP_POLICIES:
            problems.append(f"{POLICY_FIELD}: value {name!r} is not allowed: must be one "
                            f"of {', '.join(SWEEP_POLICIES)}")
    if len(set(names)) < len(names):
        problems.append(f"{POLICY_FIELD}: a policy is listed twice")
    if names and any(p == POLICY_FIELD or p.startswith(f"{POLICY_FIELD}.") for p in grid):
        problems.append(f"{POLICY_FIELD}: set the policy with the policies or with a field "
                        "path, not both")
    if not grid and not names:
        problems.append("nothing to sweep: give at least one field path and its values")
    if problems:
        raise ScenarioError(source, problems)
    axes = [[(path, v) for v in values] for path, values in grid.items()]
    if names:
        axes.append([(POLICY_FIELD, name) for name in names])
    cells = []
    for combo in itertools.product(*axes):
        settings = dict(combo)
        label = " ".join(f"{path}={value_text(v)}" for path, v in combo)
        changes = {p: v for p, v in combo if p != POLICY_FIELD}
        try:
            variant = vary(scenario, changes, source)
            if POLICY_FIELD in settings and names:
                variant = vary(variant, policy_changes(variant, settings[POLICY_FIELD]),
                               source)
        except ScenarioError as exc:
            problems.extend(f"{p} (in the cell {label})" for p in exc.problems)
            continue
        cells.append(Cell(label, settings, variant))
    if problems:
        raise ScenarioError(source, problems)
    return cells


def tidy_sweep(cells: Sequence[Cell], runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of the cells (as :func:`~sim.experiments.runner.compare` returns them,
    labelled by cell) with a column per swept field after ``scenario``."""
    fields = list(cells[0].settings)
    values = pd.DataFrame([{"scenario": c.label, **c.settings} for c in cells])
    tidy = values.merge(runs, on="scenario", how="right", validate="one_to_many")
    order = {c.label: i for i, c in enumerate(cells)}
    tidy = tidy.sort_values(["scenario", "replication"], key=lambda s: s.map(order)
                            if s.name == "scenario" else s, kind="stable")
    tidy = tidy.reset_index(drop=True)
    rest = [c for c in runs.columns if c not in ("scenario", "replication")]
    return tidy[["scenario", *fields, "replication", *rest]]


def sweep(scenario: Scenario, grid: Mapping[str, Sequence], replications=10,
          policies: Iterable[str] | None = None, *,
          metrics: Callable[[RunResult], dict] = kpis_of, **execution) -> pd.DataFrame:
    """Run every cell of a grid on the same replications; return the tidy frame.

    Parameters
    ----------
    scenario, grid, policies
        As for :func:`sweep_cells`.
    replications : int or iterable of int
        As for :func:`~sim.experiments.runner.compare`.
    metrics : callable
        As for :func:`~sim.experiments.runner.compare` (the KPIs by default).
    **execution
        Passed on to :func:`~sim.experiments.runner.compare` (``workers``,
        ``executor``, ...).

    Returns
    -------
    DataFrame
        One row per cell and replication (see the module's notes).

    Examples
    --------
    >>> sc = vary(Scenario(), {"horizon_days": 30, "warmup_days": 0})
    >>> tidy = sweep(sc, {"team.reps": [2, 4]}, replications=2)
    >>> tidy[["scenario", "team.reps", "replication"]].values.tolist()
    [['team.reps=2', 2, 0], ['team.reps=2', 2, 1], ['team.reps=4', 4, 0], ['team.reps=4', 4, 1]]
    """
    cells = sweep_cells(scenario, grid, policies)
    runs = compare({c.label: c.scenario for c in cells}, replications, metrics=metrics,
                   **execution)
    return tidy_sweep(cells, runs)


def swept_fields(tidy: pd.DataFrame) -> list[str]:
    """The swept fields of a tidy sweep frame: its columns between ``scenario`` and
    ``replication``."""
    columns = list(tidy.columns)
    if "scenario" not in columns or "replication" not in columns:
        raise ValueError("a sweep frame needs 'scenario' and 'replication' columns (as "
                         f"sweep returns); its columns are {columns}")
    return columns[columns.index("scenario") + 1: columns.index("replication")]


def summarize_sweep(tidy: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Each cell's mean and 95% CI per KPI, and the paired difference to the first cell.

    Parameters
    ----------
    tidy : DataFrame
        As :func:`sweep` returns.
    metrics : list of str, optional
        Which KPIs (default: every numeric column after ``replication``).

    Returns
    -------
    DataFrame
        One row per cell and KPI, in the cells' order: ``scenario``, the swept fields,
        ``metric``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``, and
        ``difference``, ``difference_ci_low``, ``difference_ci_high`` (the cell minus
        the first cell, over the replications both ran; 0 for the first cell).
    """
    fields = swept_fields(tidy)
    after = list(tidy.columns)[list(tidy.columns).index("replication") + 1:]
    if metrics is None:
        metrics = [c for c in after if pd.api.types.is_numeric_dtype(tidy[c])]
    missing = [m for m in metrics if m not in tidy.columns]
    if missing:
        raise ValueError(f"metrics: {missing} are not columns of the sweep; its KPIs are "
                         f"{after}")
    labels = list(dict.fromkeys(tidy["scenario"]))
    first = labels[0]
    settings = tidy.drop_duplicates("scenario").set_index("scenario")[fields]
    rows = []
    for label in labels:
        sub = tidy[tidy["scenario"] == label]
        for metric in metrics:
            mean, sd, lo, hi = mean_ci(sub[metric])
            d = paired_difference(tidy, label, first, metric)
            rows.append({"scenario": label, **settings.loc[label].to_dict(),
                         "metric": metric, "n": int(sub[metric].notna().sum()),
                         "mean": mean, "sd": sd, "ci_low": lo, "ci_high": hi,
                         "difference": d["difference"], "difference_ci_low": d["ci_low"],
                         "difference_ci_high": d["ci_high"]})
    return pd.DataFrame(rows)
