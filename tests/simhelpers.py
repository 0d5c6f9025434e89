"""Shared helpers of the functional and validation tests: scenarios built from
plain dicts, confidence intervals over replications, and the analytic formulas
(Erlang C, Little's law) the engine is checked against.

Only the standard library and numpy are used: scipy is not a dependency, so the
Student t and chi-square quantiles are computed with classical approximations whose
error is far below the statistical tolerances of the tests.
"""

from __future__ import annotations

import copy
import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from sim.analysis.queueing import erlang_c, erlang_c_wait  # noqa: F401 (re-exported)
from sim.experiments.runner import simulate
from sim.scenario.schema import Scenario

LEVEL = 0.99
"""Confidence level of the validation intervals.

The seeds are fixed, so every test is deterministic. 99% rather than 95% because
the suite holds about a dozen independent interval checks: with 95% a legitimate
change of how the engine draws its numbers would flip one of them about half the
time; with 99% about one time in ten. Each test also bounds the interval's width,
so that a wide interval cannot pass by saying nothing."""


# -- scenarios -------------------------------------------------------------------------
def merged(base: dict, changes: dict) -> dict:
    """``base`` updated by ``changes``; nested dicts are merged, anything else replaced."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scenario(base: dict, **changes) -> Scenario:
    """A validated scenario from a dict, with top-level keys changed or merged."""
    return Scenario.model_validate(merged(base, changes))


def fixed(value: float) -> dict:
    """A fixed (deterministic) distribution, as a scenario dict spells it."""
    return {"dist": "fixed", "value": value}


def inbound(name: str = "Inbound", leads_per_week: float = 10.0, quality: float = 1.0,
            **more) -> dict:
    """An inbound channel dict with the given Poisson rate and lead quality."""
    return {"kind": "inbound", "name": name, "leads_per_week": leads_per_week,
            "lead_quality": quality, **more}


def run_many(sc: Scenario, replications: int | range) -> list:
    """One :class:`~sim.analysis.result.RunResult` per replication."""
    reps = range(replications) if isinstance(replications, int) else replications
    return [simulate(sc, r) for r in reps]


# -- statistics ------------------------------------------------------------------------
def t_quantile(p: float, df: int) -> float:
    """Student t quantile by the Cornish-Fisher expansion around the normal one.

    Accurate to about 1e-3 for ``df >= 5`` at the 0.975-0.995 quantiles, far below
    the sampling noise of the tests that use it.
    """
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def chi2_quantile(p: float, k: int) -> float:
    """Chi-square quantile with ``k`` degrees of freedom (Wilson-Hilferty; within 1%
    for ``k >= 3``)."""
    z = NormalDist().inv_cdf(p)
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3


class CI:
    """Mean and t confidence interval of independent values (one per replication)."""

    def __init__(self, values, level: float = LEVEL):
        v = np.asarray(values, dtype=float)
        assert v.ndim == 1 and len(v) >= 3, "a confidence interval needs 3+ replications"
        assert np.isfinite(v).all(), f"non-finite replication values: {v}"
        self.values = v
        self.n = len(v)
        self.mean = float(v.mean())
        self.sd = float(v.std(ddof=1))
        self.half = t_quantile(0.5 + level / 2, self.n - 1) * self.sd / math.sqrt(self.n)
        self.lo, self.hi = self.mean - self.half, self.mean + self.half

    def __contains__(self, x: float) -> bool:
        return self.lo <= x <= self.hi

    def __repr__(self) -> str:
        return f"{self.mean:.6g} [{self.lo:.6g}, {self.hi:.6g}] (n={self.n})"


def chi2_statistic(observed, expected) -> float:
    """Pearson's goodness-of-fit statistic."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    return float(((o - e) ** 2 / e).sum())


# -- tables ----------------------------------------------------------------------------
def in_period(day, start: float, end: float):
    """True where ``day`` lies in ``[start, end)``."""
    return (day >= start) & (day < end)


def time_average_open(opps: pd.DataFrame, start: float, end: float) -> float:
    """Time-average number of open (tracking) opportunities over ``[start, end)``.

    Integrates the step function "count of opportunities created and not yet closed"
    from its jumps: +1 at each ``created_day``, -1 at each ``closed_day`` (a deal
    still open at the end of the run has none and counts to the end).
    """
    created = opps["created_day"].to_numpy(float)
    closed = opps["closed_day"].to_numpy(float)
    closed = np.where(np.isnan(closed), np.inf, closed)
    times = np.concatenate([created, closed])
    steps = np.concatenate([np.ones(len(created)), -np.ones(len(closed))])
    order = np.argsort(times, kind="stable")
    times, steps = times[order], steps[order]
    count_after = np.cumsum(steps)  # open count just after each jump
    open_at_start = int(((created < start) & (closed > start)).sum())
    inside = (times > start) & (times < end)
    t = np.concatenate([[start], times[inside], [end]])
    n = np.concatenate([[open_at_start], count_after[inside]])
    return float((n * np.diff(t)).sum() / (end - start))


def with_owner_estimates(hist: pd.DataFrame, category: str = "pipeline"):
    """For a hand-built ``stage_history`` whose ``expected_close_day`` is both the owner's
    estimate and the normal-cycle anchor: the same frame with ``cycle_close_day``, and a
    ``forecast_history`` with one estimate per stage row (made on entering it, in force
    until the deal's next stage or its decision), all in ``category``."""
    hist = hist.copy()
    hist["cycle_close_day"] = hist["expected_close_day"].astype(float)
    fh = hist.sort_values(["opportunity_id", "stage_index"], kind="stable")
    nxt = fh.groupby("opportunity_id")["entered_day"].shift(-1)
    decided = fh["decided_day"] if "decided_day" in fh else pd.Series(np.nan, index=fh.index)
    forecast = pd.DataFrame({
        "opportunity_id": fh["opportunity_id"].to_numpy(),
        "revision": fh.groupby("opportunity_id").cumcount().to_numpy(),
        "owner": fh["owner"].to_numpy() if "owner" in fh else "",
        "stage_index": fh["stage_index"].to_numpy(),
        "day": fh["entered_day"].to_numpy(dtype=float),
        "until_day": nxt.fillna(decided).to_numpy(dtype=float),
        "expected_close_day": fh["expected_close_day"].to_numpy(dtype=float),
        "category": category,
    })
    return hist, forecast
