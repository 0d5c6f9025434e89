"""The movement view: each move classified as the course's words say, and Opening plus the
moves always equal to Closing (on a hand-made history, on runs, on the Salesforce
fixture, and on random histories)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import load_scenario, simulate, vary
from sim.crm.export import crm_tables
from sim.crm.movement import MOVES, category_changes, deal_states, movement, movement_of_run
from sim.crm.reader import read_history, read_opportunities
from sim.presentation import plots
from sim.presentation.cli import main
from sim.presentation.report import build_report
from sim.rules.calendar import period_bounds

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
Q2 = period_bounds("2027-Q2")


def frames(rows):
    """Opportunities and history from history rows (id, timestamp, stage, amount,
    expected close, category)."""
    hist = pd.DataFrame(rows, columns=["opportunity_id", "timestamp", "stage", "amount",
                                       "expected_close", "forecast_category"])
    hist["timestamp"] = pd.to_datetime(hist["timestamp"])
    hist["expected_close"] = pd.to_datetime(hist["expected_close"])
    last = hist.groupby("opportunity_id").tail(1)
    opps = pd.DataFrame({"id": last["opportunity_id"], "stage": last["stage"],
                         "amount": last["amount"], "created": hist.groupby(
                             "opportunity_id")["timestamp"].transform("min")[last.index],
                         "expected_close": last["expected_close"],
                         "forecast_category": last["forecast_category"],
                         "status": "tracking", "closed_date": pd.NaT})
    return opps.reset_index(drop=True), hist


def by_move(table):
    return table.set_index("movement")


def reconciles(table):
    rows = by_move(table)
    moves = rows.drop(index=["Opening", "Closing"])
    return (rows.loc["Opening", "deals"] + moves["deals"].sum() == rows.loc["Closing", "deals"]
            and np.isclose(rows.loc["Opening", "amount"] + moves["amount"].sum(),
                           rows.loc["Closing", "amount"]))


HAND = [
    # a: in Q2 from March, amount up in April, won in May
    ("a", "2027-03-01", "Demo", 100, "2027-05-15", "pipeline"),
    ("a", "2027-04-10", "Demo", 150, "2027-05-15", "best_case"),
    ("a", "2027-05-10", "Closed Won", 150, "2027-05-10", "closed"),
    # b: in Q2 from March, pushed to Q3 in June
    ("b", "2027-03-05", "Demo", 200, "2027-06-20", "pipeline"),
    ("b", "2027-06-01", "Demo", 200, "2027-07-20", "pipeline"),
    # c: expected in Q3, pulled into Q2 in April, lost in June at a lower amount
    ("c", "2027-02-01", "Demo", 300, "2027-08-01", "pipeline"),
    ("c", "2027-04-20", "Demo", 300, "2027-06-01", "commit"),
    ("c", "2027-06-15", "Closed Lost", 250, "2027-06-15", "omitted"),
    # d: created in May for June, still open at the end, its category raised
    ("d", "2027-05-02", "Demo", 400, "2027-06-30", "pipeline"),
    ("d", "2027-05-20", "Proposal", 400, "2027-06-30", "commit"),
    # e: created in Q2 for Q4: never in the pipeline
    ("e", "2027-04-02", "Demo", 999, "2027-11-30", "pipeline"),
    # f: in Q2 from January, amount down in April, still open at the end
    ("f", "2027-01-10", "Demo", 500, "2027-04-30", "pipeline"),
    ("f", "2027-04-15", "Demo", 450, "2027-04-30", "pipeline"),
]


def test_each_move_is_classified_as_the_course_says():
    opps, hist = frames(HAND)
    table = movement(opps, hist, *Q2)
    assert list(table["movement"]) == list(MOVES)
    got = {row.movement: (row.deals, row.amount, row.changes)
           for row in table.itertuples(index=False)}
    assert got == {
        "Opening": (3, 800.0, 3),  # a, b, f
        "New": (1, 400.0, 1),  # d
        "Pulled in": (1, 300.0, 1),  # c
        "Pushed out": (-1, -200.0, 1),  # b
        "Won": (-1, -150.0, 1),  # a at its raised amount
        "Lost": (-1, -250.0, 1),  # c, after its amount fell
        "Amount up": (0, 50.0, 1),  # a
        "Amount down": (0, -100.0, 2),  # f (-50) and c (-50, as it was lost)
        "Closing": (2, 850.0, 2),  # d and f
    }
    assert reconciles(table)
    changes = category_changes(opps, hist, *Q2)
    pairs = {(r.from_category, r.to_category): (r.deals, r.amount)
             for r in changes.itertuples(index=False)}
    # a's change came with its amount change; d's with a stage change; c's entry is not one
    assert pairs == {("pipeline", "best_case"): (1, 150.0), ("pipeline", "commit"): (1, 400.0)}


def test_the_state_at_an_instant_is_the_latest_row_at_or_before_it():
    opps, hist = frames(HAND)
    states = deal_states(opps, hist, "2027-04-10").set_index("opportunity_id")
    assert states.loc["a", "amount"] == 150  # the change at that very instant counts
    assert "d" not in states.index  # not created yet
    assert states.loc["c", "expected_close"] == pd.Timestamp("2027-08-01")
    end = deal_states(opps, hist, "2027-12-31").set_index("opportunity_id")
    assert not end.loc["a", "open"] and end.loc["d", "open"]


def test_the_opening_and_closing_are_the_pipeline_then():
    opps, hist = frames(HAND)
    table = by_move(movement(opps, hist, *Q2))
    start, end = Q2
    for name, t in (("Opening", start), ("Closing", end)):
        states = deal_states(opps, hist, t - pd.Timedelta(seconds=1))
        pipe = states[states["open"] & (states["expected_close"] >= start)
                      & (states["expected_close"] < end)]
        assert (table.loc[name, "deals"], table.loc[name, "amount"]) == (
            len(pipe), pipe["amount"].sum())


def test_a_deal_without_history_counts_from_its_opportunity_row():
    opps, hist = frames(HAND)
    extra = pd.DataFrame({"id": ["g"], "stage": ["Demo"], "amount": [70.0],
                          "created": [pd.Timestamp("2027-04-05")],
                          "expected_close": [pd.Timestamp("2027-06-01")],
                          "forecast_category": ["pipeline"], "status": ["won"],
                          "closed_date": [pd.Timestamp("2027-05-05")]})
    table = by_move(movement(pd.concat([opps, extra], ignore_index=True), hist, *Q2))
    assert table.loc["New", "amount"] == 470.0 and table.loc["Won", "amount"] == -220.0


def test_missing_history_amounts_are_carried_forward():
    rows = [list(r) for r in HAND]
    rows[1][3] = np.nan  # a's April row without an amount: still 100
    opps, hist = frames([tuple(r) for r in rows])
    table = by_move(movement(opps, hist, *Q2))
    assert table.loc["Amount up", "amount"] == 50.0  # at the win, 100 -> 150
    assert reconciles(table.reset_index())


def test_the_salesforce_fixture_reconciles_in_every_period():
    opps = read_opportunities(DATA / "salesforce_opportunities.csv")
    hist = read_history(DATA / "salesforce_history.csv")
    for period in ("2027-Q1", "2027-Q2", "2027-Q3", "2027-03", "2027-05", "2027"):
        table = movement(opps, hist, *period_bounds(period))
        assert reconciles(table), period
    q2 = by_move(movement(opps, hist, *Q2))
    # the fixture has every kind of move in its second quarter
    assert (q2.loc[["New", "Pulled in", "Amount up", "Amount down"], "changes"] > 0).all()
    assert (q2.loc[["Pushed out", "Won", "Lost"], "deals"] < 0).all()


@pytest.fixture(scope="module")
def run():
    return simulate(vary(load_scenario(ROOT / "scenarios" / "baseline.toml"),
                         {"horizon_days": 200}))


def test_a_run_reconciles_in_every_month_and_quarter(run):
    for period in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
                   "2026-Q1", "2026-Q2", "2026-Q3"):
        table = movement_of_run(run, period)
        assert reconciles(table), period
    q1 = by_move(movement_of_run(run, "2026-Q1"))
    assert q1.loc["Opening", "deals"] > 0 and q1.loc["Won", "deals"] < 0


def test_a_runs_won_moves_are_the_wins_of_deals_expected_in_the_period(run):
    # every deal won in the quarter while expected in it leaves as Won; none else does
    opps, hist = crm_tables(run)
    start, end = period_bounds("2026-Q2")
    table = by_move(movement(opps, hist, start, end))
    won = opps[(opps["status"] == "won") & (opps["closed_date"] >= start)
               & (opps["closed_date"] < end)]
    states = hist.groupby("opportunity_id").apply(
        lambda h: h.iloc[-2] if len(h) > 1 else h.iloc[-1], include_groups=False)
    before_win = states.loc[won["id"]]
    expected_in = (before_win["expected_close"] >= start) & (before_win["expected_close"] < end)
    assert -table.loc["Won", "deals"] == expected_in.sum()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(
    st.integers(0, 5),  # deal
    st.integers(0, 300),  # day of the change
    st.sampled_from(["A", "B", "Closed Won", "Closed Lost"]),
    st.integers(0, 5) .map(lambda k: 100.0 * k),  # amount
    st.integers(0, 365),  # expected close day
    st.sampled_from(["pipeline", "best_case", "commit"]),
), min_size=1, max_size=40), st.integers(0, 250), st.integers(1, 120))
def test_opening_plus_moves_is_closing_for_any_history(rows, first, length):
    origin = pd.Timestamp("2027-01-01")
    day = pd.Timedelta(days=1)
    opps, hist = frames([(f"d{d}", origin + t * day, s, a, origin + c * day, k)
                         for d, t, s, a, c, k in rows])
    start, end = origin + first * day, origin + (first + length) * day
    table = movement(opps, hist, start, end)
    assert reconciles(table)
    flows = by_move(table).drop(index=["Opening", "Closing"])
    assert (flows["changes"] >= 0).all()
    assert (flows.loc[["New", "Pulled in", "Amount up"], "amount"] >= 0).all()
    assert (flows.loc[["Pushed out", "Won", "Lost", "Amount down"], "amount"] <= 0).all()


# -- the chart, the report and the command ---------------------------------------------------
def test_the_report_shows_the_movement_of_the_last_whole_period(run):
    page = build_report(run)
    period = plots.last_whole_period(run)
    assert period == "2026Q2"  # 200 days from 1 January: Q1 and Q2 are whole
    assert f"Pipeline movement in {period}" in page and "Pulled in" in page


def test_without_a_whole_period_the_chart_says_no_data(run):
    short = simulate(vary(run.scenario, {"horizon_days": 30}))
    assert plots.last_whole_period(short) is None
    fig = plots.movement_chart(short)
    assert any("No data" in t.get_text() for t in fig.axes[0].texts)
    assert "No data: the results period holds no whole quarter" in build_report(short)


def test_the_movement_command_prints_and_writes(tmp_path, capsys):
    out = tmp_path / "mv"
    status = main(["movement", str(DATA / "salesforce_opportunities.csv"), "--history",
                   str(DATA / "salesforce_history.csv"), "--from", "2027-04-01", "--to",
                   "2027-06-30", "--out", str(out)])
    text, err = capsys.readouterr()
    assert status == 0, err
    assert "Pipeline movement, 2027-04-01 to 2027-06-30" in text
    for move in MOVES:
        assert move in text
    assert sorted(p.name for p in out.iterdir()) == ["category_changes.csv", "movement.csv",
                                                     "movement.png"]
    written = pd.read_csv(out / "movement.csv")
    assert list(written["movement"]) == list(MOVES) and reconciles(written)
    assert (out / "movement.png").read_bytes()[:4] == b"\x89PNG"


def test_the_movement_command_refuses_a_full_out_folder(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    status = main(["movement", str(DATA / "salesforce_opportunities.csv"), "--history",
                   str(DATA / "salesforce_history.csv"), "--out", str(tmp_path)])
    _, err = capsys.readouterr()
    assert status == 2 and "is not empty" in err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_without_a_period_the_command_takes_the_quarter_of_the_last_change(capsys):
    status = main(["movement", str(DATA / "salesforce_opportunities.csv"), "--history",
                   str(DATA / "salesforce_history.csv"), "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    data = json.loads(out)
    last = read_history(DATA / "salesforce_history.csv")["timestamp"].max()
    assert data["start"] == "2027-07-01" and last.quarter == 3 and last.year == 2027
    assert data["history_ends"] == f"{last:%Y-%m-%d %H:%M:%S}"
