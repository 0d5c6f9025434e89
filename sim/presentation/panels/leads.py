"""Lesson 01: leads and channels: its panel and its "set this, predict that" exercise.

The panel lets a learner change the team's size and the outbound advertising budget and
see, for one simulated year, each channel's leads, opportunities and cost per won deal,
and how fast the leads were answered (speed to lead). The exercise asks whether another
team size raises or lowers the share of leads that become opportunities, and answers it
with a paired comparison (:func:`sim.experiments.runner.compare`).
"""

from __future__ import annotations

from sim.analysis.diagnostics.channels import channel_economics
from sim.analysis.leads import response_summary
from sim.experiments.runner import kpis_of
from sim.presentation.exercises import Exercise
from sim.presentation.i18n import text
from sim.presentation.panels.predictions import paired_prediction
from sim.presentation.plots.channels import channels_chart
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario

REP_COST_PER_HOUR = 60.0
"""What lesson 01 prices a rep's prospecting hour at, in the scenario's currency: an
assumption of the lesson (not from the course's sources), so that telemarketing, which
costs the reps' time rather than a budget, has a cost per lead and per won deal."""

MOST_REPS = 10
"""The largest team the lesson's controls offer."""


def _money(value: float) -> str:
    return "—" if value != value else f"{value:,.0f}"  # NaN: no deal won


def leads_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 01's panel: the team's size and the advertising channel's budget per month;
    shows leads, opportunities and cost per won deal by channel, speed to lead, and a
    summary line (one simulated year of the scenario)."""
    lang = lang or lesson_language(scenario)
    campaign = [i for i, c in enumerate(scenario.channels) if c.kind == "outbound_campaign"]
    controls = [Slider("team.reps", text("Reps", lang), 2, MOST_REPS, 1, integer=True)]
    if campaign:
        name = scenario.channels[campaign[0]].name
        controls.append(Slider(f"channels[{campaign[0]}].budget_per_month",
                               text("{channel} budget per month", lang, channel=name),
                               0, 20_000, 1_000, integer=True))

    def show(run) -> None:
        draw(channels_chart(run, REP_COST_PER_HOUR))
        speed = response_summary(run)
        groups = channel_economics(run, REP_COST_PER_HOUR).set_index("channel")
        print(text("Leads {leads}: {fast} answered within an hour, median wait {hours} h; "
                   "{share} became opportunities. Cost per won deal: inbound {inbound}, "
                   "outbound {outbound} {currency}.", lang, leads=f"{speed['leads']:,}",
                   fast=f"{speed['answered_within_hour']:.0%}",
                   hours=f"{speed['median_response_hours']:.1f}",
                   share=f"{speed['lead_to_opportunity']:.1%}",
                   inbound=_money(groups.loc["inbound", "cost_per_win"]),
                   outbound=_money(groups.loc["outbound", "cost_per_win"]),
                   currency=run.scenario.currency))

    return Panel(scenario, controls, show=show, lang=lang)


def team_size_exercise(scenario: Scenario, replications: int, *, hint: str,
                       lang: str | None = None) -> Exercise:
    """"With N reps, will the share of leads that become opportunities go up or down?": a
    team-size slider and a prediction, judged on ``replications`` paired runs by the 95%
    interval of the difference in ``lead_to_opportunity_rate``
    (:func:`sim.presentation.panels.predictions.paired_prediction`, as lessons 02 and 03
    judge theirs)."""
    lang = lang or lesson_language(scenario)
    fewer = max(1, scenario.team.reps - 2)
    return paired_prediction(
        text("Today the team has {n} reps. Choose another team size and predict: will the "
             "<b>share of leads that become opportunities</b> be higher or lower?", lang,
             n=scenario.team.reps), hint, scenario,
        Slider("team.reps", text("Reps", lang), 1, MOST_REPS, 1, integer=True),
        metrics=kpis_of, metric="lead_to_opportunity_rate",
        metric_label=text("Share of leads that became opportunities", lang),
        shown="{:.1%}".format, replications=replications,
        right={"setting": fewer, "prediction": "lower"},
        wrong={"setting": fewer, "prediction": "higher"}, lang=lang)


PANELS = {"leads": (leads_panel, "baseline")}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""
