""""Set this, predict that" exercises judged by a paired comparison (lessons 02 and 03).

The learner sets one scenario field with a slider and predicts whether a figure of the
run goes up, goes down or stays the same. The judge runs today's scenario and the
learner's on the same replications (:func:`sim.experiments.runner.compare`), takes the
paired difference's 95% confidence interval
(:func:`sim.experiments.runner.paired_difference`), and calls the change up or down only
when that interval leaves out zero (:func:`sim.experiments.paired.direction`, the one home
of that rule); otherwise the two are the same up to luck.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from sim.experiments.paired import direction
from sim.experiments.runner import compare, paired_difference
from sim.presentation.exercises import NO_ANSWER, Exercise, Verdict
from sim.presentation.i18n import text
from sim.presentation.widgets import Slider, check_controls, lesson_language
from sim.scenario.schema import Scenario
from sim.scenario.variants import field_value, vary

DIRECTION_WORDS = {"higher": "it goes up", "lower": "it goes down",
                   "unclear": "it stays the same, up to luck"}
"""How a drop-down and a verdict say each :func:`~sim.experiments.paired.direction`
(catalogue keys)."""


def paired_prediction(question: str, hint: str, scenario: Scenario, setting: Slider, *,
                      metrics: Callable, metric: str, metric_label: str,
                      shown: Callable[[float], str], replications: int, right: dict,
                      wrong: dict, why: str = "", lang: str | None = None) -> Exercise:
    """An exercise: set ``setting`` (a slider), predict the direction of ``metric``.

    Parameters
    ----------
    question, hint, why : str
        The question, the hidden hint, and what is said after any verdict.
    scenario : Scenario
        Today's company; the slider starts at its value.
    setting : Slider
        The field the learner sets, with its range (checked against the schema).
    metrics : callable
        A module-level ``metrics(result) -> dict`` for :func:`compare`, with ``metric``
        among its keys.
    metric_label : str
        How the verdict names the metric (in the exercise's language).
    shown : callable
        Formats a value of the metric, e.g. ``"{:.1%}".format``.
    replications : int
        Paired replications the judge runs for each answer.
    right, wrong : dict
        ``{"setting": value, "prediction": direction}`` pairs the judge must call right
        and wrong (the lesson tests answer both).
    lang : {"en", "zh"}, optional
        The language of the controls and the verdict.
    """
    lang = lang or lesson_language(scenario)
    check_controls(scenario, [setting])
    today = field_value(scenario, setting.path)
    kind = widgets.IntSlider if setting.integer else widgets.FloatSlider
    slider = kind(value=today, min=setting.min, max=setting.max, step=setting.step,
                  description=setting.label, continuous_update=False)
    prediction = widgets.Dropdown(
        options=[(NO_ANSWER, NO_ANSWER),
                 *[(text(words, lang), d) for d, words in DIRECTION_WORDS.items()]],
        value=NO_ANSWER, description=text("Your prediction", lang))

    def judge(answers: dict) -> Verdict:
        yours = vary(scenario, {setting.path: answers["setting"]}, source="your setting")
        runs = compare({"today": scenario, "yours": yours}, replications, metrics=metrics,
                       workers=1)
        d = paired_difference(runs, "yours", "today", metric)
        came = direction(d)
        said = text("{metric}: {today} today, {yours} with your setting ({n} paired runs). "
                    "The 95% interval of the difference runs from {low} to {high}: {went}.",
                    lang, metric=metric_label, today=shown(d["mean_b"]),
                    yours=shown(d["mean_a"]), n=d["n"], low=shown(d["ci_low"]),
                    high=shown(d["ci_high"]), went=text(DIRECTION_WORDS[came], lang))
        return Verdict(came == answers["prediction"], said + (" " + why if why else ""))

    return Exercise(question, {"setting": slider, "prediction": prediction}, judge, hint,
                    right=right, wrong=wrong, lang=lang)
