"""Lesson 02's panels: stages and win rates (the count and amount funnels, and where deals
drop out), and its "set the proposal's win rate, predict the overall win rate" exercise."""

from __future__ import annotations

from sim.analysis.plan_vs_run import drop_out_metrics
from sim.presentation import plots
from sim.presentation.exercises import Exercise
from sim.presentation.i18n import text
from sim.presentation.panels.predictions import paired_prediction
from sim.presentation.plots.stages import advance_chart
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario

PROPOSAL = 2
"""The index of the stage *Proposal & quote* in the shipped four-stage scenarios."""


def funnel_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 02's panel: the team's size, the proposal stage's win rate and the outbound
    advertising budget; shows the count and amount funnels at the end of the run, each
    stage's planned and seen chance to advance, and the key figures.

    ``lang`` ("en" or "zh", the scenario's ``language`` by default) is the language of its
    labels, figures and summary line; so for every panel here."""
    lang = lang or lesson_language(scenario)
    campaign = next(i for i, c in enumerate(scenario.channels) if c.kind == "outbound_campaign")
    name = scenario.channels[campaign].name

    def show(run) -> None:
        draw(plots.funnel_chart(run))
        draw(advance_chart(run))
        k = run.kpis()
        print(text("Leads {leads}, opportunities {opportunities}, won {won}, win rate "
                   "{win_rate}, bookings {bookings} {currency}", lang, leads=k["leads"],
                   opportunities=k["opportunities"], won=k["won"],
                   win_rate=f"{k['win_rate']:.0%}", bookings=f"{k['bookings']:,.0f}",
                   currency=run.scenario.currency))

    return Panel(scenario, [
        Slider("team.reps", text("Reps", lang), 2, 10, 1, integer=True),
        Slider(f"stages[{PROPOSAL}].win_rate", text("Proposal win rate", lang), 0.3, 0.9, 0.05),
        Slider(f"channels[{campaign}].budget_per_month",
               text("{channel} budget per month", lang, channel=name), 0, 20000, 1000),
    ], show=show, lang=lang)


def win_rate_exercise(scenario: Scenario, question: str, hint: str, *, why: str = "",
                      replications: int = 5, lang: str | None = None) -> Exercise:
    """Lesson 02's exercise: set the proposal stage's win rate, predict whether the overall
    win rate goes up, down or stays the same; judged on ``replications`` paired runs by
    the 95% interval of the difference
    (:func:`sim.presentation.panels.predictions.paired_prediction`).

    The right answer is a fact of the model: a new deal's chance to be won in the end is
    the first stage's win rate, so a later stage's rate moves only where deals drop out.
    """
    lang = lang or lesson_language(scenario)
    return paired_prediction(
        question, hint, scenario,
        Slider(f"stages[{PROPOSAL}].win_rate", text("Proposal win rate", lang), 0.3, 0.9, 0.05),
        metrics=drop_out_metrics, metric="win_rate", metric_label=text("Overall win rate", lang),
        shown="{:.1%}".format, replications=replications,
        right={"setting": 0.7, "prediction": "unclear"},
        wrong={"setting": 0.7, "prediction": "higher"}, why=why, lang=lang)


PANELS = {"funnel": (funnel_panel, "baseline")}
"""Each panel's factory and the shipped scenario its lesson starts from."""
