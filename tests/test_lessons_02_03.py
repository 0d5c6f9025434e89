"""The package side of lessons 02 and 03: the plan beside the run (chance to advance, the
cycle's parts), their figures, and the "set this, predict up/down/same" exercises judged
by a paired comparison."""

import math

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, simulate, vary
from sim.analysis.diagnostics.capability import stage_conversion
from sim.analysis.plan_vs_run import (
    advance_plan_vs_run,
    cycle_plan_vs_run,
    drop_out_metrics,
    planned_cycle_parts,
)
from sim.experiments.paired import direction
from sim.presentation.panels.cycle import neglect_cost, reps_velocity_exercise, team_velocity
from sim.presentation.panels.predictions import paired_prediction
from sim.presentation.panels.stages import win_rate_exercise
from sim.presentation.plots.cycle import cycle_chart
from sim.presentation.plots.stages import advance_chart, every_deal_chart
from sim.presentation.widgets import Slider
from sim.scenario.shipped import load_shipped

SHORT = {"horizon_days": 190, "warmup_days": 60}
"""Half a year after two months' warm-up: long enough for every stage to see decisions."""


@pytest.fixture(scope="module")
def short_run():
    return simulate(vary(load_shipped("baseline")[0], SHORT))


def test_advance_plan_vs_run_sets_the_plan_beside_the_teams_decisions(short_run):
    table = advance_plan_vs_run(short_run)
    sc = short_run.scenario
    assert list(table["stage"]) == [s.name for s in sc.stages]
    assert np.allclose(table["planned"], sc.advance_rates())
    assert table["planned"].iloc[1] == pytest.approx(0.35 / 0.55)
    team = stage_conversion(short_run).query("rep == 'team'")
    assert list(table["decided"]) == list(team["decided"])
    assert np.allclose(table["seen"], team["conversion_rate"])
    metrics = drop_out_metrics(short_run)
    assert metrics["win_rate"] == short_run.kpis()["win_rate"]
    assert metrics["moved on from Proposal & quote"] == table["seen"].iloc[2]


@pytest.mark.slow
def test_the_simulated_deals_move_on_as_the_win_rates_say():
    """Pooled over three full years, each stage's share of deals that moved on is within
    0.06 of w[k] / w[k+1]: with 400+ decisions per stage the standard deviation of a
    share near 0.7 is at most 0.023, so 0.06 is more than two and a half of them."""
    sc = load_scenario("scenarios/baseline.toml")
    tables = [advance_plan_vs_run(simulate(sc, replication=r)) for r in range(3)]
    decided = sum(t["decided"] for t in tables)
    moved = sum(t["decided"] * t["seen"] for t in tables)
    assert (decided >= 400).all()
    assert ((moved / decided - tables[0]["planned"]).abs() < 0.06).all()


@pytest.mark.parametrize("name", ["three_stages", "baseline", "seven_stages", "course_zh"])
def test_the_planned_parts_add_up_to_the_typical_cycle(name):
    sc = load_shipped(name)[0]
    plan = planned_cycle_parts(sc)
    assert list(plan["part"]) == ["design", "procurement", "transaction"]
    assert plan["planned_days"].sum() == pytest.approx(sc.typical_cycle_days)


def test_a_stage_without_a_part_is_planned_as_untagged():
    sc = vary(load_shipped("baseline")[0], {"stages[3].cycle_part": None})
    plan = planned_cycle_parts(sc).set_index("part")["planned_days"]
    assert list(plan.index) == ["design", "procurement", "untagged"]
    assert plan["untagged"] == pytest.approx(6 / 6 + 22)  # 6 work hours at 6 a day, 22 days


def test_the_won_deals_selling_parts_add_up_to_their_cycle(short_run):
    cycle = cycle_plan_vs_run(short_run).set_index("part")
    assert list(cycle.index) == ["design", "procurement", "transaction", "collection"]
    assert math.isnan(cycle.loc["collection", "planned_days"])
    selling = cycle.loc[["design", "procurement", "transaction"], "actual_days"].sum()
    assert selling == pytest.approx(short_run.kpis()["avg_cycle_days"])
    assert cycle.loc["design", "deals"] == short_run.kpis()["won"]  # won in the period
    assert 0 < cycle.loc["collection", "deals"] <= cycle.loc["design", "deals"]


def test_direction_reads_the_interval_of_a_paired_difference():
    assert direction({"ci_low": 0.001, "ci_high": 0.3}) == "higher"
    assert direction({"ci_low": -0.3, "ci_high": -0.001}) == "lower"
    assert direction({"ci_low": -0.1, "ci_high": 0.2}) == "unclear"
    assert direction({"ci_low": 0.0, "ci_high": 0.0}) == "unclear"  # the same setting


def test_the_win_rate_exercise_calls_the_overall_win_rate_unchanged():
    """A later stage's win rate does not change a new deal's chance to be won (w[0]): on
    three paired half-years, the 95% interval of the difference includes zero."""
    ex = win_rate_exercise(vary(load_shipped("baseline")[0], {"horizon_days": 190}), "Q?",
                           "hint", replications=3, lang="en")
    assert ex.answer_with(ex.samples["right"]).right
    assert not ex.answer_with(ex.samples["wrong"]).right
    assert "it stays the same, up to luck" in ex.result.value


def test_an_impossible_setting_is_explained_not_judged():
    ex = win_rate_exercise(vary(load_shipped("baseline")[0], {"horizon_days": 190}), "Q?",
                           "hint", replications=2, lang="en")
    assert ex.answer_with({"setting": 0.9, "prediction": "higher"}) is None
    assert "win_rate" in ex.result.value  # the rule the setting broke, in plain words


def test_fewer_reps_slow_the_funnel_down():
    ex = reps_velocity_exercise(vary(load_shipped("baseline")[0], {"horizon_days": 190}),
                                "Q?", "hint", replications=3, lang="zh")
    verdict = ex.answer_with({"setting": 2, "prediction": "lower"})
    assert verdict.right and "下降" in verdict.message
    assert ex.controls["prediction"].description == "你的预测"


def test_a_prediction_exercise_checks_its_slider_against_the_schema():
    with pytest.raises(ValueError, match="does not fit"):
        paired_prediction("Q?", "hint", load_shipped("baseline")[0],
                          Slider("team.reps", "Reps", 0, 10, 1, integer=True),
                          metrics=team_velocity, metric="velocity", metric_label="v",
                          shown=str, replications=2, right={}, wrong={})


def test_neglect_costs_deals_when_customers_lose_interest_fast():
    """Two reps and a five-day rot limit on every stage: the engine decays a waiting deal's
    chance, and some deals are lost to neglect (none with the usual 30 days)."""
    base = vary(load_shipped("baseline")[0], {**SHORT, "team.reps": 2})
    impatient = vary(base, {f"stages[{k}].rot_days": 5 for k in range(4)})
    patient, hurried = neglect_cost(simulate(base)), neglect_cost(simulate(impatient))
    assert patient["lost to neglect"] == 0
    assert hurried["lost to neglect"] > 0 and hurried["amount lost to neglect"] > 0
    assert set(patient) == {"lost to neglect", "amount lost to neglect", "bookings",
                            "velocity per day"}


def test_the_lessons_figures_draw_their_tables(short_run):
    fig = advance_chart(short_run)
    assert len(fig.axes[0].patches) == 2 * len(short_run.scenario.stages)
    fig = cycle_chart(short_run)
    assert len(fig.axes[0].patches) == 2 * 4  # plan and won deals, four parts each
    fig = every_deal_chart(short_run)
    assert [ax.get_title() for ax in fig.axes] == ["Every deal: count",
                                                   "Every deal: amount (USD)"]
    counts = sorted(p.get_width() for p in fig.axes[0].patches)
    every = short_run.opportunities.groupby("stage_index").size()
    assert counts == sorted(float(c) for c in every)


def test_the_figures_speak_chinese(short_run):
    zh = vary(short_run.scenario, {"language": "zh"})
    run = simulate(zh)
    texts = [t.get_text() for t in cycle_chart(run).findobj(lambda a: hasattr(a, "get_text"))]
    assert "设计时间" in texts and "赢单" in texts
    titles = [ax.get_title() for ax in every_deal_chart(run).axes]
    assert titles[0] == "所有机会：数量"
    legend = [t.get_text() for t in advance_chart(run).axes[0].get_legend().get_texts()]
    assert legend == ["计划：w[k] / w[k+1]", "本次运行所见"]
    assert isinstance(advance_plan_vs_run(run), pd.DataFrame)
