"""Lesson 05: the limits of the classic funnel: its panel and its set-and-predict exercise.

- :func:`rep_vs_team_panel`: team size and the length of the results period; shows each
  rep's win rate against the team's, and where luck alone would put it;
- :func:`belief_exercise`: the learner sets how many points too high (or low) the manager
  believes the stage win rates are, and predicts what that does to the forecast made on
  each quarter's first day; the judge runs the belief on the lesson's replications and
  reads the 95% interval of the paired difference.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from sim.analysis.classic_limits import (
    forecast_figures,
    rep_win_rates,
    shifted_win_rates,
    win_rate_sd,
)
from sim.experiments.paired import direction
from sim.experiments.runner import compare, paired_difference
from sim.presentation.exercises import NO_ANSWER, Exercise, Verdict
from sim.presentation.i18n import text
from sim.presentation.plots.rep_rates import LUCK_Z, plot_rep_win_rates
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary


def _points(rate: float) -> str:
    return f"±{100 * LUCK_Z * rate:.0f}"


def rep_vs_team_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 05's panel: the number of reps and the days of the results period; shows each
    rep's win rate against the team's (:func:`sim.presentation.plots.rep_rates.
    plot_rep_win_rates`) and a line with the team's rate, the reps' range and how far luck
    alone moves each (95%)."""
    lang = lang or lesson_language(scenario)

    def show(run) -> None:
        rates = rep_win_rates(run)
        reps = rates.drop(index="team")
        team = rates.loc["team"]
        per_rep = max(1, round(float(reps["decided"].mean())))
        chance = (win_rate_sd(per_rep, team["win_rate"])
                  if team["win_rate"] > 0 else float("nan"))
        print(text("team: win rate {team} over {n} deals (luck alone: {team_luck} points) | "
                   "reps: from {low} to {high}, about {per_rep} deals each (luck alone: "
                   "{rep_luck} points)", lang,
                   team=f"{team['win_rate']:.0%}", n=f"{int(team['decided']):,}",
                   team_luck=_points(team["chance_sd"]), low=f"{reps['win_rate'].min():.0%}",
                   high=f"{reps['win_rate'].max():.0%}", per_rep=f"{per_rep:,}",
                   rep_luck=_points(chance)))
        draw(plot_rep_win_rates(rates, lang=lang))

    return Panel(scenario, [
        Slider("team.reps", text("Reps", lang), 1, 20, 1, integer=True),
        Slider("horizon_days", text("Days in the results period", lang), 91, 728, 91,
               integer=True),
    ], show=show, lang=lang)


PANELS = {"rep_vs_team": (rep_vs_team_panel, "baseline")}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""


TRUE_RATES = "true win rates"
"""The label of the lesson's runs with the true win rates (the judge's reference)."""

PREDICTIONS = ("higher", "lower", "unclear")


def belief_exercise(scenario: Scenario, true_runs: pd.DataFrame, replications: int, *,
                    question: str, hint: str, workers: int | None = 1,
                    lang: str | None = None) -> Exercise:
    """Set a belief, predict the forecast's bias: a slider (points above the true win
    rates, -15..15) and a drop-down (the quarter-start forecast errs higher, lower, or
    about the same as with the true win rates).

    The judge runs the belief on the same ``replications`` as ``true_runs`` (rows of
    :func:`~sim.experiments.runner.compare` with :func:`~sim.analysis.classic_limits.
    forecast_figures` labelled :data:`TRUE_RATES`) and reads the 95% interval of the
    paired difference in ``bias_at_start_pct``: above zero is "higher", below "lower",
    zero inside it "about the same". Results are kept per belief.
    """
    lang = lang or lesson_language(scenario)
    shift = widgets.IntSlider(value=0, min=-15, max=15, step=1, continuous_update=False,
                              description=text("Belief: points above the true win rates",
                                               lang))
    prediction = widgets.Dropdown(
        options=[(NO_ANSWER, NO_ANSWER),
                 (text("it errs higher than with the true win rates", lang), "higher"),
                 (text("it errs lower than with the true win rates", lang), "lower"),
                 (text("about the same", lang), "unclear")],
        value=NO_ANSWER, description=text("The forecast on a quarter's first day", lang))
    seen: dict[int, dict] = {}

    def outcome(points: int) -> dict:
        if points not in seen:
            belief = vary(scenario, {"forecast.assumed_win_rates": shifted_win_rates(
                scenario.win_rates, points / 100)}, source="your belief")
            mine = compare({"your belief": belief}, replications,
                           metrics=forecast_figures, workers=workers)
            both = pd.concat([true_runs, mine])
            seen[points] = {m: paired_difference(both, "your belief", TRUE_RATES, m)
                            for m in ("bias_at_start_pct", "believed_chance_of_quota",
                                      "periods_at_quota")}
        return seen[points]

    def judge(answers: dict) -> Verdict:
        d = outcome(int(answers["shift"]))
        bias, chance = d["bias_at_start_pct"], d["believed_chance_of_quota"]
        said = direction(bias)
        words = text("With your belief the forecast made on each quarter's first day errs by "
                     "{mine}% on average, against {truth}% with the true win rates: a paired "
                     "difference of {diff} points (95% interval {low} to {high}) over {n} "
                     "replications. The manager believes the chance of making quota is "
                     "{believed}; the team made it in {made} of the quarters.", lang,
                     mine=f"{bias['mean_a']:+.1f}", truth=f"{bias['mean_b']:+.1f}",
                     diff=f"{bias['difference']:+.1f}", low=f"{bias['ci_low']:+.1f}",
                     high=f"{bias['ci_high']:+.1f}", n=bias["n"],
                     believed=f"{chance['mean_a']:.0%}",
                     made=f"{d['periods_at_quota']['mean_a']:.0%}")
        return Verdict(answers["prediction"] == said, words)

    return Exercise(question, {"shift": shift, "prediction": prediction}, judge, hint,
                    right={"shift": 5, "prediction": "higher"},
                    wrong={"shift": 5, "prediction": "lower"}, lang=lang)
