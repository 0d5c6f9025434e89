"""Sweeps: --set value lists, the grid of validated cells, paired runs (common random
numbers), the summary with paired differences, the command and its figure."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import AxesImage
from test_cli import cli as run

from sim.analysis.statistics import mean_ci
from sim.experiments.runner import simulate
from sim.experiments.sweep import (
    KPI_NAMES,
    summarize_sweep,
    sweep,
    sweep_cells,
    swept_fields,
)
from sim.presentation.plots.experiments import plot_sweep
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario
from sim.scenario.variants import parse_values, vary

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "scenarios" / "three_stages.toml"


@pytest.fixture(scope="module")
def inbound_only():
    """Leads only from an inbound channel, whose arrivals do not depend on the team: the
    same replication brings the same leads whatever the reps or win rates."""
    return vary(Scenario(), {"channels": [{"kind": "inbound", "name": "Search",
                                           "leads_per_week": 15.0}],
                             "horizon_days": 56, "warmup_days": 14})


# -- --set value lists ------------------------------------------------------------------------
@pytest.mark.parametrize("text, path, values", [
    ("team.reps=3,5,7", "team.reps", [3, 5, 7]),
    ("stages[2].win_rate=0.6, 0.7", "stages[2].win_rate", [0.6, 0.7]),
    ("start_date=2027-04-01,2027-07-01", "start_date",
     [dt.date(2027, 4, 1), dt.date(2027, 7, 1)]),
    ("policy.name=fifo,\"classic\"", "policy.name", ["fifo", "classic"]),
    ("leads.expiry_days=10", "leads.expiry_days", [10]),
    ('name="a,b",c', "name", ["a,b", "c"]),
])
def test_set_values_are_read_as_toml(text, path, values):
    got_path, got = parse_values(Scenario(), text)
    assert got_path == path and got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize("text, problem", [
    ("team.reps", "value 'team.reps' is not allowed: write a field path, '='"),
    ("team.reps=", "team.reps: value '' is not allowed: give one or more values"),
    ("team.reps=3,,5", "team.reps: value '3,,5' is not allowed"),
    ("team.reps=3,3", "team.reps: value 3 is not allowed: it is listed twice"),
    ("team.reps=0,2", "team.reps: value 0 is not allowed: must be greater than or equal to 1"),
    ("team.rep=3", "team.rep: value 3 is not allowed: unknown field 'rep'; did you mean "
                   "'reps'?"),
    ("team=3", "team: is a table, not a single value"),
    ("stages=3", "stages: is a list, not a single value"),
    ("stages[9].win_rate=0.5", "stages[9].win_rate: no such field"),
    ("start_date=2027-02-30", "start_date: value '2027-02-30' is not allowed"),
])
def test_bad_set_values_name_the_path_value_and_rule(text, problem):
    with pytest.raises(ScenarioError) as caught:
        parse_values(Scenario(), text)
    assert caught.value.source == "--set"
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


# -- the grid --------------------------------------------------------------------------------
def test_cells_are_the_cartesian_product_in_grid_order():
    cells = sweep_cells(Scenario(), {"team.reps": [3, 5], "stages[3].win_rate": [0.8, 0.9]},
                        ["fifo", "classic"])
    assert len(cells) == 8
    assert cells[0].label == "team.reps=3 stages[3].win_rate=0.8 policy=fifo"
    assert cells[1].settings == {"team.reps": 3, "stages[3].win_rate": 0.8,
                                 "policy": "classic"}
    assert cells[-1].label == "team.reps=5 stages[3].win_rate=0.9 policy=classic"
    last = cells[-1].scenario
    assert (last.team.reps, last.stages[3].win_rate, last.policy.name) == (5, 0.9, "classic")


def test_every_cell_is_validated_before_anything_runs():
    """Each value is fine alone; one combination breaks the rising-win-rate rule."""
    with pytest.raises(ScenarioError) as caught:
        sweep_cells(Scenario(), {"stages[1].win_rate": [0.35, 0.6],
                                 "stages[2].win_rate": [0.5, 0.7]}, source="--set")
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith("stages[2].win_rate: value 0.5 is not allowed: win rates "
                                  "must not fall")
    assert problems[0].endswith("(in the cell stages[1].win_rate=0.6 stages[2].win_rate=0.5)")


@pytest.mark.parametrize("grid, policies, problem", [
    ({"team.reps": []}, None, "team.reps: no values given"),
    ({"team.reps": [3, 3]}, None, "team.reps: value 3 is not allowed: it is listed twice"),
    ({}, ["fifo", "greedy"], "policy: value 'greedy' is not allowed"),
    ({}, ["fifo", "fifo"], "policy: a policy is listed twice"),
    ({"policy.name": ["fifo"]}, ["classic"], "policy: set the policy with the policies"),
    ({}, None, "nothing to sweep"),
])
def test_a_bad_grid_is_refused(grid, policies, problem):
    with pytest.raises(ScenarioError) as caught:
        sweep_cells(Scenario(), grid, policies)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_a_grid_must_be_a_dict_of_lists():
    with pytest.raises(TypeError, match="grid: must be a dict of field path -> list"):
        sweep_cells(Scenario(), {"team.reps": 3})


# -- running it ------------------------------------------------------------------------------
def test_sweep_is_tidy_and_paired(inbound_only):
    tidy = sweep(inbound_only, {"team.reps": [2, 4], "stages[3].win_rate": [0.8, 0.9]},
                 replications=3, workers=1)
    assert len(tidy) == 4 * 3
    assert swept_fields(tidy) == ["team.reps", "stages[3].win_rate"]
    assert list(tidy.columns[:4]) == ["scenario", "team.reps", "stages[3].win_rate",
                                      "replication"]
    assert list(tidy.columns[4:]) == list(KPI_NAMES)
    for _, cell in tidy.groupby("scenario"):
        assert cell["replication"].tolist() == [0, 1, 2]
    # common random numbers: the same leads arrive in every cell of a replication ...
    leads = tidy.pivot(index="replication", columns="scenario", values="leads")
    assert (leads.nunique(axis=1) == 1).all()
    assert leads.iloc[:, 0].nunique() > 1  # ... and differ between replications
    # and a cell's rows are what replicating its scenario alone gives
    alone = simulate(vary(inbound_only, {"team.reps": 4, "stages[3].win_rate": 0.9}), 2)
    row = tidy[(tidy["team.reps"] == 4) & (tidy["stages[3].win_rate"] == 0.9)
               & (tidy["replication"] == 2)].iloc[0]
    assert row["bookings"] == alone.kpis()["bookings"]


def test_summary_gives_cis_and_paired_differences_to_the_first_cell(inbound_only):
    tidy = sweep(inbound_only, {"team.reps": [2, 5]}, replications=4, workers=1)
    summary = summarize_sweep(tidy, ["bookings", "won"])
    assert summary["scenario"].tolist() == ["team.reps=2"] * 2 + ["team.reps=5"] * 2
    assert summary["team.reps"].tolist() == [2, 2, 5, 5]
    first = summary.iloc[0]
    assert first["difference"] == 0 and first["difference_ci_low"] == 0
    won = summary[(summary["metric"] == "won") & (summary["team.reps"] == 5)].iloc[0]
    wide = tidy.pivot(index="replication", columns="scenario", values="won")
    diff = wide["team.reps=5"] - wide["team.reps=2"]
    mean, _, lo, hi = mean_ci(diff)
    assert (won["difference"], won["difference_ci_low"], won["difference_ci_high"]) == \
        pytest.approx((mean, lo, hi))
    assert (won["mean"], won["n"]) == (pytest.approx(wide["team.reps=5"].mean()), 4)


def test_kpi_names_are_the_kpis_of_a_run():
    result = simulate(vary(Scenario(), {"horizon_days": 14, "warmup_days": 0}))
    assert tuple(result.kpis()) == KPI_NAMES


# -- the figure ------------------------------------------------------------------------------
def _summary(grid: dict) -> pd.DataFrame:
    """A summary frame shaped as summarize_sweep's, with made-up means."""
    import itertools

    rows = []
    for i, combo in enumerate(itertools.product(*grid.values())):
        settings = dict(zip(grid, combo, strict=True))
        rows.append({"scenario": f"cell{i}", **settings, "metric": "bookings", "n": 5,
                     "mean": 100.0 + i, "sd": 1.0, "ci_low": 99.0 + i, "ci_high": 101.0 + i})
    return pd.DataFrame(rows)


def test_one_field_draws_a_line_with_its_cis():
    fig = plot_sweep(_summary({"team.reps": [3, 5, 7]}))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "5", "7"]
    assert ax.get_xlabel() == "team.reps"
    line = ax.lines[0]
    assert np.allclose(line.get_ydata(), [100, 101, 102])


def test_two_fields_draw_a_heat_map_of_the_means():
    fig = plot_sweep(_summary({"team.reps": [3, 5], "policy": ["fifo", "classic", "close_first"]}))
    ax = fig.axes[0]
    image = next(a for a in ax.get_children() if isinstance(a, AxesImage))
    assert image.get_array().shape == (2, 3)
    assert image.get_array()[1, 2] == 105  # team.reps=5, close_first: the last cell
    assert [t.get_text() for t in ax.get_yticklabels()] == ["3", "5"]


def test_three_fields_draw_a_line_per_combination_of_the_others():
    fig = plot_sweep(_summary({"team.reps": [3, 5], "a": [1, 2], "b": ["x", "y"]}))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["a=1 b=x", "a=1 b=y", "a=2 b=x", "a=2 b=y"]


# -- the command -----------------------------------------------------------------------------
def test_sweep_command_prints_every_cell_and_writes_its_files(capsys, tmp_path):
    out = tmp_path / "grid"
    status, text, err = run(capsys, "sweep", SMALL, "--set", "team.reps=2,4", "--policy",
                            "fifo", "classic", "--replications", "2", "--days", "60",
                            "--workers", "1", "--out", out)
    assert status == 0, err
    assert "4 cells" in text and "2 paired replications per cell" in text
    for label in ("team.reps=2 policy=fifo", "team.reps=4 policy=classic"):
        assert label in text
    assert "(the first cell)" in text and "rep_utilization" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "scenario.toml", "sweep_bookings.png", "sweep_summary.csv", "sweep_tidy.csv"]
    tidy = pd.read_csv(out / "sweep_tidy.csv")
    assert len(tidy) == 8 and list(tidy.columns[:4]) == ["scenario", "team.reps", "policy",
                                                          "replication"]
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert len(summary) == 4 * len(KPI_NAMES)


def test_sweep_json(capsys):
    status, text, err = run(capsys, "sweep", SMALL, "--set", "team.reps=2,3",
                            "--replications", "2", "--days", "45", "--workers", "1",
                            "--kpi", "won", "--json")
    assert status == 0, err
    data = json.loads(text)
    assert data["fields"] == ["team.reps"] and data["cells"] == ["team.reps=2", "team.reps=3"]
    assert data["replications"] == 2 and data["precision"] is None
    metrics = {row["metric"] for row in data["summary"]}
    assert {"bookings", "won", "win_rate", "cash_collected", "lost_to_neglect",
            "rep_utilization"} <= metrics


@pytest.mark.parametrize("argv, message", [
    (["--set", "team.reps=0,3"], "error: --set: team.reps: value 0 is not allowed: must be "
                                 "greater than or equal to 1"),
    (["--set", "team.reps=3", "--set", "team.reps=4"], "error: --set: team.reps: is given "
                                                       "twice"),
    (["--set", "teem.reps=3"], "error: --set: teem: value"),
    (["--set", "team.reps=3", "--kpi", "profit"], "error: --kpi: value 'profit' is not "
                                                  "allowed"),
    (["--set", "team.reps=3", "--precision", "0"], "error: argument --precision: value '0'"),
])
def test_bad_sweep_input_is_refused_before_anything_runs(capsys, tmp_path, argv, message):
    out = tmp_path / "never"
    status, text, err = run(capsys, "sweep", SMALL, *argv, "--out", out)
    assert status == 2
    assert message in err, err
    assert "Traceback" not in err and text == "" and not out.exists()


def test_sweep_refuses_an_out_folder_with_files(capsys, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    status, text, err = run(capsys, "sweep", SMALL, "--set", "team.reps=2", "--out", tmp_path)
    assert status == 2 and "is not empty" in err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
