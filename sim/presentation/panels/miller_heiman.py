"""Lesson 06's panels: Miller Heiman and the roller-coaster.

- :func:`roller_coaster_panel`: the policy and the prospecting target; each rep's levels
  and the team's bookings per quarter over one simulated year (:data:`PANEL_YEAR`);
- :func:`order_exercise`: the learner picks an order of the four levels (or Miller
  Heiman's order without its limit on closing effort) and predicts whether prospecting
  gets steadier or more erratic, and bookings more or fewer, than with Miller Heiman; the
  judge runs that way of working on the lesson's replications (paired by seed) and reads
  the 95% intervals.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from sim.analysis import volatility
from sim.analysis.levels import level_stock
from sim.experiments.paired import direction
from sim.experiments.runner import compare, kpis_and_swings, paired_difference, simulate
from sim.presentation.exercises import NO_ANSWER, Exercise, Verdict
from sim.presentation.i18n import text
from sim.presentation.plots import LEVEL_LABELS, bookings_data
from sim.presentation.plots.roller_coaster import plot_roller_coaster
from sim.presentation.widgets import Choice, Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

PANEL_YEAR = {"horizon_days": 365.0, "warmup_days": 120.0}
"""The roller-coaster panel simulates one year after a four-month warm-up, whatever the
lesson's scenario says: long enough for a sales cycle to swing a few times, short enough
to answer a move in about a second (at the highest prospecting targets the reps' task
lists grow long and a two-year run took several seconds)."""


def roller_coaster_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 06's panel: the policy and the prospecting target; shows each rep's four
    levels over one simulated year (:data:`PANEL_YEAR`) over the team's bookings per
    quarter, in one light figure (:func:`~sim.presentation.plots.roller_coaster.
    plot_roller_coaster`), and a line with total bookings, the swing of prospecting hours
    and the deals lost to neglect."""
    lang = lang or lesson_language(scenario)

    def show(run) -> None:
        k = run.kpis()
        hours = volatility.prospecting_hours(run)
        swing = sum(volatility.cv(hours[rep]) for rep in hours) / max(1, hours.shape[1])
        print(text("total bookings {bookings} {currency} | swing of prospecting hours "
                   "{swing} | deals lost to neglect {neglect}", lang,
                   bookings=f"{k['bookings']:,.0f}", currency=run.scenario.currency,
                   swing=f"{swing:.2f}", neglect=k["lost_to_neglect"]))
        draw(plot_roller_coaster(level_stock(run, 7.0), bookings_data(run, "quarter"),
                                 currency=run.scenario.currency, lang=lang))

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


MILLER_HEIMAN = "Miller Heiman"
"""The label of the lesson's Miller Heiman runs (the order exercise's reference)."""

ORDERS = {
    "middle_first": ("best_few", "in_funnel", "above_funnel", "orders"),
    "miller_heiman": ("best_few", "above_funnel", "in_funnel", "orders"),
    "prospect_first": ("above_funnel", "best_few", "in_funnel", "orders"),
    "prospect_last": ("best_few", "in_funnel", "orders", "above_funnel"),
    "no_limit": ("best_few", "above_funnel", "in_funnel", "orders"),
}
"""The ways of working the order exercise offers: an order of the four levels; every one
keeps Miller Heiman's limit on closing effort but ``no_limit``, Miller Heiman's order
with no limit (a Best Few deal absorbs as many hours as the customer will take)."""

CLOSING_LIMIT_HOURS = 4.0
"""Extra closing hours a Best Few deal may get per stage under the orders with a limit:
what closing needs in the roller-coaster scenario, as its Miller Heiman policy gives."""


def way_of_working(scenario: Scenario, key: str) -> Scenario:
    """``scenario`` with the reps working in :data:`ORDERS`' order ``key`` (a custom
    policy; the limit on closing effort as described there)."""
    return vary(scenario, {"policy.name": "custom", "policy.order": list(ORDERS[key]),
                           "policy.effort_cap_hours": None if key == "no_limit"
                           else CLOSING_LIMIT_HOURS}, source="your way of working")


def _order_label(key: str, lang: str) -> str:
    arrow = " → ".join(text(LEVEL_LABELS[level], lang) for level in ORDERS[key])
    if key == "no_limit":
        return text("{order}, with no limit on closing effort", lang, order=arrow)
    return arrow


PROSPECTING_WORDS = {"lower": "steadier", "higher": "more erratic",
                     "unclear": "no clear difference"}
BOOKINGS_WORDS = {"higher": "more", "lower": "fewer", "unclear": "no clear difference"}
"""What the 95% interval of a paired difference (way of working minus Miller Heiman) says
of the swing of prospecting hours and of total bookings, in the exercise's words."""


def order_exercise(scenario: Scenario, miller_heiman_runs: pd.DataFrame, replications,
                   *, question: str, hint: str, sample: str = "middle_first",
                   workers: int | None = 1, lang: str | None = None) -> Exercise:
    """Pick a way of working (:data:`ORDERS`), predict prospecting and bookings.

    Parameters
    ----------
    scenario : Scenario
        The lesson's scenario (its policy is Miller Heiman's).
    miller_heiman_runs : DataFrame
        Rows of :func:`~sim.experiments.runner.compare` with
        :func:`~sim.experiments.runner.kpis_and_swings` for ``scenario``, labelled
        :data:`MILLER_HEIMAN` (other labels are ignored).
    replications : int or list of int
        The replications those rows ran: the judge runs the learner's way of working on
        the same ones (paired by seed, common random numbers).
    question, hint : str
        The lesson's words.
    sample : str
        The way of working the lesson tests answer with; it is run here, so that the
        right answer is the model's (and a learner who picks it gets a verdict at once).
    workers : int, optional
        Processes for the judge's runs.
    """
    lang = lang or lesson_language(scenario)
    reference = miller_heiman_runs[miller_heiman_runs["scenario"] == MILLER_HEIMAN]
    order = widgets.Dropdown(
        options=[(NO_ANSWER, NO_ANSWER), *((_order_label(k, lang), k) for k in ORDERS)],
        value=NO_ANSWER, description=text("Way of working", lang))
    order.layout.width = "760px"
    prospecting = widgets.Dropdown(
        options=[(NO_ANSWER, NO_ANSWER), *((text(w, lang), w) for w in
                                           PROSPECTING_WORDS.values())],
        value=NO_ANSWER, description=text("Prospecting hours, against Miller Heiman", lang))
    bookings = widgets.Dropdown(
        options=[(NO_ANSWER, NO_ANSWER), *((text(w, lang), w) for w in
                                           BOOKINGS_WORDS.values())],
        value=NO_ANSWER, description=text("Total bookings, against Miller Heiman", lang))
    seen: dict[str, dict] = {}

    def outcome(key: str) -> dict:
        if key not in seen:
            mine = compare({"yours": way_of_working(scenario, key)}, replications,
                           metrics=kpis_and_swings, workers=workers)
            both = pd.concat([reference, mine])
            seen[key] = {m: paired_difference(both, "yours", MILLER_HEIMAN, m)
                         for m in ("rep_prospecting_cv_4weeks", "bookings")}
        return seen[key]

    def truth(key: str) -> tuple[str, str]:
        d = outcome(key)
        return (PROSPECTING_WORDS[direction(d["rep_prospecting_cv_4weeks"])],
                BOOKINGS_WORDS[direction(d["bookings"])])

    def judge(answers: dict) -> Verdict:
        steadiness, more = truth(answers["order"])
        d = outcome(answers["order"])
        swing, booked = d["rep_prospecting_cv_4weeks"], d["bookings"]
        words = text("Over {n} paired replications: swing of each rep's prospecting hours "
                     "{mine} against {theirs} with Miller Heiman (95% interval of the "
                     "difference {low} to {high}): {steadiness}. Total bookings {booked} "
                     "against {mh} (interval {blow} to {bhigh}): {more}.", lang,
                     n=swing["n"], mine=f"{swing['mean_a']:.2f}",
                     theirs=f"{swing['mean_b']:.2f}", low=f"{swing['ci_low']:+.2f}",
                     high=f"{swing['ci_high']:+.2f}", steadiness=text(steadiness, lang),
                     booked=f"{booked['mean_a']:,.0f}", mh=f"{booked['mean_b']:,.0f}",
                     blow=f"{booked['ci_low']:+,.0f}", bhigh=f"{booked['ci_high']:+,.0f}",
                     more=text(more, lang))
        right = (answers["prospecting"], answers["bookings"]) == (steadiness, more)
        return Verdict(right, words)

    steadiness, more = truth(sample)
    wrong = next(w for w in PROSPECTING_WORDS.values() if w != steadiness)
    return Exercise(question, {"order": order, "prospecting": prospecting,
                               "bookings": bookings}, judge, hint,
                    right={"order": sample, "prospecting": steadiness, "bookings": more},
                    wrong={"order": sample, "prospecting": wrong, "bookings": more},
                    lang=lang)
