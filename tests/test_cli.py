"""The ``funnel`` command line: ``funnel run`` and its options, called in-process through
``sim.presentation.cli.main`` (fast), plus a few real subprocesses for the exit status a shell sees.

Runs use a short results period (``--days``) to stay quick.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.presentation.cli import main
from sim.scenario.files import load_scenario
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

KPI_KEYS = {
    "leads": int, "opportunities": int, "won": int, "lost": int, "open": int,
    "win_rate": float, "bookings": float, "avg_deal_size": float, "avg_cycle_days": float,
    "lost_to_neglect": int, "rep_utilization": float,
}
TABLES = ("leads", "opportunities", "stage_history", "rep_time", "events", "contracts",
          "line_items", "invoices", "payments")
OUT_FILES = {f"{name}.csv" for name in TABLES} | {"scenario.toml", "report.html"}

SMALL = """\
name = "small"
warmup_days = 10
horizon_days = 30
seed = 5
[[channels]]
kind = "inbound"
name = "Web"
leads_per_week = 20
[team]
reps = 2
"""


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``funnel argv...`` in-process: (exit status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys, *argv: str) -> dict:
    status, out, err = cli(capsys, "run", "--json", *argv)
    assert status == 0, err
    return json.loads(out)


def files_under(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


# -- funnel run: the summary ------------------------------------------------------------
def test_run_without_scenario_runs_the_baseline(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default must not depend on the working directory
    status, out, err = cli(capsys, "run", "--days", "60")
    assert status == 0
    assert err == ""
    name = load_scenario(BASELINE).name
    assert out.startswith(f"Funnel Sandbox: {name}  (2026-01-01 to 2026-03-01, seed ")
    for label in ("Leads", "Opportunities", "Won / lost", "Bookings", "Average deal size",
                  "Average sales cycle", "Lost to neglect", "Rep utilisation"):
        assert re.search(rf"^  {re.escape(label)} ", out, re.M), label
    assert list(tmp_path.iterdir()) == []  # nothing written without --out


def test_summary_agrees_with_json(capsys):
    status, text, _ = cli(capsys, "run", "--days", "60", "--seed", "3")
    assert status == 0
    k = run_json(capsys, "--days", "60", "--seed", "3")
    leads = int(re.search(r"^  Leads +([\d,]+)$", text, re.M)[1].replace(",", ""))
    won, lost = re.search(r"^  Won / lost +([\d,]+) / ([\d,]+)", text, re.M).groups()
    assert leads == k["leads"]
    assert (int(won), int(lost)) == (k["won"], k["lost"])
    assert "seed 3," in text


# -- funnel run --json -----------------------------------------------------------------
def test_json_has_the_kpis_with_their_types(capsys):
    k = run_json(capsys, "--days", "60")
    assert set(KPI_KEYS) <= set(k)
    for key, kind in KPI_KEYS.items():
        # a rate may be null when nothing closed; the baseline over 60 days closes deals
        assert type(k[key]) is kind, (key, k[key])
    assert k["leads"] > 0 and k["opportunities"] > 0 and k["won"] > 0
    assert 0 <= k["win_rate"] <= 1
    assert 0 < k["rep_utilization"] <= 1
    assert k["win_rate"] == pytest.approx(k["won"] / (k["won"] + k["lost"]))
    assert k["bookings"] == pytest.approx(k["avg_deal_size"] * k["won"])


def test_json_is_the_only_thing_on_stdout_even_with_warnings(capsys, tmp_path):
    two = tmp_path / "two.toml"
    two.write_text(SMALL + '[[stages]]\nwin_rate = 0.3\n[[stages]]\nwin_rate = 0.6\n')
    status, out, err = cli(capsys, "run", str(two), "--json")
    assert status == 0
    assert isinstance(json.loads(out), dict)  # one object, nothing else
    assert f"warning: {two}: stages: 2 stage(s)" in err


SLOW_CUSTOMERS = "".join(
    f'[[stages]]\nwin_rate = {w}\ndecision_days = {{dist = "fixed", value = 500}}\n'
    for w in (0.3, 0.5, 0.7)
)


def test_json_writes_null_for_undefined_rates(capsys, tmp_path):
    """Customers take 500 days to decide, so nothing closes: the win rate, deal size and
    cycle are undefined, and JSON has no NaN."""
    slow = tmp_path / "slow.toml"
    slow.write_text(SMALL + SLOW_CUSTOMERS)
    status, out, err = cli(capsys, "run", slow, "--json")
    assert status == 0, err
    assert "NaN" not in out
    k = json.loads(out)
    assert k["opportunities"] > 0 and k["won"] == 0 and k["lost"] == 0
    assert k["win_rate"] is None and k["avg_deal_size"] is None
    assert k["avg_cycle_days"] is None


@pytest.mark.parametrize("change", [("leads_per_week = 20", "leads_per_week = 0"),
                                    ("leads_per_week = 20", "leads_per_week = 20\n"
                                                            "lead_quality = 0")],
                         ids=["no-leads", "no-opportunities"])
def test_run_with_nothing_to_sell(capsys, tmp_path, change):
    empty = tmp_path / "empty.toml"
    empty.write_text(SMALL.replace(*change))
    status, out, _ = cli(capsys, "run", empty, "--json")
    assert status == 0
    assert json.loads(out)["won"] == 0


def test_same_seed_same_json_other_seed_other_json(capsys, small):
    a = cli(capsys, "run", small, "--json", "--seed", "11")[1]
    b = cli(capsys, "run", small, "--json", "--seed", "11")[1]
    c = cli(capsys, "run", small, "--json", "--seed", "12")[1]
    assert a == b
    assert json.loads(a) != json.loads(c)


def test_seed_option_overrides_the_file(capsys, small):
    """Without --seed the file's seed (5) is used, so --seed 5 changes nothing."""
    assert cli(capsys, "run", small, "--json")[1] == cli(capsys, "run", small, "--json",
                                                         "--seed", "5")[1]


def test_days_sets_the_results_period(capsys, small):
    short = run_json(capsys, small, "--days", "20")
    long = run_json(capsys, small, "--days", "120")
    assert 0 < short["leads"] < long["leads"]
    status, text, _ = cli(capsys, "run", small, "--days", "20")
    assert "(2026-01-01 to 2026-01-20," in text


# -- funnel run --out --------------------------------------------------------------------
def test_out_writes_the_tables_and_the_scenario(capsys, tmp_path, small):
    out = tmp_path / "results"
    status, stdout, err = cli(capsys, "run", small, "--seed", "9", "--days", "25", "--out", out)
    assert status == 0, err
    assert {p.name for p in out.iterdir()} == OUT_FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "small.toml"]
    assert f"wrote {len(OUT_FILES)} files to {out}" in stdout
    for name in TABLES:
        table = pd.read_csv(out / f"{name}.csv")
        assert len(table.columns) > 1
    assert len(pd.read_csv(out / "leads.csv")) > 0
    expected = vary(load_scenario(small), {"seed": 9, "horizon_days": 25})
    assert load_scenario(out / "scenario.toml") == expected


def test_out_scenario_reproduces_the_run(capsys, tmp_path, small):
    """Saving the configuration with the results makes the run reproducible."""
    out = tmp_path / "results"
    first = run_json(capsys, small, "--seed", "4", "--days", "25", "--out", out)
    again = run_json(capsys, out / "scenario.toml")
    assert again == first


def test_out_into_an_existing_empty_directory(capsys, tmp_path, small):
    out = tmp_path / "empty"
    out.mkdir()
    status, _, err = cli(capsys, "run", small, "--out", out, "--json")
    assert status == 0, err
    assert {p.name for p in out.iterdir()} == OUT_FILES


def test_out_refuses_a_non_empty_directory(capsys, tmp_path, small):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "leads.csv").write_bytes(b"precious,data\n1,2\n")
    (out / "notes.txt").write_bytes(b"keep me")
    before = files_under(tmp_path)
    status, stdout, err = cli(capsys, "run", small, "--out", out)
    assert status == 2
    assert stdout == ""
    assert f"error: --out: directory {out} is not empty" in err
    assert "Traceback" not in err
    assert files_under(tmp_path) == before


def test_out_refuses_a_file(capsys, tmp_path, small):
    target = tmp_path / "report.csv"
    target.write_bytes(b"a,b\n1,2\n")
    before = files_under(tmp_path)
    status, stdout, err = cli(capsys, "run", small, "--out", target)
    assert status == 2
    assert stdout == ""
    assert f"error: --out: {target} is a file, not a directory" in err
    assert files_under(tmp_path) == before


def test_out_refuses_a_path_through_a_file(capsys, tmp_path, small):
    (tmp_path / "report.csv").write_bytes(b"a,b\n")
    before = files_under(tmp_path)
    status, _, err = cli(capsys, "run", small, "--out", tmp_path / "report.csv" / "sub")
    assert status == 2
    assert "is a file, not a directory" in err
    assert files_under(tmp_path) == before


def test_bad_scenario_with_out_creates_no_directory(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[team]\nreps = 0\n")
    out = tmp_path / "results"
    status, stdout, err = cli(capsys, "run", bad, "--out", out)
    assert status == 2
    assert stdout == ""
    assert f"error: {bad}: team.reps: value 0 is not allowed" in err
    assert not out.exists()


def test_bad_option_with_out_creates_no_directory(capsys, tmp_path, small):
    out = tmp_path / "results"
    status, _, _ = cli(capsys, "run", small, "--days", "-1", "--out", out)
    assert status == 2
    assert not out.exists()


def test_failed_write_leaves_nothing_behind(capsys, tmp_path, small, monkeypatch):
    """A disk that fills up part way: the files written so far are removed again."""
    import sim.presentation.output

    def disk_full(scenario):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sim.presentation.output, "to_toml", disk_full)
    out = tmp_path / "results"
    status, _, err = cli(capsys, "run", small, "--out", out)
    assert status == 2
    assert "No space left on device" in err
    assert "Traceback" not in err
    assert not out.exists()


# -- bad command-line values ---------------------------------------------------------------
@pytest.mark.parametrize(("option", "value"), [
    ("--seed", "-1"), ("--seed", "abc"), ("--seed", "1.5"),
    ("--days", "0"), ("--days", "-5"), ("--days", "nan"), ("--days", "inf"),
    ("--days", "4000"), ("--days", "x"),
])
def test_bad_option_value(capsys, small, option, value):
    status, stdout, err = cli(capsys, "run", small, option, value)
    assert status == 2
    assert stdout == ""
    assert f"error: argument {option}: value '{value}' is not allowed: must be" in err
    assert "Traceback" not in err


def test_missing_scenario_file(capsys, tmp_path):
    status, stdout, err = cli(capsys, "run", tmp_path / "nope.toml")
    assert status == 2
    assert stdout == ""
    assert err == f"error: {tmp_path / 'nope.toml'}: file not found\n"


# -- funnel run NAME: a shipped scenario ---------------------------------------------------
def test_run_a_shipped_scenario_by_name_from_anywhere(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    by_name = run_json(capsys, "roller_coaster", "--days", "30")
    assert by_name == run_json(capsys, ROOT / "scenarios" / "roller_coaster.toml", "--days", "30")
    assert run_json(capsys, "roller_coaster.toml", "--days", "30") == by_name


def test_a_file_of_that_name_comes_first(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("roller_coaster.toml").write_text(SMALL)
    status, out, err = cli(capsys, "run", "roller_coaster.toml")
    assert (status, err) == (0, "")
    assert out.startswith("Funnel Sandbox: small  (")


def test_unknown_name_says_what_is_shipped(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, stdout, err = cli(capsys, "run", "rollercoaster")
    assert (status, stdout) == (2, "")
    assert err == ("error: rollercoaster: file not found, and no shipped scenario has this "
                   "name; did you mean 'roller_coaster'? (shipped: baseline, course_zh, "
                   "roller_coaster, seven_stages, three_stages)\n")


@pytest.mark.parametrize("argv", [[], ["walk"], ["run", "a.toml", "b.toml"], ["validate"]],
                         ids=["no-command", "unknown-command", "two-scenarios", "no-files"])
def test_usage_errors_exit_2(capsys, argv):
    status, stdout, err = cli(capsys, *argv)
    assert status == 2
    assert stdout == ""
    assert "error: " in err and "usage: funnel" in err


def test_help_exits_0(capsys):
    status, stdout, _ = cli(capsys, "run", "--help")
    assert status == 0
    assert "--seed" in stdout and "--out" in stdout


# -- the real program, as a shell runs it ----------------------------------------------------
def _funnel() -> list[str]:
    script = Path(sys.executable).with_name("funnel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim.presentation.cli"]


def test_real_program_rejects_bad_input_with_status_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[stages]]\nwin_rate = 0.5\n[[stages]]\nwin_rate = 0.3\n'
                   '[[channels]]\nname = "no kind"\n')
    proc = subprocess.run([*_funnel(), "validate", str(bad)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert f"error: {bad}: channels[0].kind: required field is missing" in proc.stderr


def test_real_program_rejects_a_bad_option_with_status_2(tmp_path):
    proc = subprocess.run([*_funnel(), "run", "--seed", "abc", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert "error: argument --seed: value 'abc' is not allowed" in proc.stderr
    assert list(tmp_path.iterdir()) == []
