"""Where a command's replications run, and whether it shows their progress: the options
``--workers N``, ``--dask ADDRESS|local`` and ``--quiet`` that every experiment command
shares (``compare``, ``sweep``, ...).

A command adds them with :func:`add_execution_options` and runs its experiment inside
:func:`execution`, which gives the keyword arguments for
:func:`sim.experiments.runner.compare` (``workers=``, ``executor=``, ``progress=``)::

    add_execution_options(parser)
    ...
    with execution(args) as where:
        runs = compare(variants, args.replications, **where)

- ``--workers N``: N local processes (default: all usable cores);
- ``--dask ADDRESS``: a running ``dask.distributed`` scheduler (``tcp://host:8786``);
  ``--dask local``: a cluster of 2 worker processes started on 127.0.0.1 for the
  command and stopped after it (nothing listens beyond this machine; no dashboard);
- ``--quiet``: no progress bar. The bar goes to standard error, and only when standard
  error is a terminal and neither ``--quiet`` nor ``--json`` is given, so nothing but
  the results ever reaches standard output or a log file.

The results do not depend on which is used. A Dask that is not installed, a scheduler
that does not answer within :data:`CONNECT_SECONDS`, or a worker that dies during the
run is a :class:`~sim.presentation.commands.support.UsageError` (``error: --dask: ...``,
exit status 2), not a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator
from typing import IO, Any

from sim.presentation.commands.support import UsageError, workers_arg

LOCAL = "local"
"""``--dask local``: start a cluster on this machine for the command."""
LOCAL_WORKERS = 2
"""Worker processes of ``--dask local`` (one thread each)."""
CONNECT_SECONDS = 10
"""How long ``--dask ADDRESS`` waits for the scheduler to answer."""
DASK_EXTRA = "pip install 'funnel-sandbox[dask]'"
"""How to install what ``--dask`` needs (from the checkout: ``pip install -e '.[dask]'``)."""
BROKEN_WORKER = ("a worker process stopped unexpectedly (killed, or out of memory); "
                 "no results were produced")


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers``, ``--dask`` (one or the other) and ``--quiet`` to ``parser``."""
    group = parser.add_argument_group("where the replications run")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--workers", type=workers_arg, default=None, metavar="N",
                       help="local processes to use (default: all usable cores)")
    where.add_argument("--dask", metavar="ADDRESS",
                       help="run on a Dask cluster: the address of a running scheduler "
                            "(tcp://host:8786), or 'local' to start one on this machine "
                            "(needs the dask extra: " + DASK_EXTRA + ")")
    group.add_argument("--quiet", action="store_true",
                       help="show no progress bar (it shows on standard error only when "
                            "that is a terminal, and never with --json)")


def show_progress(quiet: bool, json: bool, stream: IO | None = None) -> bool:
    """Whether to show a progress bar: only on a terminal (``stream``, default standard
    error), and never with ``--quiet`` or ``--json``.

    >>> import io
    >>> show_progress(quiet=False, json=False, stream=io.StringIO())  # not a terminal
    False
    """
    if quiet or json:
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # None, closed, or not a real file
        return False


@contextlib.contextmanager
def execution(args: argparse.Namespace, label: str | None = None) -> Iterator[dict[str, Any]]:
    """The keyword arguments ``workers``, ``executor`` and ``progress`` for
    :func:`~sim.experiments.runner.compare`, from ``args`` (as parsed with
    :func:`add_execution_options`; ``args.json`` is read if present).

    With ``--dask`` the cluster is connected (or, for ``local``, started) on entry and
    closed on exit, however the block ends. ``label`` names the progress bar (default:
    the command's name).

    Raises
    ------
    UsageError
        Dask is not installed, the scheduler does not answer, or a worker process died
        during the run.
    """
    progress: bool | str = False
    if show_progress(getattr(args, "quiet", False), getattr(args, "json", False)):
        progress = label or getattr(args, "command", None) or True
    address = getattr(args, "dask", None)
    if address is None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            yield {"workers": getattr(args, "workers", None), "executor": None,
                   "progress": progress}
        except BrokenProcessPool:  # a worker was killed (by the system when memory ran out?)
            raise UsageError(f"--workers: {BROKEN_WORKER}") from None
        return
    with _dask_executor(address) as executor:
        yield {"workers": None, "executor": executor, "progress": progress}


@contextlib.contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A ``dask.distributed`` client: of the scheduler at ``address``, or, for
    ``local``, of a new cluster of :data:`LOCAL_WORKERS` worker processes (1 thread
    each) on 127.0.0.1; everything started here is closed on exit.

    The local cluster listens on the loopback only, on free ports (its scheduler's
    HTTP server too: no dashboard, and no clash with another cluster's port 8787).
    If the block ends with an error or a Ctrl-C, its worker processes are killed before
    it is closed, so that the command ends at once (a graceful close would wait for
    the replications under way). A Ctrl-C in the moment the workers are still starting
    may also print a traceback from them: Dask's workers do not ignore Ctrl-C while
    they import.

    Raises
    ------
    UsageError
        Dask is not installed, the address is empty, or the scheduler does not answer
        within :data:`CONNECT_SECONDS`.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(f"--dask: value {address!r} needs Dask, which is not installed: "
                         f"{DASK_EXTRA} (the dask extra)") from None
    if not address.strip():
        raise UsageError("--dask: value '' is not allowed: give a scheduler's address "
                         "(tcp://host:8786) or 'local'")
    with contextlib.ExitStack() as stack:
        if address == LOCAL:
            try:
                cluster = stack.enter_context(LocalCluster(
                    n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True,
                    host="127.0.0.1", scheduler_port=0, dashboard_address=None,
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.ERROR))
            except (OSError, RuntimeError) as exc:
                raise UsageError(f"--dask: value 'local': a Dask cluster could not be "
                                 f"started on 127.0.0.1 ({_first_line(exc)})") from None
            client = stack.enter_context(Client(cluster))
            stack.push(lambda kind, exc, tb: _kill_workers(cluster) if kind else None)
        else:
            try:
                client = stack.enter_context(Client(address, timeout=CONNECT_SECONDS))
            except (OSError, ValueError, TypeError) as exc:  # no answer, or not an address
                raise UsageError(
                    f"--dask: value {address!r}: no Dask scheduler answered there "
                    f"({_first_line(exc)}); the address must be a "
                    "running scheduler's (`dask scheduler` prints it, e.g. "
                    "tcp://host:8786), or 'local' to start one on this machine") from None
        yield client


@contextlib.contextmanager
def _dask_executor(address: str) -> Iterator[Any]:
    """The executor of :func:`dask_client`; a worker or scheduler lost during the run
    is a :class:`UsageError`."""
    with dask_client(address) as client:
        from distributed.comm.core import CommClosedError
        from distributed.scheduler import KilledWorker

        try:
            yield client.get_executor()
        except (KilledWorker, CommClosedError) as exc:  # a worker or the scheduler was lost
            raise UsageError(f"--dask: value {address!r}: the cluster failed during the "
                             f"run ({_first_line(exc)}); no results were produced") from None


def _kill_workers(cluster) -> None:
    """Kill a local cluster's worker processes at once, before it is closed after an
    error or a Ctrl-C: a replication under way cannot be interrupted, and a graceful
    close would wait seconds for it."""
    for nanny in list(cluster.workers.values()):
        with contextlib.suppress(OSError, TypeError):  # gone already, or never started
            os.kill(nanny.pid, signal.SIGKILL)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
