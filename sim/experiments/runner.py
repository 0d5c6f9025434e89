"""Running the engine: one replication, or many with common random numbers.

Replication ``r`` of a scenario always uses the random streams seeded by
(scenario seed, r), so the same replications of two variants face the same leads
(a paired comparison), and results do not depend on where or in which order the
replications ran: one process, a local pool, or a Dask cluster's executor.

The arguments are checked at the door: a wrong one raises ``TypeError`` (wrong kind of
value) or ``ValueError`` (a value out of bounds) that names the argument and the rule.

Replications run on all usable cores by default (``workers=None``; see
:mod:`sim.experiments.executors`, which also says how Ctrl-C stops them). A job that
travels to a worker is small, (label, scenario, replication, policy, metrics), and only
the metrics dict comes back, never a result full of tables.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor

import pandas as pd

from sim.analysis.result import RunResult
from sim.analysis.statistics import mean_ci
from sim.analysis.volatility import roller_coaster_summary
from sim.engine.policies import PolicyKey
from sim.engine.processes import Engine
from sim.experiments.executors import Progress, run_jobs
from sim.scenario.schema import Scenario


def simulate(scenario: Scenario, replication: int = 0,
             policy: PolicyKey | None = None) -> RunResult:
    """Run one replication of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    replication : int
        Which replication, 0 or more; each has its own independent random streams.
    policy : callable, optional
        A key function ``key(task, rep, now)`` that overrides the scenario's policy
        (see :mod:`sim.engine.policies` for the contract).

    Raises
    ------
    TypeError
        If ``scenario`` is not a :class:`Scenario`, ``replication`` is not a whole
        number or ``policy`` is not callable.
    ValueError
        If ``replication`` is negative.
    """
    _check_scenario(scenario, "scenario")
    replication = _whole(replication, "replication")
    _check_policy(policy)
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
    if not isinstance(row, Mapping):
        raise TypeError(f"metrics: must return a dict of metric name -> value; "
                        f"{_name(metrics)} returned {_shown(row)}")
    return {"scenario": label, "replication": replication, **row}


def replicate(scenario: Scenario, replications: int | Iterable[int] = 10, *,
              policy: PolicyKey | None = None,
              metrics: Callable[[RunResult], dict] = kpis_of,
              label: str | None = None, workers: int | None = None,
              executor: Executor | None = None, progress: Progress = False) -> pd.DataFrame:
    """Run many replications and return one row of metrics per replication.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    replications : int or iterable of int
        A count, 1 or more (replications 0..n-1), or the replication numbers themselves
        (each 0 or more, none twice).
    policy : callable, optional
        A key function overriding the scenario's policy, as for :func:`simulate`.
    metrics : callable
        ``metrics(result) -> dict``; a module-level function (one defined in a notebook
        is fine) to run in other processes.
    label : str, optional
        The ``scenario`` column's value (default: the scenario's name).
    workers : int, optional
        Local processes to use, 1 or more (1 = run here); default ``None``: all usable
        cores (one job alone runs here, and so do jobs whose ``metrics`` or ``policy``
        cannot be pickled, such as a lambda).
    executor : concurrent.futures.Executor, optional
        Where to run instead, e.g. ``dask.distributed.Client(...).get_executor()``.
    progress : bool or str
        Show a progress bar (``tqdm.auto``: on standard error, or a widget in a
        notebook): False (default), True, or the bar's label.

    Raises
    ------
    TypeError, ValueError
        For a wrong argument, naming it and the rule (see :func:`compare`).
    """
    _check_scenario(scenario, "scenario")
    return compare({label or scenario.name: scenario}, replications, policy=policy,
                   metrics=metrics, workers=workers, executor=executor, progress=progress)


def compare(variants: dict[str, Scenario], replications: int | Iterable[int] = 10, *,
            policy: PolicyKey | None = None,
            metrics: Callable[[RunResult], dict] = kpis_of, workers: int | None = None,
            executor: Executor | None = None, progress: Progress = False) -> pd.DataFrame:
    """Run each named variant on the same replication numbers (paired comparison).

    Parameters
    ----------
    variants : dict of str to Scenario
        The scenarios to run, by the label their rows carry; at least one.
    replications, policy, metrics, workers, executor, progress
        As for :func:`replicate`.

    Returns
    -------
    pandas.DataFrame
        A tidy frame with ``scenario`` and ``replication`` columns and one column per
        metric, in the order of ``variants`` and then of ``replications``, whatever the
        executor or worker count.

    Raises
    ------
    TypeError
        If ``variants`` is not a dict of scenarios, ``replications`` is neither a count
        nor an iterable of whole numbers (text such as ``"10"`` is refused), ``workers``
        is neither None nor a whole number, ``metrics`` or ``policy`` is not callable,
        ``executor`` has no ``submit``, ``progress`` is neither a bool nor a label,
        or ``workers`` above 1 is asked for with a ``metrics`` or ``policy`` that cannot
        be pickled.
    ValueError
        If there are no variants or no replications, a replication number is negative
        or repeated, or ``workers`` is below 1.
    KeyboardInterrupt
        Raised again after an interrupt has stopped the work (see the module's notes).
    """
    _check_variants(variants)
    reps = _replication_numbers(replications)
    _check_policy(policy)
    if not callable(metrics):
        raise TypeError(f"metrics: must be a function metrics(result) -> dict; got "
                        f"{_shown(metrics)}")
    if workers is not None:
        workers = _whole(workers, "workers", low=1)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor: must be a concurrent.futures.Executor (with submit); "
                        f"got {_shown(executor)}")
    if not isinstance(progress, bool | str):
        raise TypeError(f"progress: must be True, False or a label (str); got "
                        f"{_shown(progress)}")
    jobs = [(label, sc, r, policy, metrics) for label, sc in variants.items() for r in reps]
    rows = run_jobs(_one, jobs, workers=workers, executor=executor, progress=progress)
    return pd.DataFrame(rows)


# -- the argument checks ------------------------------------------------------------------
def _shown(value) -> str:
    """A value as a message shows it: its repr (shortened) and its type."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _name(function) -> str:
    return getattr(function, "__name__", repr(function))


def _whole(value, what: str, low: int = 0) -> int:
    """``value`` as an int: a whole number (not a bool, float or text) of at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what}: must be a whole number (int), {low} or more; got "
                        f"{_shown(value)}")
    value = operator.index(value)
    if value < low:
        raise ValueError(f"{what}: must be a whole number, {low} or more; got {value}")
    return value


def _check_scenario(scenario, what: str) -> None:
    if not isinstance(scenario, Scenario):
        raise TypeError(f"{what}: must be a Scenario (from load_scenario, parse_scenario or "
                        f"vary); got {_shown(scenario)}")


def _check_policy(policy) -> None:
    if policy is not None and not callable(policy):
        raise TypeError(f"policy: must be a function key(task, rep, now) or None; got "
                        f"{_shown(policy)}")


def _check_variants(variants) -> None:
    if not isinstance(variants, Mapping):
        raise TypeError(f"variants: must be a dict of label -> Scenario; got "
                        f"{_shown(variants)}")
    if not variants:
        raise ValueError("variants: must name at least one scenario; got an empty dict")
    for label, scenario in variants.items():
        _check_scenario(scenario, f"variants[{label!r}]")


def _replication_numbers(replications) -> list[int]:
    """The replication numbers a count or an iterable stands for."""
    if isinstance(replications, numbers.Integral) and not isinstance(replications, bool):
        count = _whole(replications, "replications", low=1)
        return list(range(count))
    if isinstance(replications, str | bytes) or not isinstance(replications, Iterable):
        raise TypeError(f"replications: must be a count (int, 1 or more) or an iterable of "
                        f"replication numbers; got {_shown(replications)}")
    reps = [_whole(r, "replications[]") for r in replications]
    if not reps:
        raise ValueError("replications: must name at least one replication; got none")
    seen: set[int] = set()
    for r in reps:
        if r in seen:
            raise ValueError(f"replications: each replication may be run once; "
                             f"{r} is listed twice")
        seen.add(r)
    return reps


def paired_difference(frame: pd.DataFrame, a: str, b: str, metric: str) -> dict:
    """Mean of (a - b) in ``metric`` over replications both ran, with a 95% CI."""
    wide = frame.pivot(index="replication", columns="scenario", values=metric)
    diff = (wide[a] - wide[b]).dropna()
    mean, sd, lo, hi = mean_ci(diff)
    return {"metric": metric, "a": a, "b": b, "n": len(diff), "mean_a": float(wide[a].mean()),
            "mean_b": float(wide[b].mean()), "difference": mean, "sd": sd, "ci_low": lo,
            "ci_high": hi}
