"""Funnel Sandbox: a SimPy training sandbox for B2B sales-process management.

The public API for notebooks and scripts:

>>> from sim import load_scenario, simulate
>>> result = simulate(load_scenario("scenarios/baseline.toml"))
>>> result.kpis()["leads"] > 0
True

Each public name is loaded on first use (PEP 562), from the module that :data:`API`
names, so ``import sim`` (and with it ``funnel --help``) stays quick: pandas, SimPy and
the experiments load only when a name that needs them is first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

API: dict[str, str] = {
    "Scenario": "sim.scenario.schema",
    "ScenarioError": "sim.scenario.errors",
    "compare": "sim.experiments.runner",
    "load_scenario": "sim.scenario.files",
    "paired_difference": "sim.experiments.runner",
    "parse_scenario": "sim.scenario.files",
    "replicate": "sim.experiments.runner",
    "save_scenario": "sim.scenario.files",
    "simulate": "sim.experiments.runner",
    "summarize": "sim.analysis.statistics",
    "vary": "sim.scenario.variants",
    # the manager's desk: a CRM export read, stress-tested, turned into a scenario
    "read_opportunities": "sim.crm.reader",
    "read_history": "sim.crm.reader",
    "stress_pipeline": "sim.crm.stress",
    "calibrate": "sim.crm.calibrate",
    "movement": "sim.crm.movement",
    "crm_tables": "sim.crm.export",
    # experiments at scale
    "sweep": "sim.experiments.sweep",
    "summarize_sweep": "sim.experiments.sweep",
    "run_to_precision": "sim.experiments.precision",
    "warmup_study": "sim.experiments.warmup",
}
"""Public name -> the module that defines it (none from the presentation layer)."""

__all__ = sorted(API)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use and keep it here."""
    try:
        module = API[name]
    except KeyError:
        raise AttributeError(f"module 'sim' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(API))
