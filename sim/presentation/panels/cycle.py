"""Lesson 03's panels: the sales cycle in its four parts, sales velocity and neglected
deals; and its "fewer reps: does velocity go up or down?" exercise."""

from __future__ import annotations

from sim.analysis.diagnostics.neglect import neglect_summary
from sim.analysis.diagnostics.velocity import pipeline_velocity
from sim.analysis.plan_vs_run import planned_cycle_parts
from sim.presentation.exercises import Exercise
from sim.presentation.i18n import text
from sim.presentation.panels.predictions import paired_prediction
from sim.presentation.plots.cycle import cycle_chart
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario

PROPOSAL = 2
"""The index of the stage *Proposal & quote* in the shipped four-stage scenarios."""


def team_velocity(result) -> dict:
    """The team's sales velocity (opportunities x win rate x deal size / cycle, money a
    day: :func:`~sim.analysis.diagnostics.velocity.pipeline_velocity`) and its bookings a
    day; a ``metrics`` function for :func:`sim.experiments.runner.compare`."""
    team = pipeline_velocity(result).iloc[-1]
    return {"velocity": float(team["velocity_per_day"]),
            "bookings_per_day": float(team["bookings_per_day"])}


def neglect_cost(result) -> dict:
    """What neglect cost a run: the deals lost to neglect and their amount, the bookings
    and the team's sales velocity; a ``metrics`` function for
    :func:`sim.experiments.runner.compare`."""
    team = neglect_summary(result).iloc[-1]
    k = result.kpis()
    return {"lost to neglect": int(team["lost_to_neglect"]),
            "amount lost to neglect": float(team["lost_to_neglect_amount"]),
            "bookings": float(k["bookings"]),
            "velocity per day": team_velocity(result)["velocity"]}


def cycle_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 03's panel: the team's size, the rep's work on a proposal, and the days a
    proposal waiting for its rep takes to rot; shows the sales cycle's four parts (plan
    and won deals) and a line with the cycle, the velocity and the neglected deals.

    ``lang`` ("en" or "zh", the scenario's ``language`` by default) is the language of its
    labels, figure and summary line."""
    lang = lang or lesson_language(scenario)
    proposal = scenario.stages[PROPOSAL].name

    def show(run) -> None:
        draw(cycle_chart(run))
        k = run.kpis()
        team = neglect_summary(run).iloc[-1]
        print(text("Won deals' cycle {cycle} days (plan {plan}) | velocity {velocity} "
                   "{currency} a day | rotting deals {rotting} | lost to neglect {neglect} "
                   "({amount} {currency})", lang, cycle=f"{k['avg_cycle_days']:.0f}",
                   plan=f"{planned_cycle_parts(run.scenario)['planned_days'].sum():.0f}",
                   velocity=f"{team_velocity(run)['velocity']:,.0f}",
                   currency=run.scenario.currency, rotting=int(team["rotting"]),
                   neglect=int(team["lost_to_neglect"]),
                   amount=f"{team['lost_to_neglect_amount']:,.0f}"))

    return Panel(scenario, [
        Slider("team.reps", text("Reps", lang), 2, 10, 1, integer=True),
        # (the rep's work, not the customer's decision days: a slider cannot yet set a
        # distribution's mean, whose schema field has an alias)
        Slider(f"stages[{PROPOSAL}].work_hours",
               text("{stage}: the rep's work (hours)", lang, stage=proposal), 2, 40, 2),
        Slider(f"stages[{PROPOSAL}].rot_days",
               text("{stage}: days a waiting deal takes to rot", lang, stage=proposal),
               2, 60, 2),
    ], show=show, lang=lang)


def reps_velocity_exercise(scenario: Scenario, question: str, hint: str, *, why: str = "",
                           replications: int = 4, lang: str | None = None) -> Exercise:
    """Lesson 03's exercise: set the team's size, predict whether the sales velocity goes
    up, down or stays the same; judged on ``replications`` paired runs by the 95%
    interval of the difference
    (:func:`sim.presentation.panels.predictions.paired_prediction`)."""
    lang = lang or lesson_language(scenario)
    currency = scenario.currency
    return paired_prediction(
        question, hint, scenario, Slider("team.reps", text("Reps", lang), 1, 10, 1,
                                         integer=True),
        metrics=team_velocity, metric="velocity",
        metric_label=text("Sales velocity ({currency} a day)", lang, currency=currency),
        shown="{:,.0f}".format, replications=replications,
        right={"setting": 2, "prediction": "lower"},
        wrong={"setting": 2, "prediction": "higher"}, why=why, lang=lang)


PANELS = {"cycle": (cycle_panel, "baseline")}
"""Each panel's factory and the shipped scenario its lesson starts from."""
