"""Lesson 07's panels: contracts, orders and collections."""

from __future__ import annotations

from sim.analysis import cash
from sim.presentation import plots
from sim.presentation.i18n import text
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

LATE_SHARE_STEP = 0.05
"""The late-payer slider's step. A step must move enough invoices to change the picture: at
0.01 a step flips about two of a year's ~180 invoices, often none (0.47, 0.48 and 0.49 gave
the same baseline year), so a move did not redraw; at 0.05 it flips about nine."""


def on_grid(value: float, step: float, low: float = 0.0) -> float:
    """``value`` moved to the nearest point of the grid ``low + k * step``.

    >>> on_grid(0.47, 0.05)
    0.45
    """
    return round(low + round((value - low) / step) * step, 10)


def cash_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 07's panel: late payers and payment terms; shows bookings, billings and cash
    per quarter, DSO and the cash collected.

    The panel starts from ``scenario`` with its share of invoices paid late moved to the
    slider's grid (:data:`LATE_SHARE_STEP`; the baseline's 0.47 starts at 0.45): a browser
    snaps a slider's value to its grid anyway, and an off-grid start made a step that did
    not redraw."""
    lang = lang or lesson_language(scenario)
    late = scenario.payments.late_share
    if on_grid(late, LATE_SHARE_STEP) != late:
        scenario = vary(scenario, {"payments.late_share": on_grid(late, LATE_SHARE_STEP)},
                        source="the panel")

    def show(run) -> None:
        draw(plots.cash_chart(run, "quarter"))
        print(text("DSO: {dso} days; cash collected over the year: {cash} {currency}", lang,
                   dso=f"{cash.dso_days(run):.0f}",
                   cash=f"{run.kpis()['cash_collected']:,.0f}",
                   currency=run.scenario.currency))

    return Panel(scenario, [
        Slider("payments.late_share", text("Share of invoices paid late", lang), 0.0, 1.0,
               LATE_SHARE_STEP),
        Slider("payments.terms_days", text("Payment terms (days)", lang), 0, 90, 15,
               integer=True),
    ], show=show, lang=lang)


PANELS = {"cash": (cash_panel, "baseline")}
"""Each panel's factory and the shipped scenario its lesson starts from."""
