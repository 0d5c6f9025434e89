"""The warm-up study: Welch's moving average by hand, weekly measures that add up to the
run's KPIs, an empty start that shows in the first weeks, the advice, and the command."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_cli import cli as run

from sim.analysis.warmup import (
    WARMUP_MEASURES,
    settling_point,
    warmup_table,
    week_edges,
    weekly_measures,
    welch_moving_average,
)
from sim.experiments.runner import simulate
from sim.experiments.warmup import warmup_study, weekly_runs
from sim.presentation.plots.experiments import plot_warmup
from sim.scenario.schema import Scenario
from sim.scenario.shipped import load_shipped
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "scenarios" / "three_stages.toml"


# -- Welch's moving average ---------------------------------------------------------------
def test_welch_by_hand():
    """w = 2 on 1, 2, 3, 4, 10, 6, 7, 8, 9 (Law's form):
    point 1: 1; point 2: (1+2+3)/3 = 2; point 3: (1+2+3+4+10)/5 = 4;
    point 4: (2+3+4+10+6)/5 = 5; point 5: (3+4+10+6+7)/5 = 6; point 6: 35/5 = 7;
    point 7: (10+6+7+8+9)/5 = 8; points 8 and 9 lack two values after them."""
    got = welch_moving_average([1, 2, 3, 4, 10, 6, 7, 8, 9], 2)
    assert got[:7].tolist() == [1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert np.isnan(got[7:]).all()


def test_welch_window_zero_is_the_series_and_a_bad_window_is_refused():
    assert welch_moving_average([3.0, 1.0, 2.0], 0).tolist() == [3.0, 1.0, 2.0]
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="window: must be a whole number"):
            welch_moving_average([1.0, 2.0], bad)


# -- weekly measures -------------------------------------------------------------------------
def test_weeks_run_from_the_start_of_the_warm_up():
    sc = vary(Scenario(), {"warmup_days": 21, "horizon_days": 30})
    assert week_edges(sc).tolist() == [-21, -14, -7, 0, 7, 14, 21, 28]


def test_weekly_measures_add_up_to_the_kpis():
    """Ten whole weeks cover the 70-day results period exactly (no warm-up): the weekly
    bookings and wins sum to the run's, the deals open at the last week's end are the
    run's open deals, and the mean weekly busy share is its utilisation."""
    sc = vary(load_shipped("baseline")[0], {"warmup_days": 0, "horizon_days": 70})
    result = simulate(sc, 3)
    weeks = weekly_measures(result)
    k = result.kpis()
    assert weeks["week"].tolist() == list(range(10))
    assert weeks["bookings"].sum() == pytest.approx(k["bookings"])
    assert weeks["won"].sum() == k["won"] > 0
    assert weeks["new_opportunities"].sum() == k["opportunities"]
    assert weeks["open_deals"].iloc[-1] == k["open"]
    assert weeks["rep_utilization"].mean() == pytest.approx(k["rep_utilization"])


def test_the_table_averages_replications_then_smooths():
    weekly = pd.DataFrame({"replication": [0, 0, 0, 1, 1, 1], "week": [0, 1, 2] * 2,
                           "start_day": [-14.0, -7.0, 0.0] * 2,
                           **{m: [0.0, 2.0, 4.0, 2.0, 4.0, 8.0] for m in WARMUP_MEASURES}})
    table = warmup_table(weekly, window=1, measures=["won"])
    assert table["mean"].tolist() == [1.0, 3.0, 6.0]
    assert table["welch"].tolist()[:2] == [1.0, (1 + 3 + 6) / 3]
    assert table["replications"].tolist() == [2, 2, 2]


def test_settling_point_by_hand():
    """Rises 0, 4, 8 then holds 10 for 9 weeks: the level (mean of the second half) is
    10, the band 10% of it (the smoothed curve does not move there), and the first week
    inside it is the first whose smoothed value is at least 9."""
    mean = [0, 4, 8] + [10] * 9
    table = pd.DataFrame({"measure": "open_deals", "week": range(12),
                          "start_day": np.arange(12) * 7.0 - 21, "replications": 5,
                          "mean": mean, "welch": welch_moving_average(mean, 1)})
    # smoothed: 0, 4, (4+8+10)/3 = 7.33, (8+10+10)/3 = 9.33, 10, ...
    advice = settling_point(table, "open_deals", tolerance=0.1)
    assert advice["level"] == 10 and advice["band"] == pytest.approx(1.0)
    assert advice["week"] == 3 and advice["start_day"] == 0 and advice["run_days"] == 21
    assert advice["first"] == 0


def test_a_curve_that_never_settles_gets_no_week():
    mean = [0.0, 10.0] * 6 + [0.0, 30.0]  # swings, and leaves the band at the very end
    table = pd.DataFrame({"measure": "won", "week": range(14), "start_day": range(14),
                          "replications": 1, "mean": mean, "welch": mean})
    assert settling_point(table, "won", 0.1)["week"] is None


# -- an empty start, on the engine ----------------------------------------------------------
@pytest.fixture(scope="module")
def cold_start():
    """The baseline with no warm-up: the run starts with no leads, no deals and idle
    reps, so the first weeks lie below the level they settle at."""
    sc = vary(load_shipped("baseline")[0], {"warmup_days": 0, "horizon_days": 280})
    return warmup_study(sc, 6, window=3, workers=1)


def test_an_empty_pipeline_starts_below_its_settled_level(cold_start):
    """At the end of week 0 the open deals are at most that week's new opportunities,
    while the settled stock is the inflow times the time a deal stays open (Little's
    law: about 8 a week for several weeks, some 50): half the level is far beyond the
    noise of a mean over 6 replications. No deal can be won in the first week (the
    stages alone take longer), so bookings start at zero."""
    table, advice = cold_start.table, cold_start.advice.set_index("measure")
    open_deals = table[table["measure"] == "open_deals"]["mean"].to_numpy()
    assert open_deals[0] < 0.5 * advice.loc["open_deals", "level"]
    assert (np.diff(open_deals[:4]) > 0).all()  # and it fills up
    bookings = table[table["measure"] == "bookings"]["mean"].to_numpy()
    assert bookings[0] == 0 and advice.loc["bookings", "level"] > 0
    utilization = table[table["measure"] == "rep_utilization"]["mean"].to_numpy()
    assert utilization[0] < advice.loc["rep_utilization", "level"]
    # each measure settles some weeks into the run, so a warm-up is advised
    assert cold_start.suggested_days() is not None and cold_start.suggested_days() >= 21


def test_weekly_runs_ship_back_the_weeks_of_each_replication(cold_start):
    weekly = cold_start.weekly
    assert list(weekly.columns) == ["replication", "week", "start_day", *WARMUP_MEASURES]
    assert weekly["replication"].unique().tolist() == list(range(6))
    assert len(weekly) == 6 * 40
    one = weekly_measures(simulate(cold_start.scenario, 4))
    mine = weekly[weekly["replication"] == 4].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine[one.columns], one, check_dtype=False)


def test_weekly_runs_include_the_warm_up():
    sc = vary(Scenario(), {"warmup_days": 28, "horizon_days": 28})
    weekly = weekly_runs(sc, 2, workers=1)
    assert weekly["start_day"].unique().tolist() == [-28, -21, -14, -7, 0, 7, 14, 21]


def test_warmup_figure_has_a_panel_per_measure(cold_start):
    fig = plot_warmup(cold_start.table, cold_start.advice, warmup_days=0,
                      measures=["open_deals", "bookings"])
    titles = [ax.get_title(loc="left") for ax in fig.axes]  # the classroom style: left
    assert titles == ["Open deals (tracking) at the week's end", "Bookings per week"]


# -- the command -----------------------------------------------------------------------------
def test_warmup_command_prints_the_table_and_the_advice(capsys, tmp_path):
    out = tmp_path / "wu"
    status, text, err = run(capsys, "warmup", SMALL, "--replications", "3", "--days", "84",
                            "--window", "2", "--workers", "1", "--out", out)
    assert status == 0, err
    assert "Welch's moving average over 5 weeks (2 on each side" in text
    assert "open_deals mean" in text and "Where the curves settle (advice, not a verdict)" in text
    assert "warmup_days" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "scenario.toml", "warmup.png", "warmup_table.csv", "warmup_weekly.csv"]
    weekly = pd.read_csv(out / "warmup_weekly.csv")
    assert weekly["replication"].nunique() == 3 and weekly["start_day"].min() < 0


def test_warmup_json(capsys):
    status, text, err = run(capsys, "warmup", SMALL, "--replications", "2", "--days", "56",
                            "--kpi", "won", "open_deals", "--workers", "1", "--json")
    assert status == 0, err
    data = json.loads(text)
    assert [a["measure"] for a in data["advice"]] == ["won", "open_deals"]
    assert data["window"] == 5 and data["replications"] == 2
    assert {row["measure"] for row in data["table"]} == {"won", "open_deals"}


@pytest.mark.parametrize("argv, message", [
    (["--window", "-1"], "argument --window: value '-1' is not allowed"),
    (["--tolerance", "1.5"], "argument --tolerance: value '1.5' is not allowed"),
    (["--kpi", "profit"], "argument --kpi: invalid choice: 'profit'"),
])
def test_bad_warmup_options_are_refused(capsys, argv, message):
    status, text, err = run(capsys, "warmup", SMALL, *argv)
    assert status == 2 and message in err and text == ""
