"""Funnel Sandbox: a SimPy training sandbox for B2B sales-process management.

The public API for notebooks and scripts::

    from sim import load_scenario, simulate
    result = simulate(load_scenario("scenarios/baseline.toml"))
    result.kpis()
"""

from sim.analysis.statistics import summarize
from sim.experiments.runner import compare, paired_difference, replicate, simulate
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario, parse_scenario, save_scenario
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

__all__ = [
    "Scenario",
    "ScenarioError",
    "compare",
    "load_scenario",
    "paired_difference",
    "parse_scenario",
    "replicate",
    "save_scenario",
    "simulate",
    "summarize",
    "vary",
]
