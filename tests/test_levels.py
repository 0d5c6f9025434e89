"""Miller Heiman levels over time, on hand-built histories and on a real run."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, vary
from sim.analysis.levels import (
    LEVEL_COLUMNS,
    level_stock,
    team_level_stock,
    time_by_level,
    work_levels,
)
from sim.experiments.runner import simulate
from sim.scenario.distributions import Fixed
from sim.scenario.schema import Scenario, Stage


def _scenario():
    # two stages of 10 fixed decision days and 6 work hours at 6 h/day: the normal
    # cycle is 2 x (1 + 10) = 22 days, so Best Few means "closing within 11 days"
    stages = [Stage(name="A", win_rate=0.3, work_hours=6, decision_days=Fixed(value=10)),
              Stage(name="B", win_rate=0.6, work_hours=6, decision_days=Fixed(value=10))]
    return Scenario(stages=stages, warmup_days=0, horizon_days=40,
                    team={"reps": 1, "hours_per_day": 6},
                    post_sale={"work_hours": 2})


def _result():
    sc = _scenario()
    leads = pd.DataFrame({"lead_id": [0, 1], "owner": ["Rep 1"] * 2,
                          "created_day": [0.0, 5.0], "closed_day": [3.0, np.nan]})
    opps = pd.DataFrame({"opportunity_id": [0], "owner": ["Rep 1"], "status": ["won"],
                         "closed_day": [30.0], "amount": [1000.0]})
    # stage A entered day 3 (expect close day 25), stage B entered day 14 (expect day 25)
    hist = pd.DataFrame({"opportunity_id": [0, 0], "stage_index": [0, 1],
                         "owner": ["Rep 1"] * 2, "entered_day": [3.0, 14.0],
                         "cycle_close_day": [25.0, 25.0], "decided_day": [14.0, 30.0]})
    return SimpleNamespace(scenario=sc, leads=leads, opportunities=opps, stage_history=hist,
                           handover_days=pd.Series({0: 33.0}), rep_names=["Rep 1"])


def test_levels_on_a_hand_built_history():
    stock = level_stock(_result(), step_days=1.0).set_index("day")
    row = stock.loc
    assert row[2.0, "above_funnel"] == 1          # lead 0 unverified until day 3
    assert row[3.0, "above_funnel"] == 0          # lead 1 not there yet
    assert row[6.0, "above_funnel"] == 1          # lead 1 never verified
    assert row[3.0, "in_funnel"] == 1             # stage A: win rate 0.3 < 0.5
    assert row[13.0, "in_funnel"] == 1
    assert row[14.0, "in_funnel"] == 0 and row[14.0, "best_few"] == 1  # B: 11 days left
    assert row[29.0, "best_few"] == 1             # slipped past day 25, still tracking
    assert row[30.0, "best_few"] == 0 and row[30.0, "orders"] == 1     # won day 30
    assert row[32.0, "orders"] == 1 and row[33.0, "orders"] == 0       # post-sale done


def test_best_few_needs_the_close_to_be_near():
    res = _result()
    res.stage_history.loc[1, "cycle_close_day"] = 25.01 + 0.0  # 11.01 days from day 14
    stock = level_stock(res, step_days=1.0).set_index("day")
    assert stock.loc[14.0, "best_few"] == 0 and stock.loc[14.0, "in_funnel"] == 1
    assert stock.loc[15.0, "best_few"] == 1  # a day later it is within reach


@pytest.fixture(scope="module")
def run():
    sc = Scenario(horizon_days=120, warmup_days=60, seed=11, post_sale={"work_hours": 3},
                  policy={"name": "miller_heiman"})
    return simulate(sc)


def test_level_stock_of_a_run_adds_up(run):
    stock = level_stock(run, step_days=7.0)
    team = team_level_stock(stock)
    assert len(stock) == len(team) * len(run.rep_names)
    # every tracking opportunity is either In the Funnel or Best Few
    opps = run.opportunities
    for day in team["day"].iloc[::4]:
        tracking = ((opps["created_day"] <= day)
                    & ~(opps["closed_day"] <= day)).sum()
        at = team.set_index("day").loc[day]
        assert at["in_funnel"] + at["best_few"] == tracking
    assert team["best_few"].sum() > 0 and team["orders"].sum() > 0


def test_time_by_level_shares_sum_to_one(run):
    t = time_by_level(run)
    assert list(t["share"].columns) == LEVEL_COLUMNS
    assert np.allclose(t["share"].sum(axis=1), 1.0)
    assert t.loc["team", ("hours", "above_funnel")] > 0
    assert t.loc["team", ("hours", "orders")] > 0
    # the rep_time table carries the level of every task
    assert set(run.rep_time["level"]) <= set(LEVEL_COLUMNS)


def _closing_first(task, rep, now):
    """A notebook-style policy key: the latest stage first."""
    return -task.stage


@pytest.mark.parametrize("policy", ["fifo", "classic", "close_first", "miller_heiman",
                                    "custom", "python key"])
def test_levels_the_engine_used_are_the_levels_the_analysis_recomputes(policy):
    # the engine decides each task's level when a rep starts it; the analysis rebuilds it
    # from the stage history with the same rules: they must agree on every row
    sc = vary(load_scenario("scenarios/roller_coaster.toml"), {"horizon_days": 240})
    if policy == "custom":
        sc = vary(sc, {"policy": {"name": "custom", "order": [
            "in_funnel", "best_few", "orders", "above_funnel"]}})
    elif policy != "python key":
        sc = vary(sc, {"policy": {"name": policy}})
    result = simulate(sc, 2, policy=_closing_first if policy == "python key" else None)
    recomputed = work_levels(result)
    engine = result.rep_time["level"]
    assert len(engine) > 500 and set(engine) == {"above_funnel", "in_funnel", "best_few",
                                                 "orders"}
    pd.testing.assert_series_equal(recomputed, engine, check_names=False)
