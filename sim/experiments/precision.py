"""Honest replication counts: run replications until a KPI's 95% CI is narrow enough.

The method is the confidence-interval method with a look-ahead, as in sim-tools'
``ReplicationsAlgorithm`` (Hoad, Robinson and Davies, 2010, *Automated selection of the
number of replications for a discrete-event simulation*, JORS 61(11)):

- after ``n`` replications a variant's KPI has the 95% CI half-width
  ``h(n) = t(0.975, n - 1) * s(n) / sqrt(n)`` (``s``: the sample standard deviation);
- the target is ``h(n) <= precision * |mean(n)|`` (``relative``, the default) or
  ``h(n) <= precision`` (absolute, in the KPI's unit);
- ``n`` is the number needed when every variant meets the target at ``n`` *and keeps
  meeting it* for the next ``k(n)`` replications (the look-ahead, ``k(n) = look_ahead``
  for ``n <= 100`` and ``look_ahead`` per cent of ``n`` beyond), because a half-width
  estimated from few replications can dip below the target by luck.

Replications run in batches (on any executor), every variant on the same replication
numbers, so the comparison stays paired (common random numbers). Each batch is sized
from the formula ``n ~ (t s / h)^2`` with the current estimates, at most doubling the
replications so far, so that a poor early estimate does not overshoot by much.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.result import RunResult
from sim.analysis.statistics import t975
from sim.experiments.runner import compare, kpis_of
from sim.scenario.schema import Scenario

MIN_REPLICATIONS = 3
"""Fewest replications whose half-width is trusted (two give one degree of freedom)."""


def look_ahead_count(n: int, look_ahead: int = 5) -> int:
    """The look-ahead ``k(n)``: ``look_ahead`` replications up to ``n = 100``, then
    ``look_ahead`` per cent of ``n`` (Hoad et al.'s ``kLimit``).

    >>> look_ahead_count(20), look_ahead_count(400)
    (5, 20)
    """
    return int(look_ahead * max(n, 100) // 100)


def running_half_widths(values) -> pd.DataFrame:
    """The 95% CI of the mean after each replication, in order (NaN values skipped).

    Returns
    -------
    DataFrame
        One row per replication (``n`` = 1, 2, ...): ``n``, ``mean``, ``sd``,
        ``half_width`` (NaN until two values are known).

    >>> running_half_widths([1.0, 3.0, 2.0])["half_width"].round(3).tolist()
    [nan, 12.706, 2.484]
    """
    x = pd.Series(np.asarray(values, dtype=float))
    count = x.expanding().count().to_numpy()
    mean = x.expanding().mean().to_numpy()
    sd = x.expanding().std(ddof=1).to_numpy()
    t = np.array([t975(int(c) - 1) for c in count])
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t * sd / np.sqrt(count)
    return pd.DataFrame({"n": np.arange(1, len(x) + 1), "mean": mean, "sd": sd,
                         "half_width": half})


def _met(table: pd.DataFrame, precision: float, relative: bool) -> np.ndarray:
    """True after each replication where the half-width meets the target."""
    bound = precision * table["mean"].abs() if relative else precision
    return (table["half_width"] <= bound).to_numpy()


def replications_for_precision(values, precision: float, relative: bool = True, *,
                               start: int = 5, look_ahead: int = 5) -> int | None:
    """The fewest replications whose KPI 95% CI meets the target and keeps meeting it.

    Parameters
    ----------
    values : sequence of float, or dict of label to sequence, or DataFrame
        The KPI of each replication in the order run; several variants (a dict, or a
        frame with one column per variant, paired by row) must all meet the target.
    precision : float
        The largest half-width allowed: a share of the mean (``relative``) or a value
        in the KPI's unit.
    relative : bool
        Whether ``precision`` is relative to the mean's absolute value.
    start : int
        Fewest replications to consider (at least 3).
    look_ahead : int
        See :func:`look_ahead_count`.

    Returns
    -------
    int or None
        ``n``, or None when the values given are too few to show it.

    Examples
    --------
    >>> replications_for_precision([10.0, 10.2, 9.8, 10.1, 9.9] * 4, 0.05)
    5
    """
    columns = _series(values)
    start = max(int(start), MIN_REPLICATIONS)
    met = np.logical_and.reduce([_met(running_half_widths(v), precision, relative)
                                 for v in columns])
    total = len(met)
    for n in range(start, total + 1):
        k = look_ahead_count(n, look_ahead)
        if n + k > total:
            return None
        if met[n - 1: n + k].all():
            return n
    return None


def _series(values) -> list[np.ndarray]:
    if isinstance(values, pd.DataFrame):
        return [values[c].to_numpy(dtype=float) for c in values.columns]
    if isinstance(values, Mapping):
        return [np.asarray(v, dtype=float) for v in values.values()]
    return [np.asarray(values, dtype=float)]


def _formula_n(values, precision: float, relative: bool) -> float:
    """``(t s / h)^2`` with the current estimates: the replications the target needs."""
    table = running_half_widths(values)
    last = table.iloc[-1]
    h = precision * abs(last["mean"]) if relative else precision
    if not (last["sd"] > 0):  # a constant KPI (or too few values): no more are needed
        return float(last["n"]) if last["sd"] == 0 else math.inf
    if h == 0:
        return math.inf
    n = float(last["n"])
    return (t975(int(n) - 1) * last["sd"] / h) ** 2


@dataclass(frozen=True)
class PrecisionRun:
    """What :func:`run_to_precision` ran and found.

    Attributes
    ----------
    runs : DataFrame
        Every replication run, tidy as :func:`~sim.experiments.runner.compare` returns.
    kpi, precision, relative
        The target asked for.
    needed : int or None
        The replications that meet it (and keep meeting it over the look-ahead); None
        when the cap was reached first.
    replications : int
        Replications run per variant (``needed`` plus the look-ahead, or the cap).
    table : DataFrame
        Per variant, after all the replications run: ``scenario``, ``n``, ``mean``,
        ``half_width``, ``target`` (the half-width allowed) and ``met``.
    look_ahead : int
        As for :func:`look_ahead_count`.
    """

    runs: pd.DataFrame
    kpi: str
    precision: float
    relative: bool
    needed: int | None
    replications: int
    table: pd.DataFrame
    look_ahead: int = 5

    @property
    def reached(self) -> bool:
        return self.needed is not None

    def target_text(self) -> str:
        """``the bookings 95% CI half-width within 5% of the mean``."""
        bound = (f"within {self.precision * 100:g}% of the mean" if self.relative else
                 f"at most {self.precision:g}")
        return f"the {self.kpi} 95% CI half-width {bound}"

    def message(self) -> str:
        """One sentence saying how many replications the target needs, or why not."""
        variants = "every variant" if len(self.table) > 1 else "the scenario"
        if self.reached:
            return (f"{self.target_text()} needs {self.needed} replications "
                    f"for {variants} (and held over the next "
                    f"{look_ahead_count(self.needed, self.look_ahead)}; "
                    f"{self.replications} were run and all are used)")
        short = self.table.loc[~self.table["met"], "scenario"].astype(str).tolist()
        why = (f"not met by {', '.join(short)}" if short else
               "met at the end, but not yet over the look-ahead")
        return (f"{self.target_text()} was not reached within the cap of "
                f"{self.replications} replications ({why}); results use those "
                "replications: allow more replications, or ask for a looser precision")


def run_to_precision(variants: dict[str, Scenario], kpi: str = "bookings",
                     precision: float = 0.05, relative: bool = True, *, start: int = 5,
                     max_replications: int = 200, look_ahead: int = 5,
                     metrics: Callable[[RunResult], dict] = kpis_of,
                     **execution) -> PrecisionRun:
    """Add replications until every variant's ``kpi`` 95% CI meets the target.

    Parameters
    ----------
    variants : dict of str to Scenario
        The scenarios, all run on the same replication numbers (0, 1, ...).
    kpi : str
        A column of what ``metrics`` returns.
    precision : float
        The largest half-width allowed, above 0: a share of the mean (``relative``,
        e.g. 0.05 for 5%) or a value in the KPI's unit.
    relative : bool
        See ``precision``.
    start : int
        Replications of the first batch, 3 or more.
    max_replications : int
        The cap: no more replications than this per variant.
    look_ahead : int
        See :func:`look_ahead_count`.
    metrics : callable
        As for :func:`~sim.experiments.runner.compare`.
    **execution
        Passed on to :func:`~sim.experiments.runner.compare` (``workers``,
        ``executor``, ...).

    Returns
    -------
    PrecisionRun
        The replications run, the number needed (None if the cap came first) and the
        per-variant half-widths.

    Raises
    ------
    ValueError
        For a precision that is not above 0, a ``start`` below 3 or a cap below it, or
        a ``kpi`` that ``metrics`` does not return.
    """
    if not (isinstance(precision, int | float) and math.isfinite(precision)
            and precision > 0):
        raise ValueError(f"precision: must be a number above 0 (such as 0.05 for 5% of "
                         f"the mean); got {precision!r}")
    if start < MIN_REPLICATIONS:
        raise ValueError(f"start: must be {MIN_REPLICATIONS} or more replications; got "
                         f"{start}")
    if max_replications < start:
        raise ValueError(f"max_replications: must be at least start ({start}); got "
                         f"{max_replications}")
    parts: list[pd.DataFrame] = []
    done, goal = 0, start
    while True:
        parts.append(compare(variants, range(done, goal), metrics=metrics, **execution))
        done = goal
        runs = pd.concat(parts, ignore_index=True)
        if kpi not in runs.columns:
            raise ValueError(f"kpi: {kpi!r} is not a metric of these runs; choose one of "
                             f"{[c for c in runs.columns if c not in ('scenario', 'replication')]}")
        wide = _wide(runs, kpi, list(variants))
        needed = replications_for_precision(wide, precision, relative, start=start,
                                            look_ahead=look_ahead)
        if needed is not None or done >= max_replications:
            break
        estimate = max(_formula_n(wide[c], precision, relative) for c in wide.columns)
        estimate = max(estimate, done) if math.isfinite(estimate) else 2 * done
        goal = int(min(max(math.ceil(estimate) + look_ahead_count(int(estimate), look_ahead),
                           done + 1), 2 * done, max_replications))
    runs = pd.concat(parts, ignore_index=True)
    return PrecisionRun(runs=runs, kpi=kpi, precision=float(precision), relative=relative,
                        needed=needed, replications=done,
                        table=_final_table(wide, precision, relative), look_ahead=look_ahead)


def _wide(runs: pd.DataFrame, kpi: str, labels: list[str]) -> pd.DataFrame:
    """The KPI with one column per variant and one row per replication, in run order."""
    wide = runs.pivot(index="replication", columns="scenario", values=kpi)
    return wide.sort_index()[labels]


def _final_table(wide: pd.DataFrame, precision: float, relative: bool) -> pd.DataFrame:
    rows = []
    for label in wide.columns:
        last = running_half_widths(wide[label]).iloc[-1]
        target = precision * abs(last["mean"]) if relative else precision
        rows.append({"scenario": label, "n": int(wide[label].notna().sum()),
                     "mean": float(last["mean"]), "half_width": float(last["half_width"]),
                     "target": float(target),
                     "met": bool(last["half_width"] <= target)})
    return pd.DataFrame(rows)
