"""Lesson 06's panels: Miller Heiman and the roller-coaster."""

from __future__ import annotations

from sim.analysis import volatility
from sim.analysis.levels import level_stock
from sim.experiments.runner import simulate
from sim.presentation import plots
from sim.presentation.i18n import text
from sim.presentation.widgets import Choice, Panel, Slider, draw
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

PANEL_YEAR = {"horizon_days": 365.0, "warmup_days": 120.0}
"""The roller-coaster panel simulates one year after a four-month warm-up, whatever the
lesson's scenario says: long enough for a sales cycle to swing a few times, short enough
to answer a move in about a second (at the highest prospecting targets the reps' task
lists grow long and a two-year run took several seconds)."""


def roller_coaster_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 06's panel: the policy and the prospecting target; shows each rep's four
    levels over one simulated year (:data:`PANEL_YEAR`), bookings per quarter, and the
    swing of prospecting hours."""
    lang = lang or scenario.language

    def show(run) -> None:
        k = run.kpis()
        hours = volatility.prospecting_hours(run)
        swing = sum(volatility.cv(hours[rep]) for rep in hours) / max(1, hours.shape[1])
        print(text("total bookings {bookings} {currency} | swing of prospecting hours "
                   "{swing} | deals lost to neglect {neglect}", lang,
                   bookings=f"{k['bookings']:,.0f}", currency=run.scenario.currency,
                   swing=f"{swing:.2f}", neglect=k["lost_to_neglect"]))
        draw(plots.plot_levels(level_stock(run, 7.0), by_rep=True))
        draw(plots.bookings_chart(run, "quarter"))

    prospecting = next(i for i, c in enumerate(scenario.channels)
                       if c.kind == "outbound_prospecting")
    return Panel(scenario, [
        Choice("policy.name", text("Policy", lang),
               ("miller_heiman", "close_first", "classic", "fifo")),
        Slider(f"channels[{prospecting}].target_hours_per_week",
               text("Prospecting target (hours/week)", lang), 0, 30, 2),
    ], show=show, run=lambda sc: simulate(vary(sc, PANEL_YEAR, source="the panel")),
        lang=lang)


PANELS = {"roller_coaster": (roller_coaster_panel, "roller_coaster")}
"""Each panel's factory and the shipped scenario its lesson starts from."""
