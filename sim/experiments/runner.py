"""Running the engine: one replication, or many with common random numbers.

Replication ``r`` of a scenario always uses the random streams seeded by
(scenario seed, r), so the same replications of two variants face the same leads
(a paired comparison), and results do not depend on where or in which order the
replications ran: one process, a local pool, or a Dask cluster's executor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor

import pandas as pd

from sim.analysis.result import RunResult
from sim.analysis.statistics import mean_ci
from sim.analysis.volatility import roller_coaster_summary
from sim.engine.policies import PolicyKey
from sim.engine.processes import Engine
from sim.scenario.schema import Scenario


def simulate(scenario: Scenario, replication: int = 0,
             policy: PolicyKey | None = None) -> RunResult:
    """Run one replication of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    replication : int
        Which replication; each has its own independent random streams.
    policy : callable, optional
        A key function ``key(task, rep, now)`` that overrides the scenario's policy
        (see :mod:`sim.engine.policies` for the contract).
    """
    engine = Engine(scenario, replication, policy)
    rec = engine.run()
    return RunResult(scenario, replication, rec, [r.name for r in engine.reps])


def kpis_of(result: RunResult) -> dict:
    """The default metrics of a replication: its KPIs."""
    return result.kpis()


def kpis_and_swings(result: RunResult) -> dict:
    """KPIs plus the roller-coaster figures (see :mod:`sim.analysis.volatility`)."""
    return result.kpis() | roller_coaster_summary(result)


def _one(job) -> dict:
    label, scenario, replication, policy, metrics = job
    row = metrics(simulate(scenario, replication, policy))
    return {"scenario": label, "replication": replication, **row}


def replicate(scenario: Scenario, replications: int | Iterable[int] = 10, *,
              policy: PolicyKey | None = None,
              metrics: Callable[[RunResult], dict] = kpis_of,
              label: str | None = None, workers: int = 1,
              executor: Executor | None = None) -> pd.DataFrame:
    """Run many replications and return one row of metrics per replication.

    Parameters
    ----------
    replications : int or iterable of int
        A count (replications 0..n-1) or the replication numbers themselves.
    metrics : callable
        ``metrics(result) -> dict``; must be a module-level function to run in other
        processes.
    workers : int
        Local processes to use (1 = run here).
    executor : concurrent.futures.Executor, optional
        Where to run instead, e.g. ``dask.distributed.Client(...).get_executor()``.
    """
    return compare({label or scenario.name: scenario}, replications, policy=policy,
                   metrics=metrics, workers=workers, executor=executor)


def compare(variants: dict[str, Scenario], replications: int | Iterable[int] = 10, *,
            policy: PolicyKey | None = None,
            metrics: Callable[[RunResult], dict] = kpis_of, workers: int = 1,
            executor: Executor | None = None) -> pd.DataFrame:
    """Run each named variant on the same replication numbers (paired comparison).

    Returns a tidy frame with ``scenario`` and ``replication`` columns and one column
    per metric.
    """
    reps = list(range(replications)) if isinstance(replications, int) else list(replications)
    jobs = [(label, sc, r, policy, metrics) for label, sc in variants.items() for r in reps]
    if executor is not None:
        rows = list(executor.map(_one, jobs))
    elif workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_one, jobs, chunksize=max(1, len(jobs) // (4 * workers))))
    else:
        rows = [_one(job) for job in jobs]
    return pd.DataFrame(rows)


def paired_difference(frame: pd.DataFrame, a: str, b: str, metric: str) -> dict:
    """Mean of (a - b) in ``metric`` over replications both ran, with a 95% CI."""
    wide = frame.pivot(index="replication", columns="scenario", values=metric)
    diff = (wide[a] - wide[b]).dropna()
    mean, sd, lo, hi = mean_ci(diff)
    return {"metric": metric, "a": a, "b": b, "n": len(diff), "mean_a": float(wide[a].mean()),
            "mean_b": float(wide[b].mean()), "difference": mean, "sd": sd, "ci_low": lo,
            "ci_high": hi}
