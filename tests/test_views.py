"""The opportunity view at any date: on hand-built histories whose answer is known, and
on real runs, recomputed independently from the opportunity table, the event log and
the reps' time."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from simhelpers import with_owner_estimates

from sim.analysis.levels import level_stock, team_level_stock
from sim.analysis.views import (
    DISTRIBUTION_BY,
    LIST_COLUMNS,
    STATUSES,
    as_of_day,
    cohort_funnel,
    distribution,
    funnel,
    opportunity_list,
)
from sim.experiments.runner import simulate
from sim.scenario.distributions import Fixed
from sim.scenario.files import load_scenario
from sim.scenario.schema import Scenario, Stage
from sim.scenario.variants import vary

# -- a hand-built history -----------------------------------------------------------------
# Three stages of 1 work day (6 h at 6 h/day) and 9 fixed decision days: the normal cycle
# is 30 days, so Best Few means "stage win rate >= 0.5 and closing within 15 days", which
# only the last stage (0.8) can meet. Rot thresholds differ per stage: 5, 10, 20 days.
# The run is 10 warm-up days and 60 results days from 2026-01-01.
ROT = (5.0, 10.0, 20.0)


def _scenario() -> Scenario:
    stages = [Stage(name=name, win_rate=w, work_hours=6, decision_days=Fixed(value=9),
                    rot_days=rot)
              for name, w, rot in zip(("Contact", "Proposal", "Signing"), (0.2, 0.4, 0.8),
                                      ROT, strict=True)]
    return Scenario(stages=stages, start_date=dt.date(2026, 1, 1), warmup_days=10,
                    horizon_days=60, team={"reps": 2, "hours_per_day": 6},
                    post_sale={"work_hours": 2})


# (opportunity, stage, entered, expected close, work start, work end, decided, outcome,
#  lost reason)
NAN = np.nan
HISTORY = [
    # 0: won on day 30 after three stages; post-sale work done on day 33
    (0, 0, 0.0, 30.0, 0.0, 1.0, 10.0, "advanced", ""),
    (0, 1, 10.0, 30.0, 12.0, 13.0, 20.0, "advanced", ""),
    (0, 2, 20.0, 32.0, 21.0, 22.0, 30.0, "won", ""),
    # 1: lost to a competitor in stage 1 on day 25
    (1, 0, 2.0, 32.0, 3.0, 4.0, 12.0, "advanced", ""),
    (1, 1, 12.0, 34.0, 15.0, 16.0, 25.0, "lost", "competitor"),
    # 2: entered stage 0 on day 5 and never worked: it rots after day 10
    (2, 0, 5.0, 35.0, NAN, NAN, NAN, "open", ""),
    # 3: created in the warm-up, tracking in the last stage with extra closing effort
    (3, 0, -8.0, 22.0, -8.0, -7.0, 3.0, "advanced", ""),
    (3, 1, 3.0, 25.0, 4.0, 5.0, 14.0, "advanced", ""),
    (3, 2, 14.0, 26.0, 14.0, 15.0, NAN, "open", ""),
    # 4: lost for lack of budget in stage 0 on day 16
    (4, 0, 6.0, 36.0, 6.0, 7.0, 16.0, "lost", "no_budget"),
    # 5: created on day 40
    (5, 0, 40.0, 70.0, 41.0, 42.0, NAN, "open", ""),
]
CREATED = {0: 0.0, 1: 2.0, 2: 5.0, 3: -8.0, 4: 6.0, 5: 40.0}
AMOUNT = {0: 1000.0, 1: 2000.0, 2: 3000.0, 3: 4000.0, 4: 5000.0, 5: 6000.0}
OWNER = {0: "Ann", 1: "Bob", 2: "Ann", 3: "Bob", 4: "Ann", 5: "Bob"}


def _fake(history=HISTORY, effort=((3, 20.0, 20.5), (3, 30.0, 30.5))):
    """A result-like object: only what the view may read (no final status or stage in
    the opportunity table, so the view must rebuild them from the history)."""
    sc = _scenario()
    ids = sorted(CREATED)
    opps = pd.DataFrame({
        "opportunity_id": ids,
        "subject": [f"Deal #{i}" for i in ids],
        "customer": [f"Customer {i}" for i in ids],
        "priority": ["high", "medium", "low", "medium", "high", "low"],
        "star": [True, False, False, True, False, False],
        "type": ["strategic", "tactical", "tactical", "strategic", "tactical", "tactical"],
        "kind": ["contract", "order", "order", "contract", "order", "contract"],
        "owner": [OWNER[i] for i in ids],
        "channel": ["Search", "Online ads", "Search", "Search", "Online ads", "Search"],
        "medium": ["search", "online_ads", "search", "search", "online_ads", "search"],
        "amount": [AMOUNT[i] for i in ids],
        "created_day": [CREATED[i] for i in ids],
    })
    hist = pd.DataFrame(history, columns=[
        "opportunity_id", "stage_index", "entered_day", "expected_close_day",
        "work_start_day", "work_end_day", "decided_day", "outcome", "lost_reason"])
    hist.insert(2, "stage", [sc.stages[k].name for k in hist["stage_index"]])
    hist.insert(3, "owner", hist["opportunity_id"].map(OWNER))
    rows = [("Ann", "effort", 2, "best_few", -1, opp, start, end, 3.0)
            for opp, start, end in effort]
    # a lead verified on day 9 has id 2, like opportunity 2: it is not work on the deal
    rows.append(("Ann", "verify", -1, "above_funnel", 2, -1, 9.0, 9.1, 0.5))
    rep_time = pd.DataFrame(rows, columns=["rep", "activity", "stage_index", "level", "lead_id",
                                           "opportunity_id", "start_day", "end_day", "hours"])
    hist, forecast_history = with_owner_estimates(hist)
    return SimpleNamespace(scenario=sc, opportunities=opps, stage_history=hist,
                           forecast_history=forecast_history,
                           rep_time=rep_time, handover_days=pd.Series({0: 33.0}),
                           rep_names=["Ann", "Bob"])


def _row(view: pd.DataFrame, opp: int) -> pd.Series:
    rows = view[view["opportunity_id"] == opp]
    assert len(rows) == 1, f"opportunity {opp} listed {len(rows)} times"
    return rows.iloc[0]


def test_list_has_the_crm_columns_and_only_deals_created_by_then():
    res = _fake()
    assert list(opportunity_list(res, on=0).columns) == LIST_COLUMNS
    # created on day 0 exactly: listed on day 0; created on day 40: listed from day 40
    assert set(opportunity_list(res, on=0)["opportunity_id"]) == {0, 3}
    assert set(opportunity_list(res, on=39.99)["opportunity_id"]) == {0, 1, 2, 3, 4}
    assert set(opportunity_list(res, on=40)["opportunity_id"]) == {0, 1, 2, 3, 4, 5}
    assert set(opportunity_list(res, on=-9)["opportunity_id"]) == set()
    assert len(opportunity_list(res, on=-9).columns) == len(LIST_COLUMNS)


def test_stage_and_expected_close_are_those_of_the_stage_the_deal_was_in():
    res = _fake()
    before = _row(opportunity_list(res, on=9.99), 0)
    assert (before["stage_index"], before["stage"]) == (0, "Contact")
    # advanced exactly on day 10: on that day it is in the next stage
    at = _row(opportunity_list(res, on=10), 0)
    assert (at["stage_index"], at["stage"]) == (1, "Proposal")
    assert at["expected_close_day"] == 30.0
    assert at["expected_close"] == pd.Timestamp("2026-01-31")
    later = _row(opportunity_list(res, on=21), 0)
    assert (later["stage"], later["expected_close"]) == ("Signing", pd.Timestamp("2026-02-02"))
    assert later["days_in_stage"] == pytest.approx(1.0)


def test_status_is_as_of_the_date_and_a_decision_on_the_date_counts():
    res = _fake()
    deal = _row(opportunity_list(res, on=24.5), 1)
    assert (deal["status"], deal["lost_reason"], deal["level"]) == ("tracking", "", "in_funnel")
    assert np.isnan(deal["closed_day"])
    deal = _row(opportunity_list(res, on=25), 1)
    assert (deal["status"], deal["lost_reason"], deal["level"]) == ("lost", "competitor", "lost")
    assert deal["closed_day"] == 25.0
    assert deal["days_in_stage"] == pytest.approx(13.0)  # 12 -> 25 in stage 1
    # the same edge given as a date: day 16 is 2026-01-17
    assert _row(opportunity_list(res, on="2026-01-16"), 4)["status"] == "tracking"
    lost = _row(opportunity_list(res, on="2026-01-17"), 4)
    assert (lost["status"], lost["lost_reason"]) == ("lost", "no_budget")


def test_won_deal_is_in_orders_until_post_sale_work_is_done_then_closed():
    res = _fake()
    assert _row(opportunity_list(res, on=29.9), 0)["status"] == "tracking"
    assert _row(opportunity_list(res, on=29.9), 0)["level"] == "best_few"
    won = _row(opportunity_list(res, on=30), 0)
    assert (won["status"], won["level"], won["closed_day"]) == ("won", "orders", 30.0)
    assert not won["rotting"] and np.isnan(won["days_since_activity"])
    assert _row(opportunity_list(res, on=32.9), 0)["level"] == "orders"
    assert _row(opportunity_list(res, on=33), 0)["level"] == "closed"
    # without post-sale work a won deal is closed at once
    bare = _fake()
    bare.scenario = vary(bare.scenario, {"post_sale": {"work_hours": 0}})
    assert _row(opportunity_list(bare, on=30), 0)["level"] == "closed"


def test_best_few_follows_the_stage_win_rate_and_the_estimate():
    res = _fake()
    # deal 3: stage 1 (win rate 0.4) is never Best Few; stage 2 (0.8) closing on day 26
    assert _row(opportunity_list(res, on=13.9), 3)["level"] == "in_funnel"
    assert _row(opportunity_list(res, on=14), 3)["level"] == "best_few"
    # and it stays Best Few after its estimate has slipped into the past
    assert _row(opportunity_list(res, on=50), 3)["level"] == "best_few"
    # a stricter rule: closing within 0.3 x 30 = 9 days, from day 17 on
    strict = _fake()
    strict.scenario = vary(strict.scenario, {"best_few": {"close_within_cycle_share": 0.3}})
    assert _row(opportunity_list(strict, on=16.9), 3)["level"] == "in_funnel"
    assert _row(opportunity_list(strict, on=17), 3)["level"] == "best_few"


def test_rotting_flag_at_its_threshold():
    res = _fake()
    # deal 2 entered stage 0 (rot after 5 days) on day 5 and nobody touched it; the
    # lead verified on day 9 shares its id but is not work on the deal
    at = _row(opportunity_list(res, on=10), 2)
    assert at["days_since_activity"] == pytest.approx(5.0)
    assert not at["rotting"]
    after = _row(opportunity_list(res, on=10.5), 2)
    assert after["rotting"]
    assert after["days_in_stage"] == pytest.approx(5.5)
    # deal 3 in stage 2 (rot after 20 days): work ended on day 15, effort on days 20-20.5
    # and 30-30.5; a session under way is activity now (the rep is on the deal)
    view = {on: _row(opportunity_list(res, on=on), 3) for on in (19, 20.25, 29, 30.25, 50.5,
                                                                51)}
    assert view[19]["days_since_activity"] == pytest.approx(4.0)
    assert view[20.25]["days_since_activity"] == pytest.approx(0.0)
    assert view[29]["days_since_activity"] == pytest.approx(8.5)
    assert view[30.25]["days_since_activity"] == pytest.approx(0.0)
    assert view[50.5]["days_since_activity"] == pytest.approx(20.0)
    assert not view[50.5]["rotting"]
    assert view[51]["rotting"]
    # without the effort sessions the deal would have rotted 20 days after its work ended
    idle = _fake(effort=())
    assert not _row(opportunity_list(idle, on=35), 3)["rotting"]
    assert _row(opportunity_list(idle, on=35.01), 3)["rotting"]


def test_list_is_sorted_by_expected_close():
    view = opportunity_list(_fake(), on=45)
    assert view["expected_close_day"].is_monotonic_increasing
    assert list(view["opportunity_id"]) == [3, 0, 1, 2, 4, 5]


def test_funnel_counts_tracking_deals_only_on_hand_built_history():
    res = _fake()
    expected = {
        # day: {stage: [tracking deals]}
        0: {0: [0, 3]},
        10: {0: [1, 2, 4], 1: [0, 3], 2: []},
        16: {0: [2], 1: [0, 1], 2: [3]},  # 4 lost on day 16
        25: {0: [2], 2: [0, 3]},  # 1 lost on day 25
        30: {0: [2], 2: [3]},  # 0 won on day 30
        60: {0: [2, 5], 2: [3]},
    }
    for day, stages in expected.items():
        f = funnel(res, on=day)
        assert list(f["stage"]) == ["Contact", "Proposal", "Signing"]
        counts = [len(stages.get(k, [])) for k in range(3)]
        amounts = [sum(AMOUNT[i] for i in stages.get(k, [])) for k in range(3)]
        assert list(f["count"]) == counts, day
        np.testing.assert_allclose(f["amount"], amounts)
        np.testing.assert_allclose(f["weighted_amount"], np.multiply(amounts, [0.2, 0.4, 0.8]))
    # won and lost deals never appear, whatever the date: check around every change
    changes = np.unique(np.concatenate([[-10.0, 60.0], [h[2] for h in HISTORY],
                                        [h[6] for h in HISTORY if not np.isnan(h[6])]]))
    for day in np.unique(np.clip(np.concatenate([changes - 1e-6, changes]), -10, 60)):
        view = opportunity_list(res, on=day)
        assert funnel(res, on=day)["count"].sum() == (view["status"] == "tracking").sum()


def test_funnel_weights_with_the_managers_or_the_true_win_rates():
    res = _fake()
    res.scenario = vary(res.scenario, {"forecast": {"assumed_win_rates": [0.1, 0.5, 0.9]}})
    assumed, true = funnel(res, on=16), funnel(res, on=16, win_rates="true")
    np.testing.assert_allclose(assumed["weighted_amount"], [3000 * 0.1, 3000 * 0.5, 4000 * 0.9])
    np.testing.assert_allclose(true["weighted_amount"], [3000 * 0.2, 3000 * 0.4, 4000 * 0.8])
    # deal 2 rots in stage 0 from day 10.5 on
    assert list(funnel(res, on=16)["rotting"]) == [1, 0, 0]
    with pytest.raises(ValueError, match="win_rates='believed'"):
        funnel(res, win_rates="believed")


def test_distribution_by_status_and_by_category_on_hand_built_history():
    res = _fake()
    by_status = distribution(res, "status", on=30)
    assert list(by_status["status"]) == list(STATUSES)
    assert list(by_status["count"]) == [2, 1, 2]  # tracking 2, 3; won 0; lost 1, 4
    np.testing.assert_allclose(by_status["amount"], [7000, 1000, 7000])
    np.testing.assert_allclose(by_status["mean_amount"], [3500, 1000, 3500])
    np.testing.assert_allclose(by_status["count_share"], [0.4, 0.2, 0.4])
    np.testing.assert_allclose(by_status["amount_share"], [7 / 15, 1 / 15, 7 / 15])

    by_stage = distribution(res, "stage", on=30, status="tracking")
    assert list(by_stage["stage"]) == ["Contact", "Proposal", "Signing"]
    assert list(by_stage["count"]) == [1, 0, 1]
    assert np.isnan(by_stage["mean_amount"].iloc[1])

    lost = distribution(res, "lost_reason", on=30)
    assert dict(zip(lost["lost_reason"], lost["count"], strict=True)) == {
        "competitor": 1, "no_budget": 1}
    priority = distribution(res, "priority", on=60, status=["won", "lost"])
    assert list(priority["priority"]) == ["high", "medium", "low"]
    assert list(priority["count"]) == [2, 1, 0]  # 0 and 4 high, 1 medium
    owners = distribution(res, "owner")
    assert list(owners["owner"]) == ["Ann", "Bob"] and list(owners["count"]) == [3, 3]


def test_distribution_of_the_deals_created_in_the_results_period_only():
    res = _fake()
    # on day 30 the list holds 0-4; deal 3, created on day -8 in the warm-up, is left out
    mine = distribution(res, "status", on=30, include_warmup=False)
    assert list(mine["status"]) == list(STATUSES)
    assert list(mine["count"]) == [1, 1, 2]  # tracking 2; won 0; lost 1, 4
    np.testing.assert_allclose(mine["amount"], [3000, 1000, 7000])
    np.testing.assert_allclose(mine["count_share"], [0.25, 0.25, 0.5])
    everything = distribution(res, "status", on=30)  # the default keeps the warm-up's
    assert list(everything["count"]) == [2, 1, 2]
    by_month = distribution(res, "created_month", include_warmup=False)
    assert list(by_month["created_month"]) == ["2026-01", "2026-02"]
    assert list(by_month["count"]) == [4, 1]
    # with the other filters: tracking at the end, created in the period
    tracking = distribution(res, "owner", status="tracking", include_warmup=False)
    assert dict(zip(tracking["owner"], tracking["count"], strict=True)) == {"Ann": 1, "Bob": 1}
    in_warmup = distribution(res, "type", on=-1, include_warmup=False)
    assert list(in_warmup["count"]) == [0, 0] and in_warmup["count_share"].isna().all()


def test_distribution_by_time():
    res = _fake()
    by_month = distribution(res, "created_month")
    assert list(by_month["created_month"]) == ["2025-12", "2026-01", "2026-02"]
    assert list(by_month["count"]) == [1, 4, 1]
    by_quarter = distribution(res, "created_quarter", on=39)
    assert list(by_quarter["created_quarter"]) == ["2025Q4", "2026Q1"]
    assert list(by_quarter["count"]) == [1, 4]
    closing = distribution(res, "expected_close_month", on=60)
    # estimates on day 60: 0 -> day 32 (Feb), 1 -> 34 (Feb), 2 -> 35 (Feb), 3 -> 26 (Jan),
    # 4 -> 36 (Feb), 5 -> 70 (Mar)
    assert dict(zip(closing["expected_close_month"], closing["count"], strict=True)) == {
        "2026-01": 1, "2026-02": 4, "2026-03": 1}


def test_empty_distribution_has_no_shares():
    empty = distribution(_fake(), "type", on=-9)
    assert list(empty["count"]) == [0, 0]
    assert empty["count_share"].isna().all() and empty["amount_share"].isna().all()


@pytest.mark.parametrize("bad", ["deal_size", "month", ""])
def test_distribution_rejects_an_unknown_grouping(bad):
    with pytest.raises(ValueError, match=f"cannot group opportunities by '{bad}'.*created_month"):
        distribution(_fake(), bad)


def test_distribution_rejects_an_unknown_status():
    with pytest.raises(ValueError, match="unknown status 'open'.*tracking, won, lost"):
        distribution(_fake(), "type", status=["won", "open"])


def test_on_accepts_dates_timestamps_strings_and_day_numbers():
    res = _fake()
    for on in ("2026-01-11", dt.date(2026, 1, 11), dt.datetime(2026, 1, 11),
               pd.Timestamp("2026-01-11"), np.datetime64("2026-01-11"), 10, 10.0, np.int64(10),
               pd.Timestamp("2026-01-11", tz="UTC")):
        assert as_of_day(res, on) == 10.0, on
    assert as_of_day(res, "2026-01-11 12:00") == 10.5
    assert as_of_day(res, None) == 60.0  # the end of the results period
    assert as_of_day(res, "2025-12-22") == -10.0  # the start of the warm-up
    pd.testing.assert_frame_equal(opportunity_list(res), opportunity_list(res, on="2026-03-02"))
    pd.testing.assert_frame_equal(opportunity_list(res, on="2026-01-11"),
                                  opportunity_list(res, on=10))


@pytest.mark.parametrize("bad", [60.01, -10.5, "2026-03-03", "2025-12-21", dt.date(2030, 1, 1),
                                 float("nan"), float("inf")])
def test_a_date_outside_the_run_is_refused_with_the_allowed_range(bad):
    with pytest.raises(ValueError) as err:
        opportunity_list(_fake(), on=bad)
    message = str(err.value)
    assert repr(bad) in message
    assert "from 2025-12-22 to 2026-03-02" in message
    assert "from -10 to 60" in message


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "", True, [2026, 1, 1]])
def test_something_that_is_not_a_date_is_refused(bad):
    with pytest.raises(ValueError, match="is not a date"):
        funnel(_fake(), on=bad)


def test_cohort_funnel_on_hand_built_history():
    res = _fake()
    table = cohort_funnel(res, period="month")
    jan = table[table["cohort"] == "2026-01"]
    assert list(jan["step"]) == ["Contact", "Proposal", "Signing", "won"]
    # created in January: 0 (won), 1 (lost in stage 1), 2 (open in stage 0), 4 (lost)
    assert list(jan["reached"]) == [4, 2, 1, 1]
    assert list(jan["still_open"]) == [1, 0, 0, 0]
    np.testing.assert_allclose(jan["conversion"], [0.5, 0.5, 1.0, np.nan])
    np.testing.assert_allclose(jan["share_of_cohort"], [1, 0.5, 0.25, 0.25])
    feb = table[table["cohort"] == "2026-02"]
    assert list(feb["reached"]) == [1, 0, 0, 0] and list(feb["still_open"]) == [1, 0, 0, 0]
    assert np.isnan(feb["conversion"].iloc[1])  # nobody reached stage 1: no rate
    # deal 3 was created in the warm-up (December)
    assert set(table["cohort"]) == {"2026-01", "2026-02"}
    dec = cohort_funnel(res, period="month", include_warmup=True)
    dec = dec[dec["cohort"] == "2025-12"]
    assert list(dec["reached"]) == [1, 1, 1, 0] and list(dec["still_open"]) == [0, 0, 1, 0]
    quarter = cohort_funnel(res)
    assert list(quarter["cohort"].unique()) == ["2026Q1"]
    assert list(quarter["reached"]) == [5, 2, 1, 1]
    with pytest.raises(ValueError, match="period='week'.*month, quarter, year"):
        cohort_funnel(res, period="week")


def test_a_stuck_deal_fattens_the_funnel_but_not_the_cohort_funnel():
    # ten deals enter stage 0 on day 0; one stays stuck, nine advance on day 5; by day 15
    # three are lost in stage 1 and six are won in stage 2
    history = [(0, 0, 0.0, 30.0, 0.0, 1.0, NAN, "open", "")]
    for i in range(1, 10):
        history.append((i, 0, 0.0, 30.0, 0.0, 1.0, 5.0, "advanced", ""))
        if i <= 6:
            history.append((i, 1, 5.0, 30.0, 5.0, 6.0, 10.0, "advanced", ""))
            history.append((i, 2, 10.0, 30.0, 10.0, 11.0, 15.0, "won", ""))
        else:
            history.append((i, 1, 5.0, 30.0, 5.0, 6.0, 15.0, "lost", "no_decision"))
    res = _fake(history=history, effort=())
    ids = range(10)
    res.opportunities = pd.DataFrame({"opportunity_id": ids, "amount": [1.0] * 10,
                                      "owner": ["Ann"] * 10, "created_day": [0.0] * 10})
    # on day 20 the funnel shows a top of one and an empty bottom: no conversion to read
    assert list(funnel(res, on=20)["count"]) == [1, 0, 0]
    # the cohort funnel says 9 of 10 advanced, 6 of 9 reached the last stage, all 6 won
    cohort = cohort_funnel(res)
    assert list(cohort["reached"]) == [10, 9, 6, 6]
    np.testing.assert_allclose(cohort["conversion"], [0.9, 6 / 9, 1.0, np.nan])
    assert list(cohort["still_open"]) == [1, 0, 0, 0]


# -- real runs ---------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["roller_coaster", "three_stages"])
def run(request):
    # roller_coaster has elastic closing effort and post-sale work; both are short runs
    sc = vary(load_scenario(f"scenarios/{request.param}.toml"), {"horizon_days": 150})
    return simulate(sc)


def test_end_of_run_list_agrees_with_the_opportunity_table(run):
    view = opportunity_list(run).set_index("opportunity_id").sort_index()
    opps = run.opportunities.set_index("opportunity_id").sort_index()
    assert view.index.equals(opps.index)
    for column in ("status", "stage", "stage_index", "expected_close", "lost_reason",
                   "subject", "customer", "owner", "amount", "created"):
        pd.testing.assert_series_equal(view[column], opps[column], check_dtype=False,
                                       check_exact=column != "created")
    np.testing.assert_allclose(view["expected_close_day"], opps["expected_close_day"])
    np.testing.assert_allclose(view["closed_day"], opps["closed_day"])  # NaN where tracking


def test_end_of_run_funnel_recomputed_from_the_opportunity_table(run):
    sc = run.scenario
    opps = run.opportunities
    tracking = opps[opps["status"] == "tracking"]
    by_stage = tracking.groupby("stage_index")["amount"].agg(["size", "sum"])
    by_stage = by_stage.reindex(range(len(sc.stages)), fill_value=0)
    f = funnel(run)
    assert list(f["stage"]) == [s.name for s in sc.stages]
    assert f["count"].sum() > 0
    np.testing.assert_array_equal(f["count"], by_stage["size"])
    np.testing.assert_allclose(f["amount"], by_stage["sum"])
    np.testing.assert_allclose(f["weighted_amount"],
                               by_stage["sum"] * np.asarray(sc.assumed_win_rates))


@pytest.mark.parametrize("day", [-30.0, 0.0, 45.5, 100.0])
def test_list_on_a_past_date_agrees_with_the_event_log(run, day):
    ev = run.events
    seen = ev[ev["day"] <= day]
    created = seen.loc[seen["event"] == "opp_created", "opportunity_id"]
    entered = seen[seen["event"] == "stage_entered"].groupby("opportunity_id").last()
    # the owner's latest estimate by then: on entering the stage or revised since
    estimates = seen[seen["event"].isin(["stage_entered", "forecast_revised"])]
    latest = estimates.groupby("opportunity_id").last()
    ends = seen[seen["event"].isin(["won", "lost"])].set_index("opportunity_id")
    view = opportunity_list(run, on=day).set_index("opportunity_id").sort_index()
    assert set(view.index) == set(created)
    assert len(view) > 0
    np.testing.assert_array_equal(view["stage_index"], entered.loc[view.index, "stage"])
    np.testing.assert_allclose(view["expected_close_day"],
                               latest.loc[view.index, "expected_close_day"])
    status = ends["event"].reindex(view.index).fillna("tracking").astype(str)
    np.testing.assert_array_equal(view["status"], status)
    f = funnel(run, on=day)
    assert f["count"].sum() == len(created) - len(ends)
    in_stage = entered.loc[entered.index.difference(ends.index), "stage"]
    np.testing.assert_array_equal(
        f["count"], np.bincount(in_stage, minlength=len(run.scenario.stages)))


def test_levels_agree_with_the_level_stock(run):
    stock = team_level_stock(level_stock(run, step_days=25.0))
    for _, row in stock.iterrows():
        counts = opportunity_list(run, on=row["day"])["level"].value_counts()
        for level in ("in_funnel", "best_few", "orders"):
            assert counts.get(level, 0) == row[level], (row["day"], level)
    assert stock[["in_funnel", "best_few"]].to_numpy().sum() > 0


@pytest.mark.parametrize("day", [20.0, 75.25, 150.0])
def test_rotting_recomputed_from_the_reps_time(run, day):
    # the last activity in the current stage, recomputed by hand: stage work and effort
    # sessions count at their end, or now while under way (min(end, day)); the stage's
    # entry and work start count too
    sc = run.scenario
    rt = run.rep_time
    work = rt[rt["activity"].isin(["stage", "effort"]) & (rt["start_day"] <= day)]
    ev = run.events
    started = ev[(ev["event"] == "work_start") & (ev["day"] <= day)]
    key = ["id", "stage", "day"]
    touched = pd.concat([
        pd.DataFrame({"id": work["opportunity_id"], "stage": work["stage_index"],
                      "day": np.minimum(work["end_day"], day)}),
        started[["opportunity_id", "stage", "day"]].set_axis(key, axis=1)])
    view = opportunity_list(run, on=day)
    tracking = view[view["status"] == "tracking"].set_index("opportunity_id")
    entered = run.stage_history.set_index(["opportunity_id", "stage_index"])["entered_day"]
    at = list(zip(tracking.index, tracking["stage_index"], strict=True))
    last = np.fmax(entered.loc[at].to_numpy(),
                   touched.groupby(["id", "stage"])["day"].max().reindex(at).to_numpy())
    np.testing.assert_allclose(tracking["days_since_activity"], day - last)
    rot = np.array([s.rot_days for s in sc.stages])[tracking["stage_index"]]
    np.testing.assert_array_equal(tracking["rotting"], day - last > rot)
    assert not view.loc[view["status"] != "tracking", "rotting"].any()


@pytest.mark.parametrize("by", DISTRIBUTION_BY)
def test_distribution_shares_sum_to_one_and_totals_match(run, by):
    view = opportunity_list(run)
    kept = view[view["status"] == "lost"] if by == "lost_reason" else view
    d = distribution(run, by)
    assert d["count"].sum() == len(kept)
    assert d["amount"].sum() == pytest.approx(kept["amount"].sum())
    assert d["count_share"].sum() == pytest.approx(1.0)
    assert d["amount_share"].sum() == pytest.approx(1.0)
    busy = d["count"] > 0
    np.testing.assert_allclose(d.loc[busy, "mean_amount"],
                               d.loc[busy, "amount"] / d.loc[busy, "count"])
    assert d[by].is_unique


def test_distribution_by_status_matches_the_opportunity_table(run):
    opps = run.opportunities
    d = distribution(run, "status").set_index("status")
    for status in STATUSES:
        mine = opps[opps["status"] == status]
        assert d.loc[status, "count"] == len(mine)
        assert d.loc[status, "amount"] == pytest.approx(mine["amount"].sum())
    tracking = distribution(run, "channel", on=60, status="tracking")
    assert tracking["count"].sum() == funnel(run, on=60)["count"].sum()


def test_distribution_of_the_results_period_counts_the_kpis_opportunities(run):
    k = run.kpis()
    mine = distribution(run, "status", include_warmup=False).set_index("status")["count"]
    assert mine.sum() == k["opportunities"]
    # created in the period and decided by its end means closed in it: at most the KPIs'
    assert mine["won"] <= k["won"] and mine["lost"] <= k["lost"]
    assert mine["tracking"] <= k["open"]


def test_cohort_funnel_matches_the_stage_history(run):
    sc = run.scenario
    k = len(sc.stages)
    table = cohort_funnel(run)
    reached = table.pivot(index="cohort", columns="step_index", values="reached")
    assert (np.diff(reached.to_numpy(), axis=1) <= 0).all()  # never rises along the funnel
    opps = run.opportunities[run.opportunities["created_day"] >= 0]
    cohort = opps.set_index("opportunity_id")["created"].dt.to_period("Q").astype(str)
    hist = run.stage_history[run.stage_history["opportunity_id"].isin(cohort.index)]
    expected = (hist.assign(cohort=hist["opportunity_id"].map(cohort))
                .groupby(["cohort", "stage_index"])["opportunity_id"].nunique()
                .unstack(fill_value=0).reindex(columns=range(k), fill_value=0))
    np.testing.assert_array_equal(reached.loc[expected.index, list(range(k))], expected)
    won = cohort.loc[opps.loc[opps["status"] == "won", "opportunity_id"]].value_counts()
    np.testing.assert_array_equal(reached[k], won.reindex(reached.index, fill_value=0))
    assert reached[0].sum() == len(opps)
    assert table["still_open"].sum() == (opps["status"] == "tracking").sum()
    rows = table[table["step_index"] < k]
    nxt = table[table["step_index"] > 0]["reached"].to_numpy()
    np.testing.assert_allclose(rows["conversion"], pd.Series(nxt) / rows["reached"].to_numpy())


@pytest.mark.parametrize("name", ["opportunity_list", "funnel", "distribution", "cohort_funnel"])
def test_each_view_takes_well_under_100_ms(run, name):
    fn = {"opportunity_list": opportunity_list, "funnel": funnel, "cohort_funnel": cohort_funnel,
          "distribution": lambda r: distribution(r, "created_quarter", on=60)}[name]
    fn(run)  # build the run's tables first
    best = min(_timed(fn, run) for _ in range(5))
    assert best < 0.1, f"{name} took {best * 1000:.0f} ms"


def _timed(fn, run) -> float:
    start = time.perf_counter()
    fn(run)
    return time.perf_counter() - start
