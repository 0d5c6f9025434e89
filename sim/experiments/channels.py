"""Channel economics over many replications: what a lead and a won deal cost per channel,
with enough simulated years that a channel's few wins do not decide its ranking.

One replication gives a small channel only a handful of won deals, so its cost per won
deal moves a lot by chance; :func:`channel_economics_runs` runs the replications (on the
same seeds as :func:`sim.experiments.runner.replicate`) and
:func:`sim.analysis.diagnostics.channels.pooled_channel_economics` pools them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from sim.analysis.diagnostics.channels import channel_economics
from sim.experiments.executors import run_jobs
from sim.experiments.runner import simulate


def _economics(job) -> pd.DataFrame:
    scenario, replication, rep_cost_per_hour = job
    table = channel_economics(simulate(scenario, replication), rep_cost_per_hour)
    return table.assign(replication=replication)


def channel_economics_runs(scenario, replications: int | Iterable[int] = 10, *,
                           rep_cost_per_hour: float = 0.0,
                           workers: int | None = None) -> pd.DataFrame:
    """:func:`~sim.analysis.diagnostics.channels.channel_economics` of each replication.

    Parameters
    ----------
    scenario : Scenario
    replications : int or iterable of int
        A count (replications 0..n-1) or the replication numbers.
    rep_cost_per_hour : float
        The price of a rep's prospecting hour, as for ``channel_economics``.
    workers : int, optional
        Local processes, as for :func:`sim.experiments.runner.replicate`.

    Returns
    -------
    DataFrame
        The tables stacked, tidy: ``scenario`` and ``replication`` columns first, then
        the columns of ``channel_economics``, replication by replication.
    """
    numbers = range(replications) if isinstance(replications, int) else list(replications)
    if not len(numbers):
        raise ValueError("replications: at least one is needed")
    tables = run_jobs(_economics, [(scenario, r, rep_cost_per_hour) for r in numbers],
                      workers=workers)
    out = pd.concat(tables, ignore_index=True).assign(scenario=scenario.name)
    first = ["scenario", "replication"]
    return out[first + [c for c in out.columns if c not in first]]
