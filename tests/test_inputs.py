"""Bad input, hardened: files that are not scenario files, every problem at once, bounds
that hold together, and a cap on the leads a run asks for.

Each refusal is a :class:`ScenarioError` (``funnel validate`` prints one line per problem
and exits 2) naming the file or option, the field, the value and the rule; nothing
blocks, nothing fills the memory, nothing ends in a pandas traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import sim.engine.leadgen
import sim.rules.channels
from sim import Scenario, ScenarioError, load_scenario, parse_scenario, simulate, vary
from sim.engine.streams import Streams
from sim.presentation.cli import main
from sim.rules.channels import (
    MAX_LEADS_PER_RUN,
    expected_leads,
    leads_drawn,
    prospecting_leads_most,
)
from sim.scenario.files import MAX_FILE_BYTES, read_text
from sim.scenario.schema import MAX_CYCLE_DAYS, MAX_MEAN_DAYS

SCRIPT = Path(sys.executable).with_name("funnel")
FUNNEL = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "sim.presentation.cli"]
"""The installed ``funnel`` command beside this interpreter (else the module)."""
SMALL = ('[[channels]]\nkind = "inbound"\nname = "Web"\nleads_per_week = 2\n'
         "[team]\nreps = 2\n")


def problems(text: str) -> list[str]:
    """The problems of scenario TOML ``text`` (none if it is valid)."""
    try:
        parse_scenario(text, "my.toml")
    except ScenarioError as exc:
        return exc.problems
    return []


def paths(text: str) -> list[str]:
    """The field path of each problem of ``text``, in the order reported."""
    return [p.split(":")[0] for p in problems(text)]


def returns_promptly(func, seconds: float = 10.0):
    """``func()``'s result, or a failure if it has not returned within ``seconds`` (it is
    left in a daemon thread: a hang must fail the test, not stop the suite)."""
    box: dict = {}

    def run():
        try:
            box["value"] = func()
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def refusal(path) -> str:
    """The one problem ``load_scenario`` reports for ``path``, which must come at once."""
    with pytest.raises(ScenarioError) as info:
        returns_promptly(lambda: load_scenario(path))
    assert info.value.source == str(path)
    assert len(info.value.problems) == 1
    return info.value.problems[0]


def funnel_validate(path) -> subprocess.CompletedProcess:
    """``funnel validate PATH`` as a user runs it, in a subprocess with a time limit."""
    return subprocess.run([*FUNNEL, "validate", str(path)], capture_output=True, text=True,
                          timeout=60, check=False)


# -- files -----------------------------------------------------------------------------------
def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'name = "with a BOM"\n')
    assert load_scenario(path).name == "with a BOM"
    assert parse_scenario('\ufeffname = "text"\n').name == "text"


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)  # nobody writes to it: opening it for reading would block forever
    assert "is a named pipe (FIFO), not a regular file" in refusal(fifo)


def test_a_device_is_refused_without_reading_it():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    assert "is a device, not a regular file" in refusal("/dev/zero")


def test_a_directory_is_refused(tmp_path):
    assert refusal(tmp_path) == "is a directory, not a scenario file"


def test_a_link_to_a_scenario_is_read_and_a_link_to_a_fifo_is_not(tmp_path):
    real = tmp_path / "real.toml"
    real.write_text('name = "linked"\n', encoding="utf-8")
    (tmp_path / "link.toml").symlink_to(real)
    assert load_scenario(tmp_path / "link.toml").name == "linked"
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "pipe.toml").symlink_to(tmp_path / "pipe")
    assert "named pipe" in refusal(tmp_path / "pipe.toml")


def test_a_file_at_the_size_cap_is_read_and_one_byte_more_is_not(tmp_path):
    head = 'name = "big"\n'
    at_cap = tmp_path / "at_cap.toml"
    at_cap.write_text(head + "#" * (MAX_FILE_BYTES - len(head) - 1) + "\n", encoding="utf-8")
    assert at_cap.stat().st_size == MAX_FILE_BYTES
    assert load_scenario(at_cap).name == "big"
    over = tmp_path / "over.toml"
    over.write_text(head + "#" * (MAX_FILE_BYTES - len(head)) + "\n", encoding="utf-8")
    message = refusal(over)
    assert "is too large for a scenario file (1,000,001 bytes" in message
    assert "the limit is 1,000,000 bytes, 1 MB" in message


def test_a_file_that_grows_after_its_size_was_checked_is_read_only_up_to_the_cap(
        tmp_path, monkeypatch):
    """Between the size check and the read a file can grow (or a kernel file reports size
    0): the read stops at the cap plus one byte."""
    path = tmp_path / "growing.toml"
    path.write_bytes(b"#" * (3 * MAX_FILE_BYTES))
    real_stat, real_fstat = os.stat, os.fstat

    def small(info):
        fields = list(info)
        fields[6] = 10  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", lambda p, *a, **k: small(real_stat(p, *a, **k)))
    monkeypatch.setattr(os, "fstat", lambda fd: small(real_fstat(fd)))
    with pytest.raises(ScenarioError) as info:
        read_text(path)
    assert "more than 1,000,000 bytes" in info.value.problems[0]


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('seed = 1\nname = "Caf\u00e9"\n'.encode("latin-1"))
    message = refusal(path)
    assert message.startswith("is not UTF-8 text (") and "at line 2" in message


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "too large"])
def test_the_command_line_refuses_what_is_not_a_scenario_file_promptly(tmp_path, kind):
    """The real ``funnel validate``: exit status 2, one clear line, no traceback, at once
    (a FIFO used to hang it forever, /dev/zero to fill the memory)."""
    if kind == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)
        said = "is a named pipe (FIFO), not a regular file"
    elif kind == "device":
        path = Path("/dev/zero")
        if not path.exists():
            pytest.skip("no /dev/zero here")
        said = "is a device, not a regular file"
    elif kind == "directory":
        path, said = tmp_path, "is a directory, not a scenario file"
    else:
        path = tmp_path / "big.toml"
        path.write_bytes(b"#" * (2 * MAX_FILE_BYTES))
        said = "is too large for a scenario file (2,000,000 bytes; the limit is 1,000,000"
    proc = funnel_validate(path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [proc.stderr.strip()]  # one line
    assert proc.stderr.startswith(f"error: {path}: {said}")
    assert "Traceback" not in proc.stderr


# -- every problem at once -------------------------------------------------------------------
def test_field_errors_and_cross_field_errors_come_together_in_file_order():
    assert paths("horizon_dayz = 3\n"
                 "[[stages]]\nwin_rate = 0.3\n[[stages]]\nwin_rate = 0.2\n"
                 "[team]\nreps = 0\n") == ["horizon_dayz", "stages[1].win_rate", "team.reps"]


def test_a_cross_field_rule_reports_every_violation():
    text = (
        "[[stages]]\nname = 'A'\nwin_rate = 0.5\n[[stages]]\nname = 'B'\nwin_rate = 0.4\n"
        "[[stages]]\nname = 'A'\nwin_rate = 0.6\n[[stages]]\nname = 'D'\nwin_rate = 0.1\n"
        "[[channels]]\nkind = 'outbound_prospecting'\nname = 'Calls'\n"
        "[[channels]]\nkind = 'outbound_prospecting'\nname = 'Calls'\n"
        "[[channels]]\nkind = 'outbound_prospecting'\nname = 'Mail'\n"
        "[team]\nreps = 2\nskill = [1, 1]\n"
        "[[team.members]]\nskill = [1]\n[[team.members]]\nskill = [1, 1, 1, 1, 1]\n"
        "[forecast]\nassumed_win_rates = [0.5]\n")
    assert paths(text) == [
        "stages[1].win_rate", "stages[2].name", "stages[3].win_rate", "channels[1].kind",
        "channels[1].name", "channels[2].kind", "team.skill", "team.members[0].skill",
        "team.members[1].skill", "forecast.assumed_win_rates"]
    assert all(" is not allowed: " in p for p in problems(text))


def test_cross_field_rules_run_on_what_can_be_checked_when_fields_are_wrong():
    found = paths(
        "[[stages]]\nwin_rate = 0.5\n"
        "[[stages]]\nwin_rate = 1.5\n"  # a field error: the rates around it cannot be compared
        "[[stages]]\nwin_rate = 0.4\n"
        "[[stages]]\nwin_rate = 0.3\n"  # below the 0.4 before it: that one is reported
        "[[channels]]\nkind = 'inbound'\nname = 'Web'\nleads_per_week = -1\n"
        "[[channels]]\nkind = 'inbound'\nname = 'Web'\n"
        "[team]\nreps = 1\nskill = [1, 1]\n"
        "[[team.members]]\nname = 'Ada'\n[[team.members]]\nname = 'Bob'\n"
        "[policy]\nname = 'custom'\nprospecting_share = 2\n")
    # no guess about stages[2], whose neighbour's rate is wrong itself
    assert found == ["stages[1].win_rate", "stages[3].win_rate", "channels[0].leads_per_week",
                     "channels[1].name", "team.skill", "team.members", "policy.prospecting_share",
                     "policy.order"]


def test_a_table_with_a_wrong_field_still_has_its_own_rules_checked():
    found = paths("[contracts]\nline_items_max = 0\n[[contracts.payment_plan]]\nshare = 0.5\n"
                  "[[stages]]\nwin_rate = 0.2\n"
                  "decision_days = {dist = 'triangular', low = -1, mode = 9, high = 5}\n")
    assert found == [
        "contracts.line_items_max", "contracts.payment_plan",
        "stages[0].decision_days.low", "stages[0].decision_days.mode"], found


def test_validate_prints_every_problem_with_its_path(tmp_path, capsys):
    path = tmp_path / "many.toml"
    path.write_text("warmup_days = -1\n[[stages]]\nwin_rate = 0.3\n[[stages]]\nwin_rate = 0.2\n"
                    "[[stages]]\nwin_rate = 0.1\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[2] for line in err] == ["warmup_days", "stages[1].win_rate",
                                                     "stages[2].win_rate"]
    assert all(line.startswith(f"error: {path}: ") for line in err)


def test_vary_reports_every_problem_at_once():
    with pytest.raises(ScenarioError) as info:
        vary(Scenario(), {"team.reps": 0, "stages[1].win_rate": 0.01, "stages[3].name":
                          "Initial contact"})
    assert [p.split(":")[0] for p in info.value.problems] == [
        "stages[1].win_rate", "stages[3].name", "team.reps"]


def test_the_python_api_gets_every_problem_from_pydantic_too():
    with pytest.raises(ValidationError) as info:
        Scenario(stages=[{"name": "A", "win_rate": 0.5}, {"name": "A", "win_rate": 0.4}])
    locs = [e["loc"] for e in info.value.errors()]
    assert locs == [("stages", 1, "win_rate"), ("stages", 1, "name")]


# -- bounds that hold together ---------------------------------------------------------------
@pytest.mark.parametrize("date", ["1900-01-01", "2200-12-31"])
def test_start_dates_at_the_bounds_are_accepted(date):
    assert problems(f"start_date = {date}\n") == []


@pytest.mark.parametrize("date", ["1899-12-31", "2201-01-01", "9999-12-01", "0001-01-01"])
def test_start_dates_beyond_the_bounds_are_refused(date):
    assert problems(f"start_date = {date}\n") == [
        f"start_date: value {date} is not allowed: must be a date from 1900-01-01 to "
        "2200-12-31, so that the warm-up before it and the dates after it fit the tables' "
        "calendar (pandas dates run from 1677 to 2262)"]


@pytest.mark.parametrize("start", [dt.date(1900, 1, 1), dt.date(2200, 12, 31)])
def test_a_run_at_every_bound_at_once_gives_every_table(start):
    """The earliest or latest start, the longest warm-up and horizon, a sales cycle at its
    cap (two stages whose decisions take up to 7300 days, 3650 on average) and the longest
    delivery and lateness: every table, with its dates, is built (such runs used to end in
    OutOfBoundsDatetime)."""
    high = MAX_CYCLE_DAYS
    sc = parse_scenario(
        f"start_date = {start}\nwarmup_days = 3650\nhorizon_days = 3650\n"
        "[[channels]]\nkind = 'inbound'\nname = 'Web'\nleads_per_week = 0.3\nlead_quality = 1\n"
        + "[[stages]]\nwin_rate = 0.6\nwork_hours = 0\n"
        f"decision_days = {{dist = 'uniform', low = 0, high = {high}}}\n" * 2
        + f"[payments]\nlateness_days = {{dist = 'fixed', value = {MAX_MEAN_DAYS}}}\n"
        "late_share = 1\n"
        f"[contracts]\ndelivery_days = {{dist = 'fixed', value = {MAX_MEAN_DAYS}}}\n"
        f"[orders]\ndelivery_days = {{dist = 'fixed', value = {MAX_MEAN_DAYS}}}\n")
    assert sc.typical_cycle_days == MAX_CYCLE_DAYS
    result = simulate(sc)
    tables = result.tables()
    assert result.kpis()["won"] > 0
    closes = tables["opportunities"]["expected_close"].dropna()
    assert len(closes) > 0 and closes.max().year <= start.year + 30


@pytest.mark.parametrize(("field", "text"), [
    ("stages[0].decision_days.value", "[[stages]]\ndecision_days = {dist = 'fixed', value = %s}"),
    ("stages[0].decision_days.mean", "[[stages]]\ndecision_days = {dist = 'gamma', mean = %s}"),
    ("contracts.delivery_days.mean",
     "[contracts]\ndelivery_days = {dist = 'exponential', mean = %s}"),
    ("payments.lateness_days.mean",
     "[payments]\nlateness_days = {dist = 'lognormal', mean = %s}"),
])
def test_a_mean_of_days_is_bounded(field, text):
    assert problems(text % MAX_MEAN_DAYS + "\n") == []
    assert problems(text % (MAX_MEAN_DAYS + 0.5) + "\n") == [
        f"{field}: value 3650.5 is not allowed: the mean must be at most 3650 days"]
    assert problems(text % 200_000 + "\n")  # the value that used to end in a traceback


def test_a_uniform_mean_is_bounded_at_its_high_end():
    assert problems("[[stages]]\ndecision_days = {dist = 'uniform', low = 0, high = 7300}\n") \
        == []
    assert problems("[[stages]]\ndecision_days = {dist = 'uniform', low = 2, high = 7300}\n") \
        == ["stages[0].decision_days.high: value 7300 is not allowed: the mean must be at "
            "most 3650 days (this one's is 3651)"]


def test_a_work_hours_distribution_is_bounded_like_a_number():
    assert problems("[[stages]]\nwork_hours = {dist = 'exponential', mean = 1000}\n") == []
    assert problems("[[stages]]\nwork_hours = {dist = 'exponential', mean = 1e12}\n") == [
        "stages[0].work_hours.mean: value 1000000000000.0 is not allowed: the mean must be at "
        "most 1000 hours"]


def test_the_sales_cycle_is_bounded_at_the_slowest_reps_hours():
    assert problems("[team]\nhours_per_day = 0.01\n[[stages]]\nwork_hours = 36\n"
                    "decision_days = {dist = 'fixed', value = 50}\n") == []
    found = problems("[team]\nhours_per_day = 0.01\n[[stages]]\nwork_hours = 1000\n")
    assert len(found) == 1
    assert found[0].startswith("stages[0].work_hours: value 1000 is not allowed: the normal "
                               "sales cycle would be 100,010 days at the slowest rep's 0.01 "
                               "hours per day, more than the 7,300 allowed")
    # a named rep's own slow hours count too; a long decision is blamed on decision_days
    found = problems("[team]\nreps = 2\n[[team.members]]\nhours_per_day = 0.001\n"
                     "[[stages]]\nwork_hours = 8\n")
    assert found[0].startswith("stages[0].work_hours: value 8 is not allowed: the normal "
                               "sales cycle would be 8,010 days at the slowest rep's 0.001")
    found = problems("[[stages]]\ndecision_days = {dist = 'fixed', value = 3600}\n"
                     "[[stages]]\ndecision_days = {dist = 'fixed', value = 3000}\n"
                     "[[stages]]\ndecision_days = {dist = 'fixed', value = 1000}\n")
    assert found[0].startswith("stages[0].decision_days: value {dist = 'fixed', value = 3600}")


def test_bounds_come_before_pandas_through_the_command_line(tmp_path, capsys):
    path = tmp_path / "far.toml"
    path.write_text("start_date = 9999-12-01\n[[stages]]\n"
                    "decision_days = {dist = 'fixed', value = 200000}\n", encoding="utf-8")
    assert main(["run", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.splitlines() == [
        f"error: {path}: start_date: value 9999-12-01 is not allowed: must be a date from "
        "1900-01-01 to 2200-12-31, so that the warm-up before it and the dates after it fit "
        "the tables' calendar (pandas dates run from 1677 to 2262)",
        f"error: {path}: stages[0].decision_days.value: value 200000 is not allowed: the mean "
        "must be at most 3650 days"]


# -- the lead-volume cap ---------------------------------------------------------------------
GROWING = '[[channels]]\nkind = "inbound"\nname = "Web"\ngrowth_per_year = 2\n'


def test_growth_over_ten_years_is_refused_before_anything_is_drawn():
    sc = parse_scenario(GROWING)
    with pytest.raises(ScenarioError) as info:
        vary(sc, {"horizon_days": 3650}, "--days")
    assert info.value.source == "--days"
    (problem,) = info.value.problems
    assert problem.startswith(
        "channels[0].growth_per_year: value 2.0 is not allowed: channel 'Web' asks for about "
        "318,0")
    assert "in a run of 3,770 days, warm-up included" in problem
    assert "84,36" in problem  # the peak rate per day
    assert "about 28,0" in problem  # the leads that would arrive on average
    assert f"at most {MAX_LEADS_PER_RUN:,}" in problem


def test_the_command_line_names_the_option_that_broke_the_cap(tmp_path, capsys):
    path = tmp_path / "growing.toml"
    path.write_text(GROWING, encoding="utf-8")
    assert main(["run", str(path), "--days", "3650", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and "MemoryError" not in err
    assert err.startswith("error: --days: channels[0].growth_per_year: value 2.0 is not "
                          "allowed: channel 'Web' asks for about 318,0")


def _campaign(rate_per_day: float, name: str = "Ads") -> str:
    budget = rate_per_day * 365 / 12  # at cost_per_lead = 1
    return (f"[[channels]]\nkind = 'outbound_campaign'\nname = '{name}'\n"
            f"budget_per_month = {budget!r}\ncost_per_lead = 1\n")


RUN_1000_DAYS = "warmup_days = 0\nhorizon_days = 1000\n"


def test_the_cap_at_and_beyond_its_value():
    per_day = MAX_LEADS_PER_RUN / 1000 / sim.rules.channels.PEAK_MARGIN
    at_cap = parse_scenario(RUN_1000_DAYS + _campaign(per_day * 0.999_999))
    assert leads_drawn(at_cap.channels[0], at_cap) <= MAX_LEADS_PER_RUN
    (found,) = problems(RUN_1000_DAYS + _campaign(per_day * 1.000_01))
    assert found.startswith("channels[0].budget_per_month: value ")
    assert "channel 'Ads' asks for about 1,000,0" in found


def test_channels_under_the_cap_alone_but_not_together_blame_the_largest():
    per_day = MAX_LEADS_PER_RUN / 1000 * 0.4
    found = problems(RUN_1000_DAYS + _campaign(per_day, "Small")
                     + _campaign(2 * per_day, "Large"))
    assert len(found) == 1
    assert found[0].startswith("channels[1].budget_per_month: value ")
    assert "the inbound and campaign channels together ask for about 1,200,1" in found[0]
    assert "800,0" in found[0] and "from channel 'Large'" in found[0]


def test_seasonality_is_blamed_when_it_alone_breaks_the_cap():
    rate = MAX_LEADS_PER_RUN / 1000 * 7 * 0.5  # per week: half the cap when flat
    assert paths(RUN_1000_DAYS + "[[channels]]\nkind = 'inbound'\nname = 'Web'\n"
                 f"leads_per_week = {rate}\n"
                 "seasonality = [3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n") == [
        "channels[0].seasonality"]


def test_the_engine_and_the_validator_share_the_arrival_rule():
    assert sim.engine.leadgen.arrival_rate_per_day is sim.rules.channels.arrival_rate_per_day
    assert sim.engine.leadgen.peak_rate_per_day is sim.rules.channels.peak_rate_per_day
    sc = parse_scenario("warmup_days = 0\nhorizon_days = 730\n[[channels]]\nkind = 'inbound'\n"
                        "name = 'Web'\nleads_per_week = 50\ngrowth_per_year = 1\n"
                        "seasonality = [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5]\n")
    channel = sc.channels[0]
    counts = [len(sim.engine.leadgen.arrival_days(channel, sc, Streams(r, 0)["x"]))
              for r in range(20)]
    expected = expected_leads(channel, sc)
    assert expected < leads_drawn(channel, sc)  # growth and seasonality: below the peak
    # 20 Poisson counts of mean ~ 8,000: their mean is within 4 standard errors
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 20)


def test_the_cap_is_documented_where_it_is_enforced():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"at most {MAX_LEADS_PER_RUN:,} lead arrivals in a run" in readme


def test_prospecting_that_could_find_too_many_leads_is_refused():
    # 1000 reps working a 30-hour call list every week at one lead an hour could find
    # about 4 million leads in the roller-coaster's run: refused before anything is drawn
    sc = load_scenario(Path(__file__).resolve().parent.parent / "scenarios"
                       / "roller_coaster.toml")
    i = next(i for i, c in enumerate(sc.channels) if c.kind == "outbound_prospecting")
    with pytest.raises(ScenarioError) as caught:
        vary(sc, {"team.reps": 1000, f"channels[{i}].leads_per_hour": 1.0})
    (problem,) = caught.value.problems
    assert problem.startswith(f"channels[{i}].leads_per_hour: value 1.0 is not allowed: 1000 "
                              "reps prospecting")
    assert "at most 1,000,000" in problem
    # the shipped scenario itself is far below the cap
    assert prospecting_leads_most(sc.channels[i], sc) < MAX_LEADS_PER_RUN / 10
