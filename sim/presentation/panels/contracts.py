"""Lesson 07's panels: contracts, orders and collections."""

from __future__ import annotations

from sim.analysis import cash
from sim.presentation import plots
from sim.presentation.i18n import text
from sim.presentation.widgets import Panel, Slider, draw
from sim.scenario.schema import Scenario


def cash_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 07's panel: late payers and payment terms; shows bookings, billings and cash
    per quarter, DSO and the cash collected."""
    lang = lang or scenario.language

    def show(run) -> None:
        draw(plots.cash_chart(run, "quarter"))
        print(text("DSO: {dso} days; cash collected over the year: {cash} {currency}", lang,
                   dso=f"{cash.dso_days(run):.0f}",
                   cash=f"{run.kpis()['cash_collected']:,.0f}",
                   currency=run.scenario.currency))

    return Panel(scenario, [
        # a step of 0.01, so that the grid holds the scenario's share (the baseline's 0.47
        # lay off a 0.05 grid: the browser snapped it, and one step did not redraw)
        Slider("payments.late_share", text("Share of invoices paid late", lang), 0.0, 1.0,
               0.01),
        Slider("payments.terms_days", text("Payment terms (days)", lang), 0, 90, 15,
               integer=True),
    ], show=show, lang=lang)


PANELS = {"cash": (cash_panel, "baseline")}
"""Each panel's factory and the shipped scenario its lesson starts from."""
