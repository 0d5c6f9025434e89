"""Lesson 02's panels: stages and win rates (the count and amount funnels)."""

from __future__ import annotations

from sim.presentation import plots
from sim.presentation.i18n import text
from sim.presentation.widgets import Panel, Slider, draw
from sim.scenario.schema import Scenario


def funnel_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 02's panel: the team's size, the proposal stage's win rate and the outbound
    advertising budget; shows the funnel at the end of the run and the key figures.

    ``lang`` ("en" or "zh", the scenario's ``language`` by default) is the language of its
    labels, figures and summary line; so for every panel here."""
    lang = lang or scenario.language
    campaign = next(i for i, c in enumerate(scenario.channels) if c.kind == "outbound_campaign")
    name = scenario.channels[campaign].name

    def show(run) -> None:
        draw(plots.funnel_chart(run))
        k = run.kpis()
        print(text("Leads {leads}, opportunities {opportunities}, won {won}, win rate "
                   "{win_rate}, bookings {bookings} {currency}", lang, leads=k["leads"],
                   opportunities=k["opportunities"], won=k["won"],
                   win_rate=f"{k['win_rate']:.0%}", bookings=f"{k['bookings']:,.0f}",
                   currency=run.scenario.currency))

    return Panel(scenario, [
        Slider("team.reps", text("Reps", lang), 2, 10, 1, integer=True),
        Slider("stages[2].win_rate", text("Proposal win rate", lang), 0.3, 0.9, 0.05),
        Slider(f"channels[{campaign}].budget_per_month",
               text("{channel} budget per month", lang, channel=name), 0, 20000, 1000),
    ], show=show, lang=lang)


PANELS = {"funnel": (funnel_panel, "baseline")}
"""Each panel's factory and the shipped scenario its lesson starts from."""
