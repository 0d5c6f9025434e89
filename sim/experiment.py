"""Running the engine: one replication, or many with common random numbers."""

from __future__ import annotations

from sim.engine import Engine
from sim.policies import PolicyKey
from sim.results import RunResult
from sim.scenario import Scenario


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
        (see :mod:`sim.policies`).
    """
    engine = Engine(scenario, replication, policy)
    rec = engine.run()
    return RunResult(scenario, replication, rec, engine.traits, [r.name for r in engine.reps])
