"""Lesson 08's panels: the manager's stress test of a CRM pipeline.

The stress test's own knobs (the quota, a win-rate shift, the number of draws) are not
fields of a scenario, and a :class:`~sim.presentation.widgets.Panel` sets scenario
fields. So the panel changes the *sales team* instead: how optimistic the deals' owners
are about their close dates, and the true win rate of a stage. Each move simulates the
team up to a date in a quarter (:data:`PANEL_QUARTER`), exports its CRM files as a CRM
would (:func:`sim.crm.export.crm_tables`), and stress-tests the quarter's open deals:
once with the CRM's probabilities, once fitted to the history (win rates and slips).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.crm.export import crm_tables
from sim.crm.stress import StressResult, stress_pipeline
from sim.experiments.runner import simulate
from sim.presentation.i18n import text
from sim.presentation.plots.stress import stress_chart
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

PANEL_QUARTER = {"horizon_days": 288.0, "warmup_days": 120.0}
"""The panel's run: a four-month warm-up, then the results period up to day 288, two
weeks into the fourth quarter of a year that starts on 1 January: the manager exports
the CRM with most of the quarter still ahead. Whatever the lesson's scenario says, so
that a move takes well under a second (the run takes about 0.15 s)."""

PANEL_DRAWS = 5_000
"""Monte Carlo draws per stress test in the panel. The Monte Carlo error of the expected
bookings is the draws' SD over ``sqrt(draws)``: with 5,000 draws about 1.4% of the SD,
far below the differences a slider move makes (a few per cent of the bookings), and the
chance of quota is known to about +-0.6 points. 10,000 would halve nothing a learner can
see and double the time."""


@dataclass(frozen=True)
class QuarterStress:
    """What the panel shows for one setting: the scenario run, and the stress tests of
    its export (``file``: the CRM's probabilities; ``fitted``: win rates and slips fitted
    to the history)."""

    scenario: Scenario
    file: StressResult
    fitted: StressResult


def stress_quarter(scenario: Scenario, draws: int = PANEL_DRAWS) -> QuarterStress:
    """Simulate ``scenario`` up to :data:`PANEL_QUARTER`'s day, export its CRM tables and
    stress-test the quarter the export falls in, against the scenario's quota (none when
    it is 0)."""
    run = simulate(vary(scenario, PANEL_QUARTER, source="the panel"))
    opportunities, history = crm_tables(run)
    quota = scenario.forecast.quota_per_period or None
    return QuarterStress(scenario,
                         stress_pipeline(opportunities, quota=quota, draws=draws),
                         stress_pipeline(opportunities, history, quota=quota, draws=draws))


def forecast_calls(stress: StressResult, opportunities: pd.DataFrame) -> pd.DataFrame:
    """The numbers a manager may say in the forecast call, and how often the quarter
    reaches each one in the stress test's draws.

    The owners' calls add the forecast categories of the quarter's open deals (as the
    CRM file gives them) to what is already won: ``commit`` (won + commit), ``best case``
    (won + commit + best case) and ``everything`` (won + every open deal expected in the
    quarter); the stress test's figures are its weighted forecast, P10, P50 and P90.

    Returns
    -------
    DataFrame
        One row per call, lowest amount first: ``call``, ``amount`` and ``reached``
        (share of the draws booking at least the amount).
    """
    category = stress.deals["id"].map(opportunities.set_index("id")["forecast_category"])
    amount = stress.deals["amount"].groupby(category.to_numpy()).sum()
    commit = stress.booked + amount.get("commit", 0.0)
    best = commit + amount.get("best_case", 0.0)
    s = stress.base
    calls = {"owners' commit": commit, "owners' best case": best,
             "every open deal": stress.booked + float(stress.deals["amount"].sum()),
             "weighted forecast": s.weighted_forecast, "P10": s.p10, "P50": s.p50,
             "P90": s.p90}
    draws = np.sort(stress.bookings)
    table = pd.DataFrame({"call": list(calls), "amount": [float(v) for v in calls.values()]})
    # share of draws at or above each amount
    table["reached"] = 1 - np.searchsorted(draws, table["amount"], side="left") / len(draws)
    return table.sort_values("amount", kind="stable").reset_index(drop=True)


def stress_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 08's panel: the owners' optimism and the proposal stage's win rate; shows
    the quarter's bookings distribution fitted to the history, and a line comparing the
    CRM's weighted forecast with the fitted P10 / P50 / P90 and chance of quota."""
    lang = lang or lesson_language(scenario)
    proposal = min(2, len(scenario.stages) - 1)

    def show(quarter: QuarterStress) -> None:
        f, s = quarter.file.base, quarter.fitted.base
        money = quarter.scenario.currency
        print(text("{deals} open deals expected this quarter | CRM's weighted forecast "
                   "{forecast} {currency} | fitted to the history: P10 {p10}, P50 {p50}, "
                   "P90 {p90} | chance of quota {chance}", lang,
                   deals=len(quarter.file.deals), forecast=f"{f.weighted_forecast:,.0f}",
                   currency=money, p10=f"{s.p10:,.0f}", p50=f"{s.p50:,.0f}",
                   p90=f"{s.p90:,.0f}", chance=f"{s.p_quota:.0%}"))
        draw(stress_chart(quarter.fitted, currency=money))

    return Panel(scenario, [
        Slider("forecast.owner_optimism", text("Owners' optimism", lang), 0.0, 0.6, 0.1),
        # within the baseline's neighbours (35% and 75%): win rates must not fall
        Slider(f"stages[{proposal}].win_rate", text("Proposal win rate", lang), 0.4, 0.7,
               0.05),
    ], show=show, run=stress_quarter, lang=lang)


PANELS = {"stress": (stress_panel, "baseline")}
"""Each panel's factory and the shipped scenario its lesson starts from."""
