"""`funnel compare`, `funnel forecast` and `funnel scenarios`: output, JSON and bad input."""

import json
from pathlib import Path

import pytest

from sim.presentation.cli import COMPARE_METRICS, main
from sim.scenario.files import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "scenarios" / "three_stages.toml"


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_compare_json_pairs_the_policies(capsys):
    status, out, err = run(capsys, "compare", SMALL, "--policies", "fifo", "close_first",
                           "--replications", "3", "--days", "120", "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["policies"] == ["fifo", "close_first"] and data["replications"] == 3
    assert [m["metric"] for m in data["metrics"]] == COMPARE_METRICS
    bookings = next(m for m in data["metrics"] if m["metric"] == "bookings")
    diff = bookings["close_first - fifo"]
    assert diff["difference"] == pytest.approx(bookings["close_first"] - bookings["fifo"])
    assert diff["ci_low"] <= diff["difference"] <= diff["ci_high"]


def test_compare_table_lists_every_metric(capsys):
    status, out, err = run(capsys, "compare", SMALL, "--policies", "fifo", "classic",
                           "--replications", "2", "--days", "90")
    assert status == 0, err
    assert "2 paired replications" in out
    for metric in COMPARE_METRICS:
        assert metric in out


@pytest.mark.parametrize("argv, words", [
    (["--policies", "fifo"], "at least two different policies"),
    (["--policies", "fifo", "fifo"], "at least two different policies"),
    (["--policies", "fifo", "greedy"], "invalid choice: 'greedy'"),
    (["--replications", "1"], "replications must be a whole number from 2"),
    (["--replications", "many"], "value 'many' is not allowed"),
    (["--workers", "0"], "workers must be a whole number from 1"),
])
def test_compare_rejects_bad_arguments(capsys, argv, words):
    status, out, err = run(capsys, "compare", SMALL, *argv)
    assert status == 2
    assert words in err and "Traceback" not in err and out == ""


def test_forecast_table_and_json(capsys):
    status, out, err = run(capsys, "forecast", ROOT / "scenarios" / "baseline.toml")
    assert status == 0, err
    for word in ("2026Q1", "2026Q4", "quota", "commit", "bias"):
        assert word in out
    status, out, err = run(capsys, "forecast", ROOT / "scenarios" / "baseline.toml", "--json")
    data = json.loads(out)
    assert [p["period"] for p in data["periods"]] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert data["accuracy"]["forecast_periods"] == 4
    assert all(p["quota"] == 1_000_000 for p in data["periods"])


def test_forecast_scores_each_owner_category(capsys):
    status, out, err = run(capsys, "forecast", ROOT / "scenarios" / "baseline.toml")
    assert status == 0, err
    assert "the owners' categories at those forecasts" in out
    for category in ("commit", "best_case", "pipeline"):
        assert any(line.split()[:1] == [category] for line in out.splitlines())
    assert "missed their\n  expected close: " in out
    status, out, err = run(capsys, "forecast", ROOT / "scenarios" / "baseline.toml", "--json")
    rows = json.loads(out)["categories"]
    overall = {r["category"]: r for r in rows if r["period"] == "overall"}
    assert set(overall) == {"commit", "best_case", "pipeline"}
    per_period = [r for r in rows if r["period"] != "overall"]
    assert len(per_period) == 4 * 3
    for category, r in overall.items():
        # the overall rows add up the periods', and each row's shares add up to one
        assert r["n_deals"] == sum(p["n_deals"] for p in per_period if p["category"] == category)
        assert r["won_share"] + r["slipped_share"] + r["lost_share"] == pytest.approx(1)


def test_forecast_with_wrong_beliefs_says_so(capsys, tmp_path):
    text = (ROOT / "scenarios" / "baseline.toml").read_text()
    wrong = tmp_path / "optimist.toml"
    wrong.write_text(text.replace("[forecast]", "[forecast]\nassumed_win_rates = "
                                                "[0.35, 0.45, 0.65, 0.85]"))
    status, out, err = run(capsys, "forecast", wrong)
    assert status == 0, err
    assert "assumed win rates 35%, 45%, 65%, 85%" in out


def test_forecast_without_a_whole_period_says_why(capsys):
    """60 days hold no whole quarter: no empty table and no "nan%", but the reason."""
    status, out, err = run(capsys, "forecast", "--days", "60")
    assert (status, err) == (0, "")
    assert "nan" not in out.lower().replace("financ", "")
    assert ("n/a: no whole quarter lies in the 60-day results period (2026-01-01 to "
            "2026-03-01), so there is no forecast to score") in out
    assert "attained" not in out  # no empty table
    status, out, _ = run(capsys, "forecast", "--days", "60", "--json")
    data = json.loads(out)
    assert data["periods"] == [] and data["accuracy"]["forecast_within_5pct_share"] is None


def test_compare_explains_what_is_undefined(capsys, tmp_path):
    """Customers who take 500 days to decide close nothing in 30 days: the win rate is
    undefined in every replication, and the table says why."""
    slow = tmp_path / "slow.toml"
    slow.write_text('horizon_days = 30\nwarmup_days = 5\n[team]\nreps = 2\n' + "".join(
        f'[[stages]]\nwin_rate = {w}\ndecision_days = {{dist = "fixed", value = 500}}\n'
        for w in (0.3, 0.5, 0.7)))
    status, out, err = run(capsys, "compare", slow, "--replications", "2")
    assert status == 0, err
    assert "nan" not in out.lower()
    assert "n/a: the figure is undefined in every replication" in out


def test_forecast_rejects_a_bad_scenario(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[forecast]\nassumed_win_rates = [0.5]\n")
    status, out, err = run(capsys, "forecast", bad)
    assert status == 2 and out == ""
    assert f"{bad}: forecast.assumed_win_rates: value [0.5] is not allowed" in err


# -- funnel scenarios ------------------------------------------------------------------------
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


def test_scenarios_lists_the_shipped_files(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status, out, err = run(capsys, "scenarios")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Shipped scenarios: `funnel run NAME` runs one (default baseline)")
    assert lines[2].split() == ["name", "stages", "reps", "file", "description"]
    assert len(lines) == 3 + len(SHIPPED)
    for line, path in zip(lines[3:], SHIPPED, strict=True):
        sc = load_scenario(path)
        assert line.split()[:4] == [path.stem, str(len(sc.stages)), str(sc.team.reps),
                                    f"scenarios/{path.name}"]
        assert line.endswith(sc.description)


def test_scenarios_json_from_another_directory(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "scenarios", "--json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["default"] == "baseline"
    assert [s["name"] for s in data["scenarios"]] == [p.stem for p in SHIPPED]
    for entry, path in zip(data["scenarios"], SHIPPED, strict=True):
        sc = load_scenario(path)
        assert Path(entry["file"]).read_bytes() == path.read_bytes()
        assert entry == {"name": path.stem, "file": entry["file"],
                         "description": sc.description, "stages": len(sc.stages),
                         "reps": sc.team.reps}
