"""The result of one run: the scenario used, the engine's records, tables and KPIs.

A :class:`RunResult` holds plain data only (the scenario, the records, the reps' names):
it pickles, travels between processes, and every table is rebuilt from its records on
first use.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from sim.analysis.contracts import (
    contracts_table,
    invoice_columns,
    invoices_table,
    line_items_table,
    payments_table,
)
from sim.analysis.metrics import kpis
from sim.analysis.tables import Tables
from sim.engine.events import Recorder
from sim.scenario.schema import Scenario


class RunResult:
    """Tables of one replication, built on first use.

    Attributes
    ----------
    scenario : Scenario
        The scenario that produced this result (it travels with the result).
    replication : int
        Replication number.
    records : Recorder
        What the engine recorded (see :mod:`sim.engine.events`).
    rep_names : list of str
        The reps' names, by index.
    """

    TABLE_NAMES = ("leads", "opportunities", "stage_history", "rep_time", "events",
                   "contracts", "line_items", "invoices", "payments")

    def __init__(self, scenario: Scenario, replication: int, records: Recorder,
                 rep_names: list[str]):
        self.scenario = scenario
        self.replication = replication
        self.records = records
        self.rep_names = list(rep_names)

    @cached_property
    def _tables(self) -> Tables:
        return Tables(self.scenario, self.records, self.rep_names)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Every state change, in time order, one column per named field."""
        return self._tables.events()

    @cached_property
    def leads(self) -> pd.DataFrame:
        """One row per lead: channel, owner, response time, outcome."""
        return self._tables.leads()

    @cached_property
    def opportunities(self) -> pd.DataFrame:
        """One row per opportunity, with the fields a CRM list shows."""
        return self._tables.opportunities()

    @cached_property
    def stage_history(self) -> pd.DataFrame:
        """One row per opportunity and stage reached."""
        return self._tables.stage_history()

    @cached_property
    def forecast_history(self) -> pd.DataFrame:
        """One row per change of a deal's expected close or forecast category, by its
        owner, with the days it was in force (``day`` to ``until_day``)."""
        return self._tables.forecast_history()

    @cached_property
    def rep_time(self) -> pd.DataFrame:
        """Who did what, when, for how long (hours)."""
        return self._tables.rep_time()

    @cached_property
    def handover_days(self) -> pd.Series:
        """The day each won deal's post-sale hand-over was done, by opportunity id."""
        return self._tables.handover_days()

    def facts(self, table: str) -> dict[str, np.ndarray]:
        """The facts behind a table as plain arrays, cheaper than the table itself:
        ``"leads"``, ``"opportunities"``, ``"rep_time"`` (reps, owners and channels as
        indices) or ``"invoices"``. The KPIs read these."""
        return {"leads": self._tables.lead_columns,
                "opportunities": self._tables.opportunity_columns,
                "rep_time": self._tables.work_columns,
                "invoices": lambda: self._invoice_facts}[table]()

    @cached_property
    def _invoice_facts(self) -> dict[str, np.ndarray]:
        return invoice_columns(self)

    @cached_property
    def contracts(self) -> pd.DataFrame:
        """Won deals as contracts (services) or orders (products): delivery and money."""
        return contracts_table(self)

    @cached_property
    def line_items(self) -> pd.DataFrame:
        """The products or services each contract or order is made of."""
        return line_items_table(self)

    @cached_property
    def invoices(self) -> pd.DataFrame:
        """Invoices raised on payment-plan milestones, with their status at the end."""
        return invoices_table(self)

    @cached_property
    def payments(self) -> pd.DataFrame:
        """Payments received by the end of the run."""
        return payments_table(self)

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables by name."""
        return {name: getattr(self, name) for name in self.TABLE_NAMES}

    def kpis(self) -> dict[str, float]:
        """Headline figures over the results period (see :func:`sim.analysis.metrics.kpis`)."""
        return kpis(self)
