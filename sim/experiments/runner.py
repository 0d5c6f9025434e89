"""Running the engine: one replication, or many with common random numbers.

Replication ``r`` of a scenario always uses the random streams seeded by
(scenario seed, r), so the same replications of two variants face the same leads
(a paired comparison), and results do not depend on where or in which order the
replications ran: one process, a local pool, or a Dask cluster's executor.

The arguments are checked at the door: a wrong one raises ``TypeError`` (wrong kind of
value) or ``ValueError`` (a value out of bounds) that names the argument and the rule.

An interrupt (Ctrl-C, ``KeyboardInterrupt``) or an error stops a local pool at once:
the pool gets only a few jobs ahead of need, the rest are never handed to it, and its
worker processes, which ignore Ctrl-C themselves, are terminated, so none is left
behind (on Linux a worker also dies with its parent, should the parent be killed). On
another executor the jobs not started are cancelled. The interrupt is then raised again
to the caller.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import numbers
import operator
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import (
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)

import pandas as pd

from sim.analysis.result import RunResult
from sim.analysis.statistics import mean_ci
from sim.analysis.volatility import roller_coaster_summary
from sim.engine.policies import PolicyKey
from sim.engine.processes import Engine
from sim.scenario.schema import Scenario

JOBS_PER_WORKER = 2
"""Jobs handed to a local pool ahead of need, per worker: enough to keep every worker
busy, few enough that an interrupt has little queued work to cancel."""
STOP_SECONDS = 1.0
"""How long terminated workers get to exit before they are killed."""
POLL_SECONDS = 0.1
"""Longest wait for a result without looking for a Ctrl-C (a signal that another
thread received is handled only when this one wakes)."""


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
              label: str | None = None, workers: int = 1,
              executor: Executor | None = None) -> pd.DataFrame:
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
        ``metrics(result) -> dict``; must be a module-level function to run in other
        processes.
    label : str, optional
        The ``scenario`` column's value (default: the scenario's name).
    workers : int
        Local processes to use, 1 or more (1 = run here).
    executor : concurrent.futures.Executor, optional
        Where to run instead, e.g. ``dask.distributed.Client(...).get_executor()``.

    Raises
    ------
    TypeError, ValueError
        For a wrong argument, naming it and the rule (see :func:`compare`).
    """
    _check_scenario(scenario, "scenario")
    return compare({label or scenario.name: scenario}, replications, policy=policy,
                   metrics=metrics, workers=workers, executor=executor)


def compare(variants: dict[str, Scenario], replications: int | Iterable[int] = 10, *,
            policy: PolicyKey | None = None,
            metrics: Callable[[RunResult], dict] = kpis_of, workers: int = 1,
            executor: Executor | None = None) -> pd.DataFrame:
    """Run each named variant on the same replication numbers (paired comparison).

    Parameters
    ----------
    variants : dict of str to Scenario
        The scenarios to run, by the label their rows carry; at least one.
    replications, policy, metrics, workers, executor
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
        is not a whole number, ``metrics`` or ``policy`` is not callable, or
        ``executor`` has no ``submit``.
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
    workers = _whole(workers, "workers", low=1)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor: must be a concurrent.futures.Executor (with submit); "
                        f"got {_shown(executor)}")
    jobs = [(label, sc, r, policy, metrics) for label, sc in variants.items() for r in reps]
    if executor is not None:
        rows = _run_on(executor, jobs)
    elif workers > 1 and len(jobs) > 1:
        rows = _run_in_pool(jobs, min(workers, len(jobs)))
    else:
        rows = [_one(job) for job in jobs]
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


# -- where the jobs run -----------------------------------------------------------------------
def _run_on(executor: Executor, jobs: list) -> list[dict]:
    """Run the jobs on someone else's executor; on any error or interrupt the jobs not
    started are cancelled (the executor itself is the caller's to shut down)."""
    futures: list[Future] = []
    try:
        futures.extend(executor.submit(_one, job) for job in jobs)
        _wait_all(futures)
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        raise


def _wait_all(futures: list[Future]) -> None:
    """Wait until every future is done, an error shows, or Ctrl-C."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
        for future in done:
            future.result()  # raises the first error at once


def _run_in_pool(jobs: list, workers: int) -> list[dict]:
    """Run the jobs in a local pool of ``workers`` processes, a few at a time, and return
    their rows in the jobs' order. An error or interrupt stops the pool at once."""
    rows: list[dict] = [{}] * len(jobs)
    running: dict[Future, int] = {}
    queued = iter(enumerate(jobs))
    pool = None
    try:
        # the pool's threads and workers start with the first jobs; started with Ctrl-C
        # blocked, they leave it to this thread (and the workers then ignore it)
        with _interrupts_blocked():
            pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_setup)
            _hand_out(pool, queued, running, JOBS_PER_WORKER * workers)
        while running:
            done, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                rows[running.pop(future)] = future.result()
            _hand_out(pool, queued, running, JOBS_PER_WORKER * workers)
        pool.shutdown(wait=True)
    except BaseException:
        if pool is not None:
            with _interrupts_held():  # a second Ctrl-C must not cut the clean-up short
                _stop(pool)
        raise
    return rows


def _hand_out(pool: ProcessPoolExecutor, queued: Iterator, running: dict, limit: int) -> None:
    """Submit queued jobs until ``limit`` are running or waiting."""
    for index, job in queued:
        running[pool.submit(_one, job)] = index
        if len(running) >= limit:
            return


def _stop(pool: ProcessPoolExecutor) -> None:
    """Terminate the workers (kill those that do not exit within :data:`STOP_SECONDS`)
    and reap them, so no worker outlives the call; the pool's own thread then sees its
    workers gone, fails the jobs still queued (they never run) and ends.

    The queued jobs' futures are not cancelled here: Python 3.11's pool thread would
    then fail on setting an error on a cancelled future, with a traceback.
    """
    # ProcessPoolExecutor has no public handle on its workers; _processes (pid ->
    # Process) has been there since Python 3.2
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
    pool.shutdown(wait=True)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _interrupts_blocked() -> Iterator[None]:
    """Block Ctrl-C (SIGINT) in this thread within the block. Threads and processes
    started in it inherit the block, so that a Ctrl-C reaches this thread (and wakes
    it); one that comes meanwhile is raised when the block ends."""
    if not (hasattr(signal, "pthread_sigmask") and _in_main_thread()):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ignore a Ctrl-C (SIGINT) within the block, e.g. a second one while the first is
    being handled. Outside the main thread signals cannot be handled, and the block
    runs as it is."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is None or not _in_main_thread():  # a handler not set from Python
        yield
        return
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process gets when its parent exits."""


def _worker_setup() -> None:
    """Run first in each pool worker: ignore Ctrl-C (the parent stops the pool), and
    on Linux die with the parent, so no worker outlives a parent that was killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # born with it blocked (see _run_in_pool)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    with contextlib.suppress(OSError, AttributeError):  # not Linux: nothing to ask for
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():  # it died before we asked
        os._exit(1)


def paired_difference(frame: pd.DataFrame, a: str, b: str, metric: str) -> dict:
    """Mean of (a - b) in ``metric`` over replications both ran, with a 95% CI."""
    wide = frame.pivot(index="replication", columns="scenario", values=metric)
    diff = (wide[a] - wide[b]).dropna()
    mean, sd, lo, hi = mean_ci(diff)
    return {"metric": metric, "a": a, "b": b, "n": len(diff), "mean_a": float(wide[a].mean()),
            "mean_b": float(wide[b].mean()), "difference": mean, "sd": sd, "ci_low": lo,
            "ci_high": hi}
