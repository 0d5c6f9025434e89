"""Where an experiment's jobs run: here, in a pool of local processes, or on an executor
(a Dask cluster's), with a progress bar if asked, and how they stop.

- :func:`usable_cores` is the one home of the rule "all the cores this process may use";
  :func:`worker_count` turns a ``workers`` argument (``None`` = all usable cores) into the
  size of a local pool for a number of jobs.
- :func:`run_jobs` runs ``function(job)`` for every job and returns the results in the
  jobs' order, whatever ran them and in whichever order they finished, so an experiment's
  results do not depend on where it ran.
- :func:`progress_bar` is the bar ``progress=`` asks for: ``tqdm.auto`` on standard error
  (a widget in a notebook), or nothing.

An interrupt (Ctrl-C, ``KeyboardInterrupt``) or an error stops a local pool at once:
the pool gets only a few jobs ahead of need, the rest are never handed to it, and its
worker processes, which ignore Ctrl-C themselves, are terminated, so none is left
behind (on Linux a worker also dies with its parent, should the parent be killed). On
another executor the jobs not started are cancelled (the executor itself is the
caller's to shut down). The interrupt is then raised again to the caller.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from typing import Any

from tqdm.auto import tqdm

JOBS_PER_WORKER = 2
"""Jobs handed to a local pool ahead of need, per worker: enough to keep every worker
busy, few enough that an interrupt has little queued work to cancel."""
STOP_SECONDS = 1.0
"""How long terminated workers get to exit before they are killed."""
POLL_SECONDS = 0.1
"""Longest wait for a result without looking for a Ctrl-C (a signal that another
thread received is handled only when this one wakes)."""

Progress = bool | str
"""``progress=``: False (no bar), True (a bar), or a label for the bar."""


def usable_cores() -> int:
    """The number of cores this process may run on.

    The CPU affinity (``os.sched_getaffinity``: what a container, ``taskset`` or a batch
    scheduler allows) where the system has it, else every core (``os.cpu_count()``),
    and at least 1.

    >>> usable_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def worker_count(workers: int | None, jobs: int) -> int:
    """The local processes to use for ``jobs`` jobs: ``workers`` (``None``: all usable
    cores), never more than there are jobs, and at least 1 (1 = run here, no pool).

    >>> worker_count(4, 3), worker_count(2, 10), worker_count(None, 1)
    (3, 2, 1)
    """
    wanted = usable_cores() if workers is None else workers
    return max(1, min(wanted, jobs))


def run_jobs(function: Callable[[Any], Any], jobs: Sequence, *, workers: int | None = None,
             executor: Executor | None = None, progress: Progress = False) -> list:
    """``[function(job) for job in jobs]``, run here, in a local pool or on ``executor``.

    Parameters
    ----------
    function : callable
        Applied to each job; a module-level function (it is pickled by name to reach
        other processes).
    jobs : sequence
        The jobs, each picklable; keep them small (a job travels to its worker, and its
        result travels back).
    workers : int, optional
        Local processes (default ``None``: all usable cores, see :func:`worker_count`,
        or only this one when the jobs cannot be pickled, such as a job holding a
        lambda or a function defined inside another); ignored when ``executor`` is
        given.
    executor : concurrent.futures.Executor, optional
        Where to run instead, e.g. ``dask.distributed.Client(...).get_executor()``.
    progress : bool or str
        Show a progress bar (see :func:`progress_bar`).

    Returns
    -------
    list
        The results, in the order of ``jobs``.

    Raises
    ------
    TypeError
        If ``workers`` above 1 was asked for and the jobs cannot be pickled.
    """
    size = worker_count(workers, len(jobs))
    if executor is None and size > 1:
        problem = _why_not_picklable(jobs[0])
        if problem and workers is None:  # the default: run here rather than fail
            size = 1
        elif problem:
            raise TypeError(f"workers: {workers} processes need jobs that can be pickled, "
                            f"and these cannot ({problem}); pass module-level functions "
                            "(not lambdas or functions defined inside others), or "
                            "workers=1")
    with progress_bar(len(jobs), progress) as advance:
        if executor is not None:
            return _run_on(executor, function, jobs, advance)
        if size > 1:
            return _run_in_pool(function, jobs, size, advance)
        results = []
        for job in jobs:
            results.append(function(job))
            advance(1)
        return results


def _why_not_picklable(job) -> str | None:
    """Why ``job`` cannot travel to another process (None if it can)."""
    try:
        pickle.dumps(job)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        return str(exc)
    return None


class _Bar(tqdm):
    monitor_interval = 0  # no monitor thread: it would outlive the bar, in every process


@contextlib.contextmanager
def progress_bar(total: int, progress: Progress) -> Iterator[Callable[[int], None]]:
    """A progress bar of ``total`` jobs, as a function ``advance(n)`` to call as jobs end.

    ``progress`` False gives no bar (``advance`` does nothing); True or a label (shown
    before the bar) gives ``tqdm.auto``'s bar: text on standard error in a terminal, a
    widget in a notebook. The bar is closed when the block ends, however it ends.
    """
    if not progress:
        yield lambda n: None
        return
    label = progress if isinstance(progress, str) else None
    bar = _Bar(total=total, desc=label, unit="run", file=sys.stderr, leave=False,
               dynamic_ncols=True)
    try:
        yield bar.update
    finally:
        bar.close()


# -- on someone else's executor ---------------------------------------------------------------
def _run_on(executor: Executor, function: Callable, jobs: Sequence,
            advance: Callable[[int], None]) -> list:
    """Run the jobs on the caller's executor; on any error or interrupt the jobs not
    started are cancelled."""
    futures: list[Future] = []
    try:
        futures.extend(executor.submit(function, job) for job in jobs)
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # raises the first error at once
            advance(len(done))
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        raise


# -- in a local pool --------------------------------------------------------------------------
def _run_in_pool(function: Callable, jobs: Sequence, workers: int,
                 advance: Callable[[int], None]) -> list:
    """Run the jobs in a local pool of ``workers`` processes, a few at a time, and return
    their results in the jobs' order. An error or interrupt stops the pool at once."""
    results: list = [None] * len(jobs)
    running: dict[Future, int] = {}
    queued = iter(enumerate(jobs))
    limit = JOBS_PER_WORKER * workers
    pool = None
    try:
        # the pool's threads and workers start with the first jobs; started with Ctrl-C
        # blocked, they leave it to this thread (and the workers then ignore it)
        with _interrupts_blocked():
            pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_setup)
            _hand_out(pool, function, queued, running, limit)
        while running:
            done, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                results[running.pop(future)] = future.result()
            advance(len(done))
            _hand_out(pool, function, queued, running, limit)
        pool.shutdown(wait=True)
    except BaseException:
        if pool is not None:
            with _interrupts_held():  # a second Ctrl-C must not cut the clean-up short
                _stop(pool)
        raise
    return results


def _hand_out(pool: ProcessPoolExecutor, function: Callable, queued: Iterator,
              running: dict, limit: int) -> None:
    """Submit queued jobs until ``limit`` are running or waiting."""
    for index, job in queued:
        running[pool.submit(function, job)] = index
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
