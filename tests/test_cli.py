"""The ``funnel`` command line: ``funnel run`` and its options, called in-process through
``sim.presentation.cli.main`` (fast), plus a few real subprocesses for the exit status a shell sees.

Runs use a short results period (``--days``) to stay quick.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim.experiments.runner
import sim.presentation.output
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
OUT_FILES = {f"{name}.csv" for name in TABLES} | {"scenario.toml", "report.html", "crm"}

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


def test_summary_gives_the_reason_for_each_undefined_figure(capsys, tmp_path):
    slow = tmp_path / "slow.toml"
    slow.write_text(SMALL + SLOW_CUSTOMERS)
    status, out, err = cli(capsys, "run", slow)
    assert status == 0, err
    assert "nan" not in out.lower()
    assert "(win rate n/a: no deal closed)" in out
    assert re.search(r"^  Average deal size +n/a   \(n/a: no deal was won\)$", out, re.M)
    assert re.search(r"^  Average sales cycle +n/a   \(n/a: no deal was won\)$", out, re.M)
    assert re.search(r"^  Days sales outstanding +n/a   \(n/a: nothing was invoiced\)$", out,
                     re.M)
    assert "per quarter   (n/a: nothing was booked)" in out


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
    assert f"wrote {len(OUT_FILES) + 1} files to {out}" in stdout  # crm/ holds two
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


def _disk_full(scenario):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("target", ["results", "deep/er/results", "empty"])
def test_failed_write_leaves_nothing_behind(capsys, tmp_path, small, monkeypatch, target):
    """A disk that fills up part way: the staging folder with the files written so far,
    and any folder the run made for --out, are removed again; an existing empty folder
    stays as it was."""
    monkeypatch.setattr(sim.presentation.output, "to_toml", _disk_full)
    out = tmp_path / target
    if target == "empty":
        out.mkdir()
    status, stdout, err = cli(capsys, "run", small, "--out", out)
    assert status == 2
    assert stdout.startswith("Funnel Sandbox: small")  # the run itself went well
    assert err == (f"error: --out: {out} could not be written: No space left on device; "
                   "nothing was written\n")
    left = sorted(p.name for p in tmp_path.iterdir())
    if target == "empty":
        assert left == ["empty", "small.toml"] and list(out.iterdir()) == []
    else:
        assert left == ["small.toml"]


def test_out_is_staged_beside_the_target_and_renamed(capsys, tmp_path, small, monkeypatch):
    """The files are written into a hidden folder beside the target, which takes the
    target's name only when every file is there."""
    seen = []
    real = sim.presentation.output.to_toml

    def look(scenario):
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        return real(scenario)

    monkeypatch.setattr(sim.presentation.output, "to_toml", look)
    out = tmp_path / "results"
    status, _, err = cli(capsys, "run", small, "--out", out, "--json")
    assert status == 0, err
    [during] = seen
    assert len(during) == 2 and during[1] == "small.toml"
    assert during[0].startswith(".results.partial-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "small.toml"]
    assert {p.name for p in out.iterdir()} == OUT_FILES


def test_out_into_an_empty_folder_whose_parent_takes_nothing(capsys, tmp_path, small,
                                                             monkeypatch):
    """An empty --out folder in a parent that cannot take the staging folder: the
    files are staged inside the target instead, then moved up."""
    out = tmp_path / "mine"
    out.mkdir()
    real = sim.presentation.output._new_folder

    def parent_refuses(parent, name):
        if parent != out:
            raise PermissionError(13, "Permission denied")
        return real(parent, name)

    monkeypatch.setattr(sim.presentation.output, "_new_folder", parent_refuses)
    status, _, err = cli(capsys, "run", small, "--out", out, "--json")
    assert status == 0, err
    assert {p.name for p in out.iterdir()} == OUT_FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "small.toml"]


def _ctrl_c(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["run", "write"])
def test_ctrl_c_says_interrupted_and_leaves_nothing(capsys, tmp_path, small, monkeypatch,
                                                    where):
    """Ctrl-C during the run or while --out is written: one line, status 130, and no
    --out folder or staging folder left."""
    target = sim.experiments.runner if where == "run" else sim.presentation.output
    monkeypatch.setattr(target, "simulate" if where == "run" else "to_toml", _ctrl_c)
    status, _, err = cli(capsys, "run", small, "--out", tmp_path / "deep" / "results")
    assert (status, err) == (130, "interrupted\n")
    assert [p.name for p in tmp_path.iterdir()] == ["small.toml"]


def _no_run(monkeypatch):
    """Make a run fail the test: what is checked before the run must refuse first."""
    def refuse(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(sim.experiments.runner, "simulate", refuse)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in a read-only folder")
def test_out_in_a_read_only_folder_is_refused_before_the_run(capsys, tmp_path, small,
                                                             monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    _no_run(monkeypatch)
    try:
        status, stdout, err = cli(capsys, "run", small, "--out", locked / "results")
    finally:
        locked.chmod(0o755)
    assert (status, stdout) == (2, "")
    assert err == (f"error: --out: {locked / 'results'} cannot be created in {locked}: "
                   "Permission denied; nothing was written\n")
    assert list(locked.iterdir()) == []


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's /sys")
def test_out_where_nothing_can_be_made_is_refused_before_the_run(capsys, monkeypatch):
    """/sys takes no new folders, not even from root."""
    _no_run(monkeypatch)
    status, stdout, err = cli(capsys, "run", "--out", "/sys/funnel-results")
    assert (status, stdout) == (2, "")
    assert err.startswith("error: --out: /sys/funnel-results cannot be created in /sys: ")
    assert err.endswith("; nothing was written\n") and err.count("\n") == 1
    assert not Path("/sys/funnel-results").exists()


def test_out_through_a_file_is_refused_before_the_run(capsys, tmp_path, small, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    _no_run(monkeypatch)
    status, stdout, err = cli(capsys, "run", small, "--out", tmp_path / "notes.txt" / "out")
    assert (status, stdout) == (2, "")
    assert "notes.txt is a file, not a directory; nothing was written" in err


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
                   "hiring_plan, roller_coaster, seven_stages, three_stages)\n")


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


# -- a quick start -----------------------------------------------------------------------------
HEAVY = ("pandas", "simpy", "matplotlib", "numpy.random", "numpy.fft", "numpy.polynomial",
         "numpy.ma", "sim.experiments", "sim.analysis", "sim.engine", "sim.presentation.report")
"""What `funnel --help` and `funnel validate` must not load (bench/bench_cli.py times them)."""


@pytest.mark.parametrize("code", ["import sim.presentation.cli", "import sim",
                                  "import sim.presentation.cli as c; c._parser()"],
                         ids=["cli", "sim", "parser"])
def test_the_command_line_starts_without_the_heavy_libraries(code):
    probe = (f"{code}\nimport sys\nprint(sorted(m for m in sys.modules for h in {HEAVY} "
             "if m == h or m.startswith(h + '.')))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout == "[]\n", proc.stdout


def test_the_public_names_load_on_first_use():
    code = ("import sys, sim\nassert 'pandas' not in sys.modules\nsim.vary\n"
            "assert 'pandas' not in sys.modules\nfrom sim import simulate, summarize\n"
            "assert 'sim.experiments.runner' in sys.modules and 'pandas' in sys.modules\n"
            "print(set(sim.__all__) <= set(dir(sim)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "True\n", "")


def test_an_unknown_public_name_is_an_attribute_error():
    import sim

    with pytest.raises(AttributeError, match="module 'sim' has no attribute 'simulte'"):
        sim.simulte  # noqa: B018


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


def test_real_program_quiet_when_the_reader_leaves(tmp_path, small):
    """`funnel run --json | head -c 10`: the reader leaves early; no traceback."""
    proc = subprocess.Popen([*_funnel(), "run", str(small), "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.close()  # gone before the program writes a byte
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert err == ""
    shell = subprocess.run(f"{' '.join(_funnel())} run {small} --json | head -c 10",
                           shell=True, capture_output=True, text=True, timeout=60)
    assert (shell.returncode, len(shell.stdout), shell.stderr) == (0, 10, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["run", "--json"], ["--help"], ["scenarios"]],
                         ids=["run", "help", "scenarios"])
def test_real_program_on_a_full_disk(tmp_path, small, argv):
    if argv[0] == "run":
        argv = [*argv, str(small)]
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*_funnel(), *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == ("error: the output could not be written: No space left on "
                           "device\n")

