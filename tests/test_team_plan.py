"""Team changes over time: hires who ramp up, leavers whose deals are reassigned, leaves.

The hours rule (:mod:`sim.rules.reps`) is checked exactly; the scenario's plan rules
through the command line (every problem at once, exit 2, no traceback); the engine on
the shipped ``hiring_plan`` scenario (two hires ramping up from 2027-04-01, Rep 3 leaving
on 2027-06-01, Rep 1 on leave from 2027-08-02 to 2027-08-15) by its records: nobody
works outside their hours, a leaver's deals go on under their new owner and nothing is
lost, and the plan changes neither the leads that arrive nor, when it has no effect
inside the run, anything at all.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.rep_hours import team_over_time, team_plan
from sim.engine.events import Reassigned
from sim.experiments.runner import simulate
from sim.presentation.cli import main as funnel
from sim.rules.calendar import to_day
from sim.rules.dates import add_months
from sim.rules.reps import (
    WorkingHours,
    available_hours,
    rep_hours_on,
    rep_names,
    working_hours,
)
from sim.scenario.files import load_scenario, parse_scenario, to_toml
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent
HIRING_PLAN = ROOT / "scenarios" / "hiring_plan.toml"
LINE = re.compile(r"^error: (?P<file>.+?): (?P<path>\S+): value (?P<value>.+) is not allowed: "
                  r"(?P<rule>.+)$")

JOINS, LEAVES, AWAY, BACK = 90.0, 151.0, 213.0, 227.0
"""hiring_plan's days from 2027-01-01: the hires join (Apr 1), Rep 3 leaves (Jun 1),
Rep 1's leave starts (Aug 2) and ends (back on Aug 16)."""
HIRES = ("New hire 1", "New hire 2")
RAMP = (0.1, 0.3, 0.5, 0.7, 0.9)


def plan(reps: int = 2, **team) -> Scenario:
    """A 2027 scenario with ``reps`` reps of 8 hours a day and this team plan."""
    return Scenario.model_validate({"start_date": dt.date(2027, 1, 1), "horizon_days": 365,
                                    "warmup_days": 30,
                                    "team": {"reps": reps, "hours_per_day": 8, **team}})


# -- the hours rule ----------------------------------------------------------------------------

def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(dt.date(2027, 4, 1), 5) == dt.date(2027, 9, 1)
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)


def test_a_hire_works_nothing_before_joining_then_the_ramp_by_calendar_month():
    sc = plan(hires=[{"name": "Ada", "joins": dt.date(2027, 4, 1), "ramp": [0.25, 0.5, 0.75]}])
    assert rep_names(sc.team) == ["Rep 1", "Rep 2", "Ada"]
    day = {m: to_day(sc.start_date, dt.date(2027, m, 1)) for m in range(1, 13)}
    assert rep_hours_on(sc, "Ada", day[4] - 1e-6) == 0.0
    assert rep_hours_on(sc, "Ada", -30) == 0.0  # nor in the warm-up
    assert [rep_hours_on(sc, "Ada", day[m]) for m in (4, 5, 6, 7, 12)] == [2, 4, 6, 8, 8]
    assert rep_hours_on(sc, 2, day[5] - 1e-6) == 2.0  # by index too
    # April 30 days at 2 h, May 31 at 4, June 30 at 6, then 8 a day
    assert available_hours(sc, day[4], day[8])[2] == pytest.approx(30 * 2 + 31 * 4 + 30 * 6
                                                                     + 31 * 8)
    assert available_hours(sc, 0, day[4]) == [8 * day[4], 8 * day[4], 0.0]


def test_a_leaver_stops_on_the_date_and_a_leave_includes_its_last_day():
    sc = plan(3, departures=[{"rep": "Rep 2", "leaves": dt.date(2027, 6, 1)}],
              absences=[{"rep": "Rep 1", "start": dt.date(2027, 8, 2),
                         "end": dt.date(2027, 8, 15)}])
    leaves = to_day(sc.start_date, dt.date(2027, 6, 1))
    away, back = (to_day(sc.start_date, dt.date(2027, 8, d)) for d in (2, 16))
    assert rep_hours_on(sc, "Rep 2", leaves - 0.5) == 8
    assert rep_hours_on(sc, "Rep 2", leaves) == rep_hours_on(sc, "Rep 2", 364) == 0
    assert rep_hours_on(sc, "Rep 1", away - 0.5) == 8
    assert rep_hours_on(sc, "Rep 1", away) == rep_hours_on(sc, "Rep 1", back - 0.01) == 0
    assert rep_hours_on(sc, "Rep 1", back) == 8
    assert available_hours(sc, 0, 365) == [8 * (365 - 14), 8 * leaves, 8 * 365]


def test_without_a_plan_every_rep_keeps_constant_hours():
    sc = plan(members=[{"hours_per_day": 5}])
    assert working_hours(sc) == [WorkingHours.constant(5), WorkingHours.constant(8)]
    hours = WorkingHours((10.0, 20.0), (0.0, 3.0, 6.0))
    assert hours.segment(20 - 1e-12) == (6.0, np.inf)  # a change a hair away counts as made
    assert hours.shifted(5).on(14.9) == 0.0 and hours.shifted(5).on(15) == 3.0


def test_the_plan_table_lists_every_change(tmp_path):
    table = team_plan(load_scenario(HIRING_PLAN))
    hire = table[table["rep"] == HIRES[0]]
    assert hire["change"].tolist() == ["joins", "ramp", "ramp", "ramp", "ramp", "full"]
    assert hire["share"].tolist() == [*RAMP, 1.0]
    assert hire["start"].tolist() == [dt.date(2027, m, 1) for m in range(4, 10)]
    assert table.loc[table["rep"] == "Rep 3", "change"].tolist() == ["leaves"]
    leave = table[table["change"] == "leave"].iloc[0]
    assert (leave["rep"], leave["start"], leave["end"]) == ("Rep 1", dt.date(2027, 8, 2),
                                                            dt.date(2027, 8, 15))


# -- validation, through the command line ----------------------------------------------------

def _errors(tmp_path, capsys, text: str) -> dict[str, list[str]]:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    status = funnel(["validate", str(path)])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and "Traceback" not in err, err
    found: dict[str, list[str]] = {}
    for line in err.splitlines():
        m = LINE.match(line)
        assert m and m["file"] == str(path), line
        found.setdefault(m["path"], []).append(f"{m['value']}: {m['rule']}")
    return found


BAD_PLAN = """start_date = 2027-01-01
warmup_days = 30
[team]
reps = 2
[[team.hires]]
name = "Rep 1"
joins = 2026-11-01
ramp = [0, 1.5]
[[team.hires]]
name = "Ann"
joins = 2027-04-01
skill = [1, 1]
[[team.departures]]
rep = "Bob"
leaves = 2027-06-01
[[team.departures]]
rep = "Ann"
leaves = 2027-03-01
[[team.departures]]
rep = "Rep 2"
leaves = 2027-03-01
[[team.departures]]
rep = "Rep 2"
leaves = 2037-05-01
[[team.absences]]
rep = "Rep 2"
start = 2027-02-20
end = 2027-03-05
[[team.absences]]
rep = "Ann"
start = 2027-03-01
end = 2027-03-10
[[team.absences]]
rep = "Rep 2"
start = 2027-02-01
end = 2027-01-01
[[team.absences]]
rep = "Rep 2"
start = 2027-01-10
end = 2027-02-25
[[team.absences]]
rep = "Ann"
start = 2027-05-01
end = 2027-05-10
"""


def test_every_plan_problem_is_reported_at_once(tmp_path, capsys):
    found = _errors(tmp_path, capsys, BAD_PLAN)
    expected = {
        "team.hires[0].name": "'Rep 1': rep names must be unique",
        "team.hires[0].joins": "2026-11-01: must be a date from 2026-12-02 (the first day of "
                               "the warm-up) to 2036-12-29",
        "team.hires[0].ramp[0]": "0: must be greater than 0",
        "team.hires[0].ramp[1]": "1.5: must be less than or equal to 1",
        "team.hires[1].skill": "[1, 1]: needs one skill per stage (4)",
        "team.departures[0].rep": "'Bob': must name a rep of the team, one of 'Rep 1', "
                                  "'Rep 2', 'Ann'",
        "team.departures[1].leaves": "2027-03-01: must come after 'Ann' joins (2027-04-01)",
        "team.departures[3].rep": "'Rep 2': a rep leaves once: team.departures[2]",
        "team.departures[3].leaves": "2037-05-01: must be a date from 2026-12-02",
        "team.absences[0].end": "2027-03-05: 'Rep 2' is no longer on the team: they leave on "
                                "2027-03-01",
        "team.absences[1].start": "2027-03-01: 'Ann' is not on the team yet: they join on "
                                  "2027-04-01",
        # Ann's leaving date, wrong as it is, still bounds her leaves
        "team.absences[1].end": "2027-03-10: 'Ann' is no longer on the team",
        "team.absences[4].end": "2027-05-10: 'Ann' is no longer on the team",
        "team.absences[2].end": "2027-01-01: the last day of leave must be on or after its "
                                "first (2027-02-01)",
        "team.absences[3].start": "2027-01-10: leaves of one rep must not overlap: this one "
                                  "(2027-01-10 to 2027-02-25) overlaps team.absences[0]",
    }
    for path, words in expected.items():
        assert any(words in line for line in found.get(path, [])), (path, found.get(path))
    assert set(found) == set(expected)


def test_someone_must_work_at_every_moment(tmp_path, capsys):
    found = _errors(tmp_path, capsys, """start_date = 2027-01-01
[team]
reps = 2
[[team.hires]]
name = "Ann"
joins = 2027-05-01
[[team.departures]]
rep = "Rep 1"
leaves = 2027-03-01
[[team.absences]]
rep = "Rep 2"
start = 2027-02-15
end = 2027-04-30
""")
    assert found == {"team": ["'2027-03-01 to 2027-04-30': no rep works from 2027-03-01 to "
                              "2027-04-30 (reps not joined yet, gone or on leave): at least one "
                              "rep must work at every moment of the run; move a date of "
                              "team.hires, team.departures or team.absences"]}


def test_a_plan_date_after_the_results_period_is_allowed():
    # so that a shorter run of the same plan (`--days`, a sweep over the horizon) works
    short = vary(load_scenario(HIRING_PLAN), {"horizon_days": 60})
    assert short.team.hires[0].joins > dt.date(2027, 3, 1)
    assert rep_hours_on(short, HIRES[0], 59) == 0.0


def test_the_hire_date_can_be_varied_by_path():
    sc = vary(load_scenario(HIRING_PLAN), {"team.hires[0].joins": dt.date(2027, 3, 1)})
    assert sc.team.hires[0].joins == dt.date(2027, 3, 1)
    assert rep_hours_on(sc, HIRES[1], 59) == pytest.approx(0.6)  # 10% of 6 hours in March


# -- the engine on the shipped scenario ----------------------------------------------------------

@pytest.fixture(scope="module")
def run():
    return simulate(load_scenario(HIRING_PLAN), 0)


def _rows(table: pd.DataFrame, rep: str) -> pd.DataFrame:
    return table[table["rep"] == rep]


def test_nobody_works_outside_their_hours(run):
    rt = run.rep_time
    for hire in HIRES:
        assert _rows(rt, hire)["start_day"].min() >= JOINS
        assert len(_rows(rt, hire)) > 50  # and they do work once there
    assert _rows(rt, "Rep 3")["end_day"].max() <= LEAVES
    away = _rows(rt, "Rep 1")
    assert not ((away["end_day"] > AWAY) & (away["start_day"] < BACK)).any()
    assert (away["start_day"] >= BACK).sum() > 50  # back at work after the leave
    # and no rep does anything in the events outside their hours either
    ev = run.events[run.events["event"] != "reassigned"]
    assert _rows(ev, "Rep 3")["day"].max() <= LEAVES
    assert all(_rows(ev, hire)["day"].min() >= JOINS for hire in HIRES)
    leave = _rows(ev, "Rep 1")
    created = leave[leave["event"].isin(["lead_created", "work_start", "verify_start"])]
    assert not ((created["day"] >= AWAY) & (created["day"] < BACK)).any()


def test_a_rep_works_at_most_the_hours_the_plan_gives_them(run):
    team = team_over_time(run, "month")
    reps = team[team["rep"] != "team"]
    assert (reps["hours"] <= reps["available_hours"] + 1e-6).all()
    hire = _rows(team, HIRES[0]).set_index("period")
    # the ramp exactly: 10% of 6 hours a day over April's 30 days, 30% over May's 31, ...
    expected = [0, 0, 0, 30 * 0.6, 31 * 1.8, 30 * 3.0, 31 * 4.2, 31 * 5.4, 30 * 6, 31 * 6]
    assert hire["available_hours"].iloc[:10].tolist() == pytest.approx(expected)
    # the ramp shows as fewer hours worked in the first months than once at full speed
    worked = hire["hours"]
    assert worked["2027-04"] <= 18 < worked["2027-10"]
    assert worked.iloc[3:8].is_monotonic_increasing
    # the team's full-time equivalents: 5, then +0.2 for the hires, -1 for Rep 3, ...
    fte = _rows(team, "team").set_index("period")["fte"]
    assert fte[["2027-01", "2027-04", "2027-06", "2027-09"]].tolist() == pytest.approx(
        [5, 5.2, 5.0, 6.0])
    assert fte["2027-08"] == pytest.approx(3 + 2 * 0.9 + 17 / 31)  # Rep 1 away 14 days


def test_utilisation_divides_by_the_hours_really_available(run):
    sc = run.scenario
    rt = run.facts("rep_time")
    busy = float(team_over_time(run, "year")["hours"].iloc[-1])
    available = sum(available_hours(sc, 0, sc.horizon_days))
    # Reps 2, 4, 5 all year, Rep 1 less 14 days' leave, Rep 3 to June, the hires ramping
    assert available == pytest.approx(6 * (3 * 365 + 365 - 14 + 151 + 2 * (
        30 * 0.1 + 31 * 0.3 + 30 * 0.5 + 31 * 0.7 + 31 * 0.9 + 122)))
    assert run.kpis()["rep_utilization"] == pytest.approx(busy / available)
    naive = busy / (7 * 6 * sc.horizon_days)
    assert run.kpis()["rep_utilization"] > naive + 0.1
    assert len(rt["rep"]) == len(run.rep_time)


def test_a_leavers_deals_and_leads_go_on_under_their_new_owner(run):
    ev = run.events
    moved = ev[ev["event"] == "reassigned"]
    assert len(moved) > 0
    assert (moved["rep"] == "Rep 3").all() and (moved["day"] == LEAVES).all()
    working = {"Rep 1", "Rep 2", "Rep 4", "Rep 5", *HIRES}
    assert set(moved["to_rep"]) <= working
    assert (ev.loc[ev["event"] != "reassigned", "to_rep"] == "").all()
    deals = moved[moved["opportunity_id"] >= 0]
    opps = run.opportunities.set_index("opportunity_id")
    # every deal Rep 3 owned still open on the day they left was moved, once
    history = run.stage_history
    theirs = history.loc[history["owner"] == "Rep 3", "opportunity_id"].unique()
    o = opps.loc[theirs]
    still_open = o[(o["created_day"] < LEAVES) & ~(o["closed_day"] < LEAVES)].index
    assert sorted(deals["opportunity_id"]) == sorted(still_open)
    assert deals["opportunity_id"].is_unique
    # owned by the new rep, and worked on by them afterwards
    assert (opps.loc[deals["opportunity_id"], "owner"].to_numpy() == deals["to_rep"]).all()
    later = ev[ev["opportunity_id"].isin(deals["opportunity_id"]) & (ev["day"] > LEAVES)]
    assert len(later) > 0 and not (later["rep"] == "Rep 3").any()
    # nothing is lost: every deal ends won, lost or tracking, as many as were created
    assert set(opps["status"]) <= {"won", "lost", "tracking"}
    assert len(opps) == (ev["event"] == "opp_created").sum()
    assert set(opps.loc[deals["opportunity_id"], "status"]) <= {"won", "lost", "tracking"}


def test_round_robin_deals_a_leavers_work_out_in_turn_in_a_pooled_team():
    sc = vary(load_scenario(HIRING_PLAN), {"team.assignment": "pool",
                                           "team.reassign": "round_robin",
                                           "horizon_days": 180})
    result = simulate(sc, 1)
    moved = result.events[result.events["event"] == "reassigned"]
    working = ["Rep 1", "Rep 2", "Rep 4", "Rep 5", *HIRES]
    assert len(moved) >= 3
    assert moved["to_rep"].tolist() == [working[i % 6] for i in range(len(moved))]
    assert _rows(result.rep_time, "Rep 3")["end_day"].max() <= LEAVES
    leads = result.leads.set_index("lead_id")
    lead_moves = moved[moved["opportunity_id"] < 0]
    assert (leads.loc[lead_moves["lead_id"], "owner"].to_numpy()
            == lead_moves["to_rep"].to_numpy()).all()


def test_a_task_is_cut_only_where_the_reps_hours_change(run):
    rt = run.rep_time
    cut = rt[~rt["finished"] & (rt["end_day"] < run.scenario.horizon_days)]
    assert len(cut) > 0
    # a stretch stops short only where a rep's hours change: Rep 1's leave, Rep 3's
    # leaving, the hires' ramp months; so each stretch has one rate, and spreading its
    # hours over its time is exact
    edges = dict(zip(run.rep_names, (h.edges for h in working_hours(run.scenario)),
                     strict=True))
    assert all(end in edges[rep] for rep, end in zip(cut["rep"], cut["end_day"], strict=True))
    assert set(cut["rep"]) <= {"Rep 1", "Rep 3", *HIRES}


def test_the_plan_goes_through_toml_and_its_events_keep_their_fields(run):
    sc = load_scenario(HIRING_PLAN)
    assert parse_scenario(to_toml(sc)) == sc
    rows = run.records.events["reassigned"]
    assert rows and all(len(r) == len(Reassigned._fields) for r in rows)


# -- common random numbers, and no change without a plan ------------------------------------

def _no_plan(sc: Scenario) -> Scenario:
    return vary(sc, {"team.hires": [], "team.departures": [], "team.absences": []})


def test_the_plan_does_not_change_which_leads_arrive(run):
    without = simulate(_no_plan(run.scenario), 0)
    marketing = {ch.name for ch in run.scenario.channels if ch.kind != "outbound_prospecting"}

    def arrivals(result):
        leads = result.leads[result.leads["channel"].isin(marketing)]
        return leads[["channel", "created_day"]].sort_values(
            ["channel", "created_day"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(arrivals(run), arrivals(without))
    assert not run.rep_time["hours"].sum() == pytest.approx(without.rep_time["hours"].sum())


@pytest.mark.parametrize("assignment", ["round_robin", "least_loaded", "random", "pool"])
def test_a_plan_that_changes_nothing_in_the_run_changes_no_record(assignment):
    # a leave after the results period puts every rep on the plan's code path (hours by
    # segment, leads only to working reps) with nothing to change inside the run
    base = vary(_no_plan(load_scenario(HIRING_PLAN)), {"horizon_days": 90,
                                                         "team.assignment": assignment})
    later = vary(base, {"team.absences": [{"rep": f"Rep {i}", "start": dt.date(2027, 6, 1),
                                           "end": dt.date(2027, 6, 30)} for i in range(1, 6)]})
    a, b = simulate(base, 2), simulate(later, 2)
    assert pd.Series(a.kpis()).equals(pd.Series(b.kpis()))
    for name in ("rep_time", "leads", "opportunities", "events"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
