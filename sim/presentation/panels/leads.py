"""Lesson 01: leads and channels: its panel and its "set this, predict that" exercise.

The panel lets a learner change the team's size and the outbound advertising budget and
see, for one simulated year, each channel's leads, opportunities and cost per won deal,
and how fast the leads were answered (speed to lead). The exercise asks whether another
team size raises or lowers the share of leads that become opportunities, and answers it
with a paired comparison (:func:`sim.experiments.runner.compare`).
"""

from __future__ import annotations

import ipywidgets as widgets

from sim.analysis.diagnostics.channels import channel_economics
from sim.analysis.leads import response_summary
from sim.experiments.runner import compare, paired_difference
from sim.presentation.exercises import NO_ANSWER, Exercise, Verdict
from sim.presentation.i18n import text
from sim.presentation.plots.channels import channels_chart
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

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
    """"With N reps, will the share of leads that become opportunities be higher or lower
    than today?": a team-size slider and a prediction; Check runs today’s team and the
    learner's on the same ``replications`` (common random numbers) and says the paired
    difference of ``lead_to_opportunity_rate`` with its 95% confidence interval.

    The prediction is right when it has the sign of the mean difference; when the interval
    includes zero the verdict says that chance could explain it.
    """
    lang = lang or lesson_language(scenario)
    today = scenario.team.reps
    reps = widgets.IntSlider(value=today, min=1, max=MOST_REPS, step=1,
                             description=text("Reps", lang), continuous_update=False)
    prediction = widgets.Dropdown(
        options=[(NO_ANSWER, NO_ANSWER), (text("higher than today", lang), "higher"),
                 (text("lower than today", lang), "lower")],
        value=NO_ANSWER, description=text("The share will be", lang))

    def judge(answers: dict) -> Verdict:
        n = answers["reps"]
        if n == today:
            return Verdict(False, text("Choose a team size other than today’s {n} reps.",
                                       lang, n=today))
        yours = vary(scenario, {"team.reps": n}, source="your team size")
        runs = compare({"today": scenario, "yours": yours}, replications, workers=1)
        d = paired_difference(runs, "yours", "today", "lead_to_opportunity_rate")
        came_out = "higher" if d["difference"] > 0 else "lower"
        figures = {"n": n, "today": today, "after": f"{d['mean_a']:.1%}",
                   "before": f"{d['mean_b']:.1%}",
                   "change": f"{abs(d['difference']) * 100:.1f}",
                   "low": f"{d['ci_low'] * 100:+.1f}", "high": f"{d['ci_high'] * 100:+.1f}",
                   "runs": d["n"]}
        said = text("With {n} reps, {after} of leads became opportunities; with today’s "
                    "{today}, {before}: {change} points higher (95% confidence interval "
                    "{low} to {high} points, {runs} simulated years each)."
                    if came_out == "higher" else
                    "With {n} reps, {after} of leads became opportunities; with today’s "
                    "{today}, {before}: {change} points lower (95% confidence interval "
                    "{low} to {high} points, {runs} simulated years each).", lang, **figures)
        if d["ci_low"] <= 0 <= d["ci_high"]:
            said += " " + text("The interval includes zero: chance alone could explain "
                               "this difference.", lang)
        return Verdict(came_out == answers["prediction"], said)

    question = text("Today the team has {n} reps. Choose another team size and predict: "
                    "will the <b>share of leads that become opportunities</b> be higher or "
                    "lower?", lang, n=today)
    fewer = max(1, today - 2)
    return Exercise(question, {"reps": reps, "prediction": prediction}, judge, hint,
                    right={"reps": fewer, "prediction": "lower"},
                    wrong={"reps": fewer, "prediction": "higher"}, lang=lang)


PANELS = {"leads": (leads_panel, "baseline")}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""
