"""The result of one run: the scenario used, tidy tables and KPIs."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from sim.records import Recorder, Tables
from sim.scenario import Scenario


class RunResult:
    """Tables of one replication, built on first use.

    Attributes
    ----------
    scenario : Scenario
        The scenario that produced this result (it travels with the result).
    replication : int
        Replication number.
    """

    def __init__(self, scenario: Scenario, replication: int, recorder: Recorder,
                 traits: dict, rep_names: list[str]):
        self.scenario = scenario
        self.replication = replication
        self._tables = Tables(scenario, traits, recorder, rep_names)
        self.rep_names = list(rep_names)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Every state change, in time order."""
        return self._tables.events()

    @cached_property
    def leads(self) -> pd.DataFrame:
        """One row per lead: channel, owner, response time, outcome."""
        return self._tables.leads(self.events)

    @cached_property
    def opportunities(self) -> pd.DataFrame:
        """One row per opportunity, with the fields a CRM list shows."""
        return self._tables.opportunities(self.events, self.leads)

    @cached_property
    def stage_history(self) -> pd.DataFrame:
        """One row per opportunity and stage reached."""
        return self._tables.stage_history(self.events)

    @cached_property
    def rep_time(self) -> pd.DataFrame:
        """Who did what, when, for how long (hours)."""
        return self._tables.rep_time()

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables by name."""
        return {name: getattr(self, name) for name in
                ("leads", "opportunities", "stage_history", "rep_time", "events")}

    def kpis(self) -> dict[str, float]:
        """Headline figures over the results period (see :func:`sim.metrics.kpis`)."""
        from sim.metrics import kpis

        return kpis(self)
