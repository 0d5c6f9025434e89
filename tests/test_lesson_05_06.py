"""Lessons 05 and 06: the swing of a win rate, wrong beliefs, paired tables, the figures and
the set-and-predict exercises their pages show."""

import math

import numpy as np
import pandas as pd
import pytest

from sim import compare, simulate, vary
from sim.analysis.classic_limits import (
    chance_of_no_win,
    forecast_figures,
    rep_win_rates,
    shifted_win_rates,
    swing_table,
    win_rate_sd,
    win_rate_swing,
    win_rates_by_rep,
)
from sim.analysis.levels import level_stock
from sim.experiments.paired import direction, paired_table
from sim.experiments.runner import kpis_and_swings
from sim.presentation.panels.classic import TRUE_RATES, belief_exercise
from sim.presentation.panels.miller_heiman import (
    CLOSING_LIMIT_HOURS,
    MILLER_HEIMAN,
    ORDERS,
    order_exercise,
    way_of_working,
)
from sim.presentation.plots import bookings_data
from sim.presentation.plots.rep_rates import plot_rep_win_rates
from sim.presentation.plots.roller_coaster import (
    plot_bookings_side_by_side,
    plot_prospecting_hours,
    plot_roller_coaster,
)
from sim.scenario.shipped import load_shipped

SHORT = {"horizon_days": 182, "warmup_days": 60}


@pytest.fixture(scope="module")
def baseline():
    return vary(load_shipped("baseline")[0], SHORT)


@pytest.fixture(scope="module")
def baseline_run(baseline):
    return simulate(baseline)


# --- the swing of a win rate ---------------------------------------------------------------

def test_the_swing_follows_the_binomial_law():
    # n deals at chance p: wins have mean n p and variance n p (1 - p)
    assert win_rate_swing(4, 0.25) == pytest.approx(math.sqrt(0.75 / 1.0))
    assert win_rate_sd(100, 0.25) == pytest.approx(math.sqrt(0.25 * 0.75 / 100))
    assert chance_of_no_win(4, 0.25) == pytest.approx(0.75 ** 4)
    # four times the deals, half the swing, for any p
    n = np.array([10, 40, 160])
    assert np.allclose(win_rate_swing(n, 0.4)[1:] / win_rate_swing(n, 0.4)[:-1], 0.5)
    assert win_rate_swing(7, 1.0) == 0.0  # a sure win never swings
    for bad in [(0, 0.5), (10, 0.0), (10, 1.2)]:
        with pytest.raises(ValueError, match="deals >= 1 and 0 < win_rate <= 1"):
            win_rate_swing(*bad)


def test_the_swing_matches_binomial_draws():
    # 20,000 binomial samples: the SD of the rate seen is within 3% of the formula (the
    # relative standard error of an SD from 20,000 draws is about 1/sqrt(2 * 20,000) = 0.5%)
    rng = np.random.default_rng(5)
    seen = rng.binomial(30, 0.25, size=20_000) / 30
    assert seen.std() == pytest.approx(win_rate_sd(30, 0.25), rel=0.03)


def test_the_swing_table_reads_top_to_bottom():
    table = swing_table(0.25, [4, 16, 64])
    assert list(table.columns) == ["deals", "expected wins", "relative swing",
                                   "win rate seen: typical miss", "chance of winning none"]
    assert table["expected wins"].tolist() == [1.0, 4.0, 16.0]
    assert np.allclose(table["relative swing"], [0.866025, 0.433013, 0.216506])
    assert table["chance of winning none"].is_monotonic_decreasing


def test_each_rep_s_win_rate_and_the_team_s_add_up(baseline_run):
    rates = rep_win_rates(baseline_run)
    reps = rates.drop(index="team")
    assert list(reps.index) == list(baseline_run.rep_names)
    assert rates.loc["team", "decided"] == reps["decided"].sum()
    assert rates.loc["team", "won"] == reps["won"].sum()
    assert np.allclose(rates["win_rate"], rates["won"] / rates["decided"])
    k = baseline_run.kpis()
    assert rates.loc["team", "won"] == k["won"]
    assert rates.loc["team", "win_rate"] == pytest.approx(k["win_rate"])
    assert np.allclose(rates["chance_sd"],
                       win_rate_sd(rates["decided"], rates.loc["team", "win_rate"]))
    assert win_rates_by_rep(baseline_run) == pytest.approx(rates["win_rate"].to_dict())


def test_a_rep_s_rate_swings_more_than_the_team_s_over_years(baseline):
    # 12 short years of 5 identical reps: one rep decides a fifth of the team's deals, so its
    # rate's SD should be about sqrt(5) = 2.2 times the team's; the SDs of 12 draws are known
    # within about 20%, so "above 1.3 times" leaves a wide margin
    years = compare({"b": baseline}, 12, metrics=win_rates_by_rep, workers=1)
    sd = years.drop(columns=["scenario", "replication"]).std()
    assert sd.drop("team").mean() > 1.3 * sd["team"]


# --- wrong beliefs --------------------------------------------------------------------------

def test_a_shifted_belief_stays_a_set_of_chances():
    assert shifted_win_rates([0.25, 0.35, 0.55, 0.75], 0.1) == [0.35, 0.45, 0.65, 0.85]
    assert shifted_win_rates([0.05, 0.5, 0.95], -0.1) == [0.0, 0.4, 0.85]
    assert shifted_win_rates([0.5, 0.95], 0.1) == [0.6, 1.0]


def test_a_rosy_belief_raises_the_forecast_not_the_sales(baseline):
    rosy = vary(baseline, {"forecast.assumed_win_rates": shifted_win_rates(
        baseline.win_rates, 0.1)})
    true, high = forecast_figures(simulate(baseline)), forecast_figures(simulate(rosy))
    assert set(true) == {"bias_at_start_pct", "bias_30_days_before_end_pct",
                         "believed_chance_of_quota", "periods_at_quota"}
    assert high["bias_at_start_pct"] > true["bias_at_start_pct"]
    assert high["believed_chance_of_quota"] > true["believed_chance_of_quota"]
    assert high["periods_at_quota"] == true["periods_at_quota"]  # the same deals were won


# --- reading a paired comparison ------------------------------------------------------------

def test_direction_reads_the_interval():
    assert direction({"ci_low": 0.1, "ci_high": 0.3}) == "higher"
    assert direction({"ci_low": -0.3, "ci_high": -0.1}) == "lower"
    assert direction({"ci_low": -0.3, "ci_high": 0.1}) == "unclear"
    assert direction({"ci_low": 0.0, "ci_high": 0.0}) == "unclear"  # no difference at all
    assert direction({"ci_low": math.nan, "ci_high": math.nan}) == "unclear"


def test_a_paired_table_gives_one_row_per_measure():
    frame = pd.DataFrame({
        "scenario": ["a"] * 3 + ["b"] * 3, "replication": [0, 1, 2] * 2,
        "x": [10.0, 12.0, 14.0, 9.0, 11.0, 13.0],   # a - b = 1 every time
        "y": [1.0, 2.0, 3.0, 3.0, 1.0, 2.0],        # a - b = -2, 1, 1
    })
    table = paired_table(frame, "a", "b", {"x": "the x", "y": "the y"})
    assert list(table.index) == ["the x", "the y"]
    assert list(table.columns) == ["a", "b", "difference", "ci_low", "ci_high", "direction"]
    assert table.loc["the x", "difference"] == pytest.approx(1.0)
    assert table.loc["the x", "direction"] == "higher"  # the same +1 each time: (1, 1)
    assert table.loc["the y", "direction"] == "unclear"
    assert table.loc["the y", "a"] == pytest.approx(2.0)
    assert list(paired_table(frame, "a", "b", ["x"]).index) == ["x"]


# --- the figures ----------------------------------------------------------------------------

def test_the_rep_figure_draws_a_band_and_a_dot_per_row(baseline_run):
    rates = rep_win_rates(baseline_run)
    fig = plot_rep_win_rates(rates, lang="zh")
    ax = fig.axes[0]
    bands = [p for p in ax.patches]
    assert len(bands) == len(rates)
    team = rates.loc["team"]
    assert bands[-1].get_width() == pytest.approx(2 * 1.96 * team["chance_sd"] * 100)
    dots = ax.get_lines()[0]
    assert np.allclose(dots.get_xdata(), rates["win_rate"] * 100)
    assert "团队" in [t.get_text() for t in ax.get_yticklabels()]


@pytest.fixture(scope="module")
def coaster():
    return vary(load_shipped("roller_coaster")[0], {"horizon_days": 365, "warmup_days": 120})


def test_the_roller_coaster_figure_shows_each_rep_and_the_quarters(coaster):
    run = simulate(coaster)
    fig = plot_roller_coaster(level_stock(run, 7.0), bookings_data(run, "quarter"),
                              currency="USD", lang="zh")
    assert len(fig.axes) == len(run.rep_names) + 1
    assert len(fig.axes[0].get_lines()) == 4  # the four levels
    bars = fig.axes[-1].patches
    assert [b.get_height() for b in bars] == pytest.approx(
        bookings_data(run, "quarter")["bookings"].tolist())
    hours = pd.DataFrame({"a": [1.0, 0.0, 3.0], "b": [2.0, 2.0, 2.0]}, index=[0.0, 28, 56])
    assert len(plot_prospecting_hours(hours).axes[0].get_lines()) == 2
    quarters = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]},
                            index=pd.to_datetime(["2026-01-01", "2026-04-01"]))
    assert len(plot_bookings_side_by_side(quarters).axes[0].patches) == 4


# --- the exercises ----------------------------------------------------------------------------

def test_the_belief_exercise_judges_with_the_paired_interval(baseline):
    runs = compare({TRUE_RATES: baseline}, 3, metrics=forecast_figures, workers=1)
    ex = belief_exercise(baseline, runs, 3, question="?", hint="h", lang="en")
    assert ex.answer_with(ex.samples["right"]).right
    assert not ex.answer_with(ex.samples["wrong"]).right
    assert "paired difference of +" in ex.result.value
    # the true rates themselves: no difference at all, "about the same"
    assert ex.answer_with({"shift": 0, "prediction": "unclear"}).right
    assert ex.answer_with({"shift": -10, "prediction": "lower"}).right
    assert ex.controls["shift"].description == "Belief: points above the true win rates"


def test_miller_heiman_s_order_as_a_custom_policy_reproduces_miller_heiman(coaster):
    # common random numbers: the same order and closing limit give the same run
    mine = way_of_working(coaster, "miller_heiman")
    assert mine.policy.name == "custom" and mine.policy.effort_cap_hours == CLOSING_LIMIT_HOURS
    assert way_of_working(coaster, "no_limit").policy.effort_cap_hours is None
    assert simulate(mine).kpis() == simulate(coaster).kpis()
    assert set(ORDERS) >= {"middle_first", "miller_heiman", "no_limit"}


@pytest.mark.slow
def test_the_order_exercise_reads_prospecting_and_bookings_from_the_intervals(coaster):
    runs = compare({MILLER_HEIMAN: coaster}, 3, metrics=kpis_and_swings, workers=1)
    ex = order_exercise(coaster, runs, 3, question="?", hint="h", lang="en")
    assert ex.answer_with(ex.samples["right"]).right
    assert not ex.answer_with(ex.samples["wrong"]).right
    same = {"order": "miller_heiman", "prospecting": "no clear difference",
            "bookings": "no clear difference"}
    assert ex.answer_with(same).right  # every difference is zero
    # without the limit on closing effort the roller-coaster comes back: on 3 one-year
    # replications the prospecting swing rises from about 0.15 to 1.0 and bookings halve,
    # with intervals far from zero (lesson 06's fair test shows the same on 10 two-year ones)
    assert ex.answer_with({"order": "no_limit", "prospecting": "more erratic",
                           "bookings": "fewer"}).right
    assert "Over 3 paired replications" in ex.result.value
    assert "→" in ex.controls["order"].options[1][0]
